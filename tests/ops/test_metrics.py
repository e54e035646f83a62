"""`/metrics`: Prometheus text for the addresses METRICS_ALLOWED_IPS lists and a 404 for any
other; requests and latencies, Celery task runs and failures counted where they ran, reminders
sent and obligations by status read from the database at scrape time."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from celery import shared_task
from django.conf import settings as django_settings
from prometheus_client.parser import text_string_to_metric_families

from cbms.compliance import services
from cbms.compliance.reminders import reminders_send
from cbms.models import ObligationStatus
from hoa_portal.metrics import TASK_COUNTS_KEY, TASK_OUTCOMES
from tests.cbms.conftest import REVIEW_DEADLINE
from tests.ops.conftest import free_port

PROBE = "tests.ops.metrics_probe"


@shared_task(name=PROBE)
def metrics_probe(fail: bool = False) -> None:
    if fail:
        raise ValueError("the probe task failed, as asked")


def run_failing_probe():
    """As a worker runs a task that fails: the error is recorded, not raised to the caller (the
    tests' eager tasks would raise it before any failure is handled)."""
    return metrics_probe.apply(kwargs={"fail": True}, throw=False)


def scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    """Every sample of an allowed scrape: (name, sorted labels) -> value."""
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def families(client) -> set[str]:
    text = client.get("/metrics").content.decode()
    return {family.name for family in text_string_to_metric_families(text)}


def sample(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_a_scrape_names_every_family(client):
    client.get("/health/live")

    assert {
        "hoa_http_requests",
        "hoa_http_request_duration_seconds",
        "hoa_celery_task_runs",
        "hoa_reminders_sent",
        "hoa_obligations",
        "hoa_metrics_source_up",
    } <= families(client)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("address", "headers", "allowed", "expected"),
    [
        ("127.0.0.1", {}, None, 200),
        ("::1", {}, None, 200),
        ("::ffff:127.0.0.1", {}, None, 200),
        ("203.0.113.9", {}, None, 404),
        ("10.1.2.3", {}, None, 404),
        ("10.1.2.3", {}, ["10.0.0.0/8"], 200),
        ("10.1.2.3", {}, ["10.1.2.3"], 200),
        ("10.1.2.4", {}, ["10.1.2.3"], 404),
        # Relayed by a proxy on this machine: the visitor is not the proxy.
        ("127.0.0.1", {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, None, 404),
    ],
)
def test_only_the_allowed_addresses_are_answered(
    client, settings, address, headers, allowed, expected
):
    if allowed is not None:
        settings.METRICS_ALLOWED_IPS = allowed

    response = client.get("/metrics", REMOTE_ADDR=address, **headers)

    assert response.status_code == expected
    assert (b"hoa_obligations" in response.content) is (expected == 200)


def test_by_default_only_loopback_may_scrape():
    assert django_settings.METRICS_ALLOWED_IPS == ["127.0.0.1", "::1"]


@pytest.mark.django_db
def test_requests_are_counted_and_timed_by_route_not_by_path(client):
    before = scrape(client)
    client.get("/health/live")
    client.get("/health/live")
    client.post("/health/live")
    client.get("/no-such-page/secret-token-123/")
    after = scrape(client)

    def grew(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("hoa_http_requests_total", method="GET", route="health/live", status="200") == 2
    assert grew("hoa_http_requests_total", method="POST", route="health/live", status="405") == 1
    assert grew("hoa_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert grew("hoa_http_request_duration_seconds_count", method="GET", route="health/live") == 2
    assert not any("secret-token-123" in str(labels) for _, labels in after)


@pytest.mark.django_db
def test_obligations_by_status_and_reminders_sent_reflect_the_rows(
    client, compliance_scenario, django_assert_num_queries
):
    compliance_scenario()  # prioritisation met, review open; its reminders planned
    reminders_send(on=REVIEW_DEADLINE - dt.timedelta(days=60))
    # 13 days before: the 30-day step was missed and is superseded by the 14-day one.
    reminders_send(on=REVIEW_DEADLINE - dt.timedelta(days=13))

    with django_assert_num_queries(2):  # one grouped query each, however many rows
        samples = scrape(client)

    obligations = {
        status: sample(samples, "hoa_obligations", status=status)
        for status in ObligationStatus.values
    }
    assert obligations == {**dict.fromkeys(ObligationStatus.values, 0), "met": 1, "open": 1}
    sent = {
        dict(labels)["days_before"]: value
        for (name, labels), value in samples.items()
        if name == "hoa_reminders_sent"
    }
    assert sent == {"60": 1, "14": 1}

    services.obligations_recompute(on=REVIEW_DEADLINE + dt.timedelta(days=1))

    samples = scrape(client)
    assert sample(samples, "hoa_obligations", status="open") == 0
    assert sample(samples, "hoa_obligations", status="missed") == 1


@pytest.mark.django_db
def test_task_runs_and_failures_without_a_broker_are_counted_in_process(client, settings):
    settings.CELERY_BROKER_URL = None
    before = scrape(client)
    metrics_probe.delay()
    metrics_probe.delay()
    assert run_failing_probe().failed()
    after = scrape(client)

    def grew(outcome):
        labels = {"task": PROBE, "outcome": outcome}
        return sample(after, "hoa_celery_task_runs_total", **labels) - sample(
            before, "hoa_celery_task_runs_total", **labels
        )

    assert (grew("succeeded"), grew("failed")) == (2, 1)


@pytest.fixture
def task_counts_in_redis(ops_redis, settings):
    """The test Redis's task counts, without this test's probe task in them before or after."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    def forget() -> None:
        for outcome in TASK_OUTCOMES:
            client.hdel(TASK_COUNTS_KEY.format(outcome=outcome), PROBE)

    forget()
    yield client
    forget()
    client.close()


@pytest.mark.django_db
def test_task_runs_with_a_broker_are_counted_in_redis_for_every_web_process(
    client, task_counts_in_redis
):
    metrics_probe.delay()  # eager in the tests: the signal fires where the task ran, as in a worker
    assert run_failing_probe().failed()

    samples = scrape(client)

    stored = task_counts_in_redis.hget(TASK_COUNTS_KEY.format(outcome="failed"), PROBE)
    assert int(stored) == 1  # where another machine's scrape reads it too
    assert sample(samples, "hoa_celery_task_runs_total", task=PROBE, outcome="succeeded") == 1
    assert sample(samples, "hoa_celery_task_runs_total", task=PROBE, outcome="failed") == 1
    assert sample(samples, "hoa_metrics_source_up", source="task_counts") == 1


@pytest.mark.django_db
def test_a_scrape_while_redis_is_away_still_answers_with_the_rest(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"

    samples = scrape(client)

    assert sample(samples, "hoa_metrics_source_up", source="task_counts") == 0
    assert sample(samples, "hoa_metrics_source_up", source="database") == 1
    assert ("hoa_obligations", (("status", "open"),)) in samples


COUNT_IN_A_WORKER = """
from hoa_portal.metrics import REQUESTS
REQUESTS.labels("GET", "multiprocess/probe", "200").inc({count})
"""


@pytest.mark.django_db
def test_with_a_multiprocess_directory_a_scrape_adds_up_every_worker_process(
    client, monkeypatch, tmp_path
):
    """gunicorn's workers are processes: each writes its counts to PROMETHEUS_MULTIPROC_DIR."""
    environment = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "hoa_portal.settings.test",
    }
    for count in (3, 4):
        subprocess.run(
            [sys.executable, "-c", COUNT_IN_A_WORKER.format(count=count)],
            env=environment,
            cwd=django_settings.BASE_DIR,
            check=True,
            timeout=60,
        )
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    samples = scrape(client)

    labels = {"method": "GET", "route": "multiprocess/probe", "status": "200"}
    assert sample(samples, "hoa_http_requests_total", **labels) == 7
    assert sample(samples, "hoa_obligations", status="open") == 0  # the database's, as ever
