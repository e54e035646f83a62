"""The production-like settings `make bench-api` serves with gunicorn: the base settings with
DEBUG off, plus a baseline view next to the API (benchmarks/baseline_urls.py).

SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and CONN_MAX_AGE come from the environment, which
benchmarks/api.py sets. Importing the `benchmarks` package sets DEBUG=true in the environment (for
the other benchmarks), so DEBUG is switched off here explicitly; benchmarks/api.py checks that the
server it measures really runs without it.
"""

from hoa_portal.settings.base import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "benchmarks.baseline_urls"
