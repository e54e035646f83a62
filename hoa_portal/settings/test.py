"""Settings for the test suite.

The database comes from DATABASE_URL (`make test` points it at the local PostgreSQL when one
answers). When it is unset the suite falls back to SQLite and says so; under CI=true there is no
fallback: a missing service is a failure, never a silent skip.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured

if "DATABASE_URL" not in os.environ:
    if os.environ.get("CI"):
        raise ImproperlyConfigured("CI runs the suite on PostgreSQL: set DATABASE_URL.")
    print("DATABASE_URL is not set: the tests fall back to SQLite.", file=sys.stderr)

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Tasks run in-process unless a test starts a real worker on CELERY_TEST_BROKER_URL.
CELERY_TEST_BROKER_URL = env("CELERY_TEST_BROKER_URL", default=None)
CELERY_BROKER_URL = None
CELERY_TASK_ALWAYS_EAGER = True

# The login throttle is tested on its own; the suite signs in far more often than a person.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"login": "10000/minute"},
}

# Each feature's tests sign in with the password alone; tests/members/test_second_factor.py turns
# the second factor on and checks that every page and endpoint asks for it.
MFA_REQUIRED = False
