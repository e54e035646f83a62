"""Settings come from the environment (SPEC §7); each case imports them in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": db["NAME"], "host": db.get("HOST"),
    "debug": settings.DEBUG, "secret": settings.SECRET_KEY, "hosts": settings.ALLOWED_HOSTS,
    "email": settings.EMAIL_BACKEND, "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER, "tz": settings.TIME_ZONE,
    "atomic": db["ATOMIC_REQUESTS"], "mfa": settings.MFA_REQUIRED,
}))
"""


def load_settings(module: str, **environment: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, "DJANGO_SETTINGS_MODULE": module, **environment},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout)


SETTINGS_VARIABLES = {
    "MFA_REQUIRED",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "EMAIL_URL",
    "DJANGO_READ_DOT_ENV_FILE",
}


def test_every_setting_is_read_from_the_environment():
    loaded = load_settings(
        "hoa_portal.settings.base",
        DATABASE_URL="postgres://portal:pw@db.internal:5433/cbm",
        CELERY_BROKER_URL="redis://queue.internal:6379/2",
        SECRET_KEY="from-the-environment",
        DEBUG="false",
        ALLOWED_HOSTS="cbm.example.org,www.cbm.example.org",
        EMAIL_URL="smtp://mailer.internal:2525",
    )
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert (loaded["name"], loaded["host"]) == ("cbm", "db.internal")
    assert loaded["debug"] is False
    assert loaded["secret"] == "from-the-environment"
    assert loaded["hosts"] == ["cbm.example.org", "www.cbm.example.org"]
    assert loaded["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert loaded["broker"] == "redis://queue.internal:6379/2"
    assert loaded["eager"] is False
    assert loaded["atomic"] is True
    assert loaded["tz"] == "Asia/Kabul"


def test_without_a_broker_tasks_run_in_process_on_sqlite():
    loaded = load_settings("hoa_portal.settings.base", DEBUG="true")
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["broker"] is None
    assert loaded["eager"] is True


def test_without_debug_a_secret_key_is_required():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_settings("hoa_portal.settings.base", DEBUG="false")


def test_production_requires_its_allowed_hosts():
    with pytest.raises(RuntimeError, match="ALLOWED_HOSTS"):
        load_settings("hoa_portal.settings.production", SECRET_KEY="x" * 50)


@pytest.mark.django_db
def test_ci_runs_the_suite_on_postgresql():
    if not os.environ.get("CI"):
        pytest.skip("Only CI is bound to PostgreSQL; locally the suite may fall back to SQLite.")
    assert connection.vendor == "postgresql"


def test_an_empty_broker_url_means_no_broker():
    loaded = load_settings("hoa_portal.settings.base", DEBUG="true", CELERY_BROKER_URL="")
    assert loaded["broker"] is None
    assert loaded["eager"] is True


def test_production_asks_staff_and_focal_points_for_a_second_factor():
    production = load_settings(
        "hoa_portal.settings.production", SECRET_KEY="x" * 50, ALLOWED_HOSTS="cbm.example.org"
    )
    demo = load_settings("hoa_portal.settings.base", DEBUG="true", MFA_REQUIRED="false")

    assert production["mfa"] is True
    assert demo["mfa"] is False  # what `make run` sets for its demo accounts
