"""Settings shared by every environment, read from the environment with django-environ.

Nothing secret has a default here unless DEBUG is on; production.py tightens the rest.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.conf import global_settings
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
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
    # First, so every log line of a request and its response, whatever answers, carry its id;
    # and the metrics time the whole of the request.
    "hoa_portal.logging.RequestIdMiddleware",
    "hoa_portal.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
            "builtins": ["hoa_portal.citations"],
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
    ("ps", gettext_lazy("Pashto")),
]
# Django ships no Pashto, so its table of languages (django.conf.locale.LANG_INFO, which
# get_language_info reads) and its right-to-left list lack it: both learn it here, and a later
# Django that ships it keeps its own entry. Our catalogue (locale/ps) carries Django's strings the
# pages show as well (hoa_portal/framework_strings.py).
LANG_INFO.setdefault("ps", {"bidi": True, "code": "ps", "name": "Pashto", "name_local": "پښتو"})
LANGUAGES_BIDI = [*global_settings.LANGUAGES_BIDI, "ps"]
# Nor has Django Pashto's date formats: hoa_portal/formats/ps (dates as Afghans write them).
FORMAT_MODULE_PATH = ["hoa_portal.formats"]
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

# --- Attachments: local disk, or S3-compatible object storage --------------------------------
# Unset, MEDIA_STORAGE_URL keeps the files under MEDIA_ROOT on this machine: enough for one web
# server (`make run`). Several web servers must share one store, so there it names a bucket:
#   MEDIA_STORAGE_URL=s3://BUCKET[/PREFIX][?endpoint_url=https://...&region=...]
# (django-storages on boto3; endpoint_url for an S3-compatible service, addressing_style=path
# for one without bucket names in host names). The credentials are never part of the URL, which
# ends up in process listings and logs: boto3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
# from the environment, or the machine's role. The bucket stays private: the portal never hands
# out a storage URL (and one made by mistake carries no signature); every download goes through
# the permission-checked view (cbms.reports.views.AttachmentDownload), which streams the object.
MEDIA_URL = "media/"  # served by nothing, on purpose (see above)
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_STORAGE_URL = env("MEDIA_STORAGE_URL", default="")
MEDIA_STORAGE_QUERY = {
    "endpoint_url": "endpoint_url",
    "region": "region_name",
    "addressing_style": "addressing_style",
    "signature_version": "signature_version",
}


def media_storage(url: str) -> dict:
    """STORAGES["default"] for MEDIA_STORAGE_URL: local disk when it is empty."""
    if not url:
        # No OPTIONS: the storage reads MEDIA_ROOT when it is used, so a test can move it.
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ImproperlyConfigured(
            "MEDIA_STORAGE_URL carries no credentials: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY in the environment (or give the machine a role)."
        )
    if parts.scheme != "s3" or not parts.netloc or ":" in parts.netloc or parts.fragment:
        raise ImproperlyConfigured("MEDIA_STORAGE_URL must read s3://BUCKET[/PREFIX][?options].")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise ImproperlyConfigured(f"MEDIA_STORAGE_URL: options read name=value: {exc}") from exc
    unknown = sorted(set(query) - set(MEDIA_STORAGE_QUERY))
    repeated = sorted(name for name, values in query.items() if len(values) > 1)
    if unknown or repeated:
        raise ImproperlyConfigured(
            f"MEDIA_STORAGE_URL: unknown or repeated options {unknown + repeated}; it knows "
            f"{sorted(MEDIA_STORAGE_QUERY)}."
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            # The bucket name as written: urlsplit's hostname would lower-case it.
            "bucket_name": parts.netloc,
            "location": parts.path.strip("/"),
            **{MEDIA_STORAGE_QUERY[name]: values[0] for name, values in query.items()},
            # An URL made by mistake is a dead link to a private object, never a signed one.
            "querystring_auth": False,
            "default_acl": None,  # the bucket's own: private
            # As on disk, a name in use is never overwritten (names are random: reports/<uuid>).
            "file_overwrite": False,
            # A file read whole (the backup) is held in memory up to this, on disk beyond.
            "max_memory_size": 2 * 1024 * 1024,
        },
    }


# STORAGES: default = media (attachments), staticfiles = whitenoise
STORAGES = {
    "default": media_storage(MEDIA_STORAGE_URL),
    # Plain names here, so `make run` and the tests need no collectstatic; production.py stores
    # them hashed and compressed (whitenoise's CompressedManifestStaticFilesStorage).
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

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
    "DESCRIPTION": (
        "The REST API of the [HoA-IP CBM Secretariat Tracker](/) — back to the portal. Sign in "
        "with `POST /api/v1/auth/token/` and send `Authorization: Token <key>`; lists filter, "
        "sort, page and export (`?format=csv|xlsx`). The schema is at "
        "[/api/schema/](/api/schema/)."
    ),
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


def cron(variable: str, *, default: str) -> crontab:
    """A schedule an operator may move, written as in crontab(5): minute hour day month weekday."""
    fields = env.str(variable, default=default).split()
    if len(fields) != 5:
        raise ImproperlyConfigured(f"{variable} reads 'minute hour day month weekday'.")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )


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
        "schedule": cron("REMINDERS_SEND_CRON", default="0 6 * * *"),
    },
    # RTG invitations, updates and cancellations whose nudge after the edit did not reach a worker.
    "rtg-invitations-send": {
        "task": "cbms.compliance.tasks.invitations_send",
        "schedule": crontab(minute="*/5"),
    },
}

# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request_id,
# exception) for a log shipper; plain text otherwise. Each line of a request carries its id
# (hoa_portal.logging), the id its response sends as X-Request-ID.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("json", "text"):
    raise environ.ImproperlyConfigured(f"LOG_FORMAT is json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "hoa_portal.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "hoa_portal.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Django's own lines reach the root's handler alone, not also Django's default console
    # handler (under DEBUG), which would write them a second time in another format.
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}

# Progress report attachments (PDF, DOCX, XLSX), checked by content as well as by name.
REPORT_ATTACHMENT_MAX_BYTES = env.int("REPORT_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

# Spreadsheet imports (cbms/imports): the largest file and the most rows one import reads.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=10_000)

# --- Operations: the single beat, health checks, metrics (docs/deploy.md) ----------------------
# One beat sends the periodic tasks, however many are started: celery-redbeat keeps the schedule
# in Redis with a lock, and a second beat waits for the lock instead of sending every task twice.
# The holder renews the lock at each tick, at most BEAT_MAX_LOOP_INTERVAL seconds apart; if it
# dies without releasing it, a waiting beat takes over within the lock's timeout.
CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 15
CELERY_REDBEAT_REDIS_URL = CELERY_BROKER_URL
CELERY_REDBEAT_KEY_PREFIX = "redbeat:"
CELERY_REDBEAT_LOCK_TIMEOUT = 4 * CELERY_BEAT_MAX_LOOP_INTERVAL
# Rides out a Redis restart of up to a minute; after that the beat exits and its supervisor
# starts it again (it then waits for the lock like any other).
CELERY_REDBEAT_REDIS_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "retry_period": 60,
}
# With JSON logs, the worker and the beat write through LOGGING too, not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# Who may scrape /metrics (hoa_portal.metrics): addresses or networks, e.g. 10.0.0.0/8.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])

# --- Static files: served by the web processes themselves (whitenoise) ----------------------
# WhiteNoiseMiddleware answers /static/ from STATIC_ROOT as collectstatic left it, before the
# rest of the stack. Under production.py each file there has a hashed name (portal.3f2a9c1b.css)
# and .gz and .br twins, and the browser gets the smallest one it accepts. A hashed name changes
# whenever the content does, so browsers keep it a year without asking again (immutable); a name
# without a hash is re-checked after a minute (whitenoise's default). Without DEBUG, whitenoise
# reads STATIC_ROOT once as the process starts: run collectstatic before starting the web
# processes.
STATIC_IMMUTABLE_MAX_AGE = 365 * 24 * 60 * 60


def static_cache_headers(headers, path: str, url: str) -> None:
    """A year for a hashed file, the far future HTTP has long asked for (RFC 2616 caps Expires
    at a year); whitenoise's own is ten years."""
    if headers.get("Cache-Control", "").endswith("immutable"):
        headers["Cache-Control"] = f"max-age={STATIC_IMMUTABLE_MAX_AGE}, public, immutable"


WHITENOISE_ADD_HEADERS_FUNCTION = static_cache_headers

# --- Accounts people manage themselves: forgotten passwords, invitations ------------------------
# A reset link (members.views.PasswordReset) works once, the password it sets ending it, and for
# PASSWORD_RESET_TIMEOUT; an invitation's link (members.invitations) works until the password is
# set, for INVITATION_TIMEOUT: the secretariat can send a fresh one from the account's page.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_MINUTES", default=60) * 60
INVITATION_TIMEOUT = env.int("INVITATION_DAYS", default=7) * 24 * 60 * 60
# Asking for a reset email: at most so many requests per address asked for, and per client
# address, in each window (members.signin.password_reset_wait). The first keeps anyone from
# flooding a person's inbox; the second anyone from trying address after address. Behind a proxy
# every client has the proxy's address: the office shares its limit, resets being rare.
PASSWORD_RESET_LIMIT_PER_EMAIL = env.int("PASSWORD_RESET_LIMIT_PER_EMAIL", default=3)
PASSWORD_RESET_LIMIT_PER_CLIENT = env.int("PASSWORD_RESET_LIMIT_PER_CLIENT", default=20)
PASSWORD_RESET_LIMIT_WINDOW = timedelta(minutes=env.int("PASSWORD_RESET_LIMIT_MINUTES", default=60))
# Counted in a cache every web process shares (the broker's Redis when there is one), so the limit
# is one whatever the number of processes; a process's memory otherwise (`make run`, the tests).
CACHES = {
    # Django's own default, written out only because this block names a second cache.
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "rate_limits": {
        **env.cache_url(
            "RATE_LIMIT_CACHE_URL", default=CELERY_BROKER_URL or "locmemcache://limits"
        ),
        "KEY_PREFIX": "rate-limit",
    },
}
