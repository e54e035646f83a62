"""What a load balancer hears: `/health/live` while the process answers, `/health/ready` 200 when
the database, the broker and the beat are well, 503 naming what is not, never a secret."""

import datetime as dt
import importlib
import json
import time
from unittest import mock

import pytest
from django.db import OperationalError

from tests.ops.conftest import beat_entry_ran, free_port

# The beat's most frequent periodic tasks in the settings: every five minutes.
MOST_FREQUENT = ("compliance-outbox-drain", "rtg-invitations-send")
PERIOD = dt.timedelta(minutes=5)
SECRET = "hunter2-broker-password"


def ready_answer(client) -> tuple[int, dict]:
    response = client.get("/health/ready")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


@pytest.fixture
def beat_ran(ops_redis, settings):
    """Record that the beat's most frequent task last ran `ago` before now."""

    def record(ago: dt.timedelta, name: str = MOST_FREQUENT[0]) -> None:
        at = dt.datetime.now(dt.UTC) - ago
        beat_entry_ran(settings.CELERY_BROKER_URL, f"{ops_redis}{name}", at=at)

    return record


def test_live_answers_without_the_database_a_session_or_a_cache(client):
    # No `db` fixture: any query, a session's included, would fail this test.
    response = client.get("/health/live")

    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    assert response["X-Request-ID"]


def test_live_answers_a_head_and_refuses_a_post(client):
    assert client.head("/health/live").status_code == 200
    assert client.post("/health/live").status_code == 405


@pytest.mark.django_db
def test_ready_with_all_well_names_each_check(client, beat_ran, django_assert_num_queries):
    beat_ran(dt.timedelta(minutes=1))

    with django_assert_num_queries(1):  # the SELECT 1
        status, body = ready_answer(client)

    assert status == 200
    assert body == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "beat": "ok"}}


@pytest.mark.django_db
def test_ready_without_a_broker_counts_in_process_tasks_as_ready(client, settings):
    settings.CELERY_BROKER_URL = None

    status, body = ready_answer(client)

    assert status == 200
    assert body["checks"] == {"database": "ok", "broker": "in-process", "beat": "in-process"}


@pytest.mark.django_db
def test_ready_is_503_naming_the_broker_when_redis_is_unreachable(client, settings):
    port = free_port()
    settings.CELERY_BROKER_URL = f"redis://:{SECRET}@127.0.0.1:{port}/0"
    settings.CELERY_REDBEAT_REDIS_URL = settings.CELERY_BROKER_URL

    started = time.monotonic()
    response = client.get("/health/ready")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["failed"] == ["broker", "beat"]
    assert body["checks"] == {"database": "ok", "broker": "unreachable", "beat": "unreachable"}
    text = response.content.decode()
    for secret in (SECRET, "redis://", "127.0.0.1", str(port)):
        assert secret not in text
    assert elapsed < 1


@pytest.mark.django_db
def test_a_redis_that_accepts_and_never_answers_fails_the_probe_within_a_second(
    client, settings, silent_server
):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_server}/0"
    settings.CELERY_REDBEAT_REDIS_URL = settings.CELERY_BROKER_URL

    started = time.monotonic()
    status, body = ready_answer(client)
    elapsed = time.monotonic() - started

    assert status == 503 and "broker" in body["failed"]
    assert elapsed < 1.2, f"the probe took {elapsed:.2f}s"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (PERIOD, 200),
        (2 * PERIOD - dt.timedelta(seconds=5), 200),  # within the grace of two periods
        (2 * PERIOD + dt.timedelta(seconds=5), 503),
        (dt.timedelta(hours=3), 503),
    ],
)
def test_ready_is_503_naming_the_beat_when_its_last_run_is_too_old(client, beat_ran, ago, expected):
    beat_ran(ago)

    status, body = ready_answer(client)

    assert status == expected, body
    if expected == 503:
        assert body["failed"] == ["beat"]
        assert body["checks"] == {"database": "ok", "broker": "ok", "beat": "stale"}


@pytest.mark.django_db
def test_the_latest_run_of_the_most_frequent_tasks_counts(client, beat_ran):
    beat_ran(dt.timedelta(hours=3), MOST_FREQUENT[0])
    beat_ran(dt.timedelta(minutes=2), MOST_FREQUENT[1])

    assert ready_answer(client)[0] == 200


@pytest.mark.django_db
def test_a_daily_task_that_ran_does_not_stand_for_the_most_frequent(client, beat_ran):
    beat_ran(dt.timedelta(minutes=1), "compliance-daily-sweep")

    status, body = ready_answer(client)

    assert status == 503
    assert body["checks"]["beat"] == "never-ran"


@pytest.mark.django_db
def test_ready_is_503_naming_the_database_without_its_error(client, beat_ran):
    beat_ran(dt.timedelta(minutes=1))
    error = OperationalError(
        'connection to server at "db.internal" (10.0.0.5), port 5432 failed: '
        'password authentication failed for user "portal"'
    )

    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=error):
        response = client.get("/health/ready")

    assert response.status_code == 503
    assert json.loads(response.content)["failed"] == ["database"]
    for secret in ("db.internal", "10.0.0.5", "5432", "portal", "password"):
        assert secret not in response.content.decode()


@pytest.fixture
def production_redirect(monkeypatch, settings):
    """The production settings' HTTPS redirect and its exemptions."""
    monkeypatch.setenv("SECRET_KEY", "production-settings-under-test-" + "x" * 30)
    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")
    production = importlib.import_module("hoa_portal.settings.production")
    settings.SECURE_SSL_REDIRECT = production.SECURE_SSL_REDIRECT
    settings.SECURE_REDIRECT_EXEMPT = production.SECURE_REDIRECT_EXEMPT


@pytest.mark.django_db
def test_probes_over_plain_http_are_answered_not_redirected(client, production_redirect):
    assert client.get("/").status_code == 301  # a page goes to HTTPS
    assert client.get("/health/live").status_code == 200
    assert client.get("/health/ready").status_code == 200
    assert client.get("/metrics").status_code == 200
