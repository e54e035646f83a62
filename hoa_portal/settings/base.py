"""Settings shared by every environment, read from the environment with django-environ.

Nothing secret has a default here unless DEBUG is on; production.py tightens the rest.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "hoa_portal.apps.PortalAdminConfig",  # django.contrib.admin, for the secretariat only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "members",
    "organizations",
    "conferences",
    "cbms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # gzip above the ETag, so the tag is the digest of the body the view wrote (api/middleware.py).
    "hoa_portal.api.middleware.CompressionMiddleware",
    "hoa_portal.api.middleware.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "members.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hoa_portal.urls"
WSGI_APPLICATION = "hoa_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "members.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` for a small team. Each request's transaction (ATOMIC_REQUESTS) takes the write
    # lock as it begins (IMMEDIATE), so a second writer waits its turn, up to `timeout` seconds,
    # instead of failing at its first write with "database is locked" once the other has written.
    # WAL lets the reads outside a transaction (a session's look-up before the view) go on while
    # a request writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "members.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"

# Content-Security-Policy (django-csp), in development too so a page that breaks it fails its
# browser test: scripts, styles, fonts and requests from this site only (the front-end assets are
# vendored in static/), no inline script or style, no plugins, no <base>, no framing. `data:`
# images are Bootstrap's form-control icons, drawn from its stylesheet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}

# Second factor (RELIABILITY goal 16): the secretariat, focal points and staff finish signing in
# with a one-time code from an authenticator app (members.second_factor). `make run` turns it off
# for its demo accounts (MFA_REQUIRED=false); the tests turn it on where they test it.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=True)
OTP_TOTP_ISSUER = "HoA-IP CBM Tracker"

# Brute force (RELIABILITY goal 15): after SIGN_IN_FAILURE_LIMIT wrong passwords an account is
# locked for SIGN_IN_LOCKOUT_MINUTES, whatever address the attempts come from (counted per
# username, in the database, by django-axes), in the browser, the admin and the API's token
# endpoint alike. A success before the limit starts the count again. The secretariat unlocks an
# account sooner by deleting its access attempts in the admin (or `axes_reset_username`).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGN_IN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for the address too. Not here: the secretariat signs in from one office address
# (and behind a proxy every client would share the proxy's), so five typos there would lock out
# everyone, while guessing one account's password from many addresses is stopped all the same.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "members.signin.lockout_response"
# How long the record of each sign-in and each failure (address, browser) is kept.
SIGN_IN_RECORDS_DAYS = env.int("SIGN_IN_RECORDS_DAYS", default=365)
AXES_VERBOSE = False  # no banner on every manage.py command; failures are logged by members.signin
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
# Every page string is translatable; a language is listed once its catalogue exists in locale/
# (tests/web/test_i18n.py keeps each one complete). A page's language comes from the switcher's
# cookie, else from Accept-Language, else English: API clients that ask for nothing get English.
# The layout follows the language's direction (Bootstrap's RTL build for Dari, Pashto...).
LANGUAGES = [
    ("en", gettext_lazy("English")),
    ("fa", gettext_lazy("Dari (Persian)")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The switcher's choice outlives the browser session.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
# Dates in the domain are calendar dates as the secretariat in Kabul sees them.
TIME_ZONE = "Asia/Kabul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="HoA-IP Secretariat <secretariat@localhost>")
# Where the portal is reached: emails give a notice's link (a path) in full from here.
PORTAL_URL = env("PORTAL_URL", default="http://127.0.0.1:8000")

# --- REST framework --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hoa_portal.api.authentication.PortalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["hoa_portal.api.permissions.SecretariatWritesOthersRead"],
    "DEFAULT_FILTER_BACKENDS": [
        "hoa_portal.api.filters.PortalFilterBackend",
        "hoa_portal.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        # No browsable API: its pages break the Content-Security-Policy (inline styles), so a
        # browser gets JSON; /api/docs/ is where people read and try the API.
        "hoa_portal.api.renderers.CSVRenderer",
        "hoa_portal.api.renderers.XLSXRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        # JSON and forms within DATA_UPLOAD_MAX_MEMORY_SIZE; JSON nested within MAX_JSON_DEPTH.
        "hoa_portal.api.parsers.PortalJSONParser",
        "hoa_portal.api.parsers.PortalFormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "hoa_portal.api.exceptions.portal_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"login": env("LOGIN_THROTTLE_RATE", default="30/minute")},
    "DEFAULT_SCHEMA_CLASS": "hoa_portal.api.schema.PortalAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "hoa_portal.api.pagination.PortalPagination",
    "PAGE_SIZE": 50,
    # ISO 8601 (YYYY-MM-DD), zero-padded even for a year before 1000.
    "DATE_FORMAT": "iso-8601",
    # Moments are written in UTC, whole seconds, with `Z`, by the field every model DateTimeField
    # maps to (hoa_portal.api.timestamps): this format alone would keep Kabul's offset.
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "hoa_portal.api.schema.share_enums_and_drop_unused",
    ],
    "TITLE": "HoA-IP CBM Secretariat Tracker API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request and response models apart, so read-only fields are absent from what a generated
    # client sends and required where it reads (hoa_portal/api/schema.py says the rest).
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema describes the API, not itself: /api/schema/ is not an operation of a client.
    "SERVE_INCLUDE_SCHEMA": False,
    # One enum per set of choices, named after it: several fields are called `kind` or `status`.
    "ENUM_NAME_OVERRIDES": {
        "UserRoleEnum": "members.models.Role",
        "CbmRoleKindEnum": "cbms.models.RoleKind",
        "ParticipationEnum": "members.models.ParticipationKind",
        "OrganizationKindEnum": "organizations.models.OrganizationKind",
        "ConferenceStatusEnum": "conferences.models.ConferenceStatus",
        "MeetingKindEnum": "conferences.models.MeetingKind",
        "MeetingStatusEnum": "conferences.models.MeetingStatus",
        "ObligationKindEnum": "cbms.models.ObligationKind",
        "ObligationStatusEnum": "cbms.models.ObligationStatus",
        "ReportStateEnum": "cbms.models.ReportState.values",
        "ActivityStatusEnum": "cbms.models.ActivityStatus.values",
        "ReviewDecisionEnum": "cbms.models.ReviewDecision.values",
    },
}

REST_KNOX = {"TOKEN_TTL": timedelta(days=env.int("API_TOKEN_DAYS", default=90))}

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or None
# Without a broker (make run, tests) tasks run in-process; with one they go to the worker.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
# A publish must never hang a request when Redis is down: fail fast, the daily sweep catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 1,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    # A broker that accepts but never answers fails a publish after one socket timeout.
    "socket_timeout": 2,
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "max_retries": 2,
}
CELERY_BEAT_SCHEDULE = {
    "compliance-daily-sweep": {
        "task": "cbms.compliance.tasks.compliance_sweep",
        # 00:30 in Kabul, after the calendar day has turned for the secretariat.
        "schedule": crontab(hour=0, minute=30),
    },
    # Picks up what an edit left in the outbox when its nudge could not reach the broker.
    "compliance-outbox-drain": {
        "task": "cbms.compliance.tasks.compliance_outbox_drain",
        "schedule": crontab(minute="*/5"),
    },
    "api-tokens-purge": {
        "task": "members.tasks.api_tokens_purge",
        "schedule": crontab(hour=3, minute=15),
    },
    "sign-in-records-purge": {
        "task": "members.tasks.sign_in_records_purge",
        "schedule": crontab(hour=3, minute=25),
    },
    # Attachment files left in storage by an upload whose request rolled back afterwards.
    "report-attachment-orphans-sweep": {
        "task": "cbms.reports.tasks.report_attachment_orphans_sweep",
        "schedule": crontab(minute=20),
    },
    # The daily email of those who chose a digest: every notice of theirs not yet emailed.
    "notifications-digest-email": {
        "task": "members.tasks.notifications_digest_email",
        "schedule": crontab(hour=7, minute=0),
    },
    # The sweep at 00:30 already sends the day's reminders; this catches up if it failed, at
    # 06:00 in Kabul, before the working day and before the 07:00 digest emails.
    "compliance-reminders-send": {
        "task": "cbms.compliance.tasks.reminders_send",
        "schedule": crontab(hour=6, minute=0),
    },
    # RTG invitations, updates and cancellations whose nudge after the edit did not reach a worker.
    "rtg-invitations-send": {
        "task": "cbms.compliance.tasks.invitations_send",
        "schedule": crontab(minute="*/5"),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Progress report attachments (PDF, DOCX, XLSX), checked by content as well as by name.
REPORT_ATTACHMENT_MAX_BYTES = env.int("REPORT_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

# Spreadsheet imports (cbms/imports): the largest file and the most rows one import reads.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=10_000)
