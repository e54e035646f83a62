"""Benchmarks run against a real database: `make bench-compliance`.

Importing the package configures Django the way the benchmarks need it, before any model is
imported: the base settings with DEBUG on (so queries can be counted), no broker (tasks would
run in-process), and a dedicated benchmark database unless DATABASE_URL names another one.
"""

import os

import django

BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hoa_portal_bench"

# The gunicorn `make bench-api` starts loads benchmarks.settings, which imports this package
# first: that server configures Django itself (setting it up here as well, half-way through
# loading its settings, left it with two settings objects and django-axes' defaults on the other).
if os.environ.get("DJANGO_SETTINGS_MODULE") != "benchmarks.settings":
    os.environ["DJANGO_SETTINGS_MODULE"] = "hoa_portal.settings.base"
    os.environ["DEBUG"] = "true"
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.setdefault("DATABASE_URL", BENCH_DATABASE_URL)
    django.setup()
