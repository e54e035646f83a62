"""`/metrics` for Prometheus: requests and their latencies, Celery task runs and failures,
reminders sent and obligations by status.

Each kind of figure is kept where it can be counted across every process that makes it:
- requests, by the middleware below, in the process that served them; gunicorn runs several
  worker processes, so with PROMETHEUS_MULTIPROC_DIR set (an empty directory, wiped before
  gunicorn starts, as prometheus_client's multiprocess mode asks) each writes its counts there
  and a scrape of any worker adds up all of them;
- task runs, in Redis (the broker's), incremented by the Celery signals in hoa_portal.celery on
  whichever machine ran the task, read at scrape time; without a broker tasks run in-process and
  are counted in this process;
- reminders and obligations, read from the database at scrape time (one grouped query each).

Only the addresses in METRICS_ALLOWED_IPS (loopback by default) get an answer; anyone else gets
the portal's 404, as does a request relayed by a proxy (it carries X-Forwarded-For): behind a
proxy on the same machine every visitor would arrive from loopback.
"""

import ipaddress
import logging
import os
import threading
import time
from collections import Counter as Tally
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from hoa_portal.health import redis_client

logger = logging.getLogger(__name__)

# The methods Django serves; anything else is one label value, so no client can add series.
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED_ROUTE = "unmatched"
# Around the 200 ms p95 the pages are held to (README, bench-pages).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "hoa_http_requests",
    "Requests answered, by method, route pattern and status code.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "hoa_http_request_duration_seconds",
    "Time from the request reaching Django to its response leaving it, by route pattern.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)

# The text format generate_latest writes, which every Prometheus reads.
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"

TASK_OUTCOMES = ("succeeded", "failed", "retried")
TASK_COUNTS_KEY = "hoa_portal:metrics:celery:{outcome}"  # a hash: task name -> runs
_in_process_task_counts: Tally = Tally()  # (task name, outcome) -> runs, without a broker
_in_process_lock = threading.Lock()


class RequestMetricsMiddleware:
    """Counts and times every request, by the route pattern it matched (never its path: a path
    holds ids and tokens, and each would be a series of its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in KNOWN_METHODS else "OTHER"
        match = getattr(request, "resolver_match", None)
        route = str(match.route) if match and match.route else UNMATCHED_ROUTE
        REQUESTS.labels(method, route, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(method, route).observe(elapsed)
        return response


# --- Celery task runs ----------------------------------------------------------------------


def task_outcome_record(task_name: str, outcome: str) -> None:
    """Count one run of a task (called from the Celery signals, where the task ran).

    Never raises: a count lost while Redis is away must not fail the task that was counted.
    """
    broker_url = settings.CELERY_BROKER_URL
    if not broker_url:
        with _in_process_lock:
            _in_process_task_counts[(task_name, outcome)] += 1
        return
    try:
        redis_client(broker_url).hincrby(TASK_COUNTS_KEY.format(outcome=outcome), task_name, 1)
    except Exception as error:
        logger.warning("The run of %s was not counted (%s)", task_name, type(error).__name__)


def task_outcome_counts() -> dict[tuple[str, str], int]:
    broker_url = settings.CELERY_BROKER_URL
    if not broker_url:
        with _in_process_lock:
            return dict(_in_process_task_counts)
    client = redis_client(broker_url)
    with client.pipeline(transaction=False) as pipe:
        for outcome in TASK_OUTCOMES:
            pipe.hgetall(TASK_COUNTS_KEY.format(outcome=outcome))
        tallies = pipe.execute()
    return {
        (name.decode(), outcome): int(runs)
        for outcome, tally in zip(TASK_OUTCOMES, tallies, strict=True)
        for name, runs in tally.items()
    }


# --- Read at scrape time ---------------------------------------------------------------------


class PortalStateCollector:
    """The figures that live in the database and in Redis, read when Prometheus asks. A source
    that cannot be read is left out, and `hoa_metrics_source_up` says which."""

    def collect(self):
        up = GaugeMetricFamily(
            "hoa_metrics_source_up", "Whether this scrape could read a source.", labels=["source"]
        )
        for source, read in (("task_counts", self._task_runs), ("database", self._database)):
            try:
                families = list(read())
            except Exception as error:  # the other figures are still worth having
                logger.warning("Metrics: %s could not be read (%s)", source, type(error).__name__)
                up.add_metric([source], 0)
            else:
                up.add_metric([source], 1)
                yield from families
        yield up

    @staticmethod
    def _task_runs():
        runs = CounterMetricFamily(
            "hoa_celery_task_runs",
            "Celery task runs by task and outcome (succeeded, failed, retried), on every worker.",
            labels=["task", "outcome"],
        )
        for (task, outcome), value in sorted(task_outcome_counts().items()):
            runs.add_metric([task, outcome], value)
        yield runs

    @staticmethod
    def _database():
        from cbms.models import Obligation, ObligationStatus, Reminder

        by_status = dict(
            Obligation.objects.order_by()
            .values("status")
            .annotate(count=Count("pk"))
            .values_list("status", "count")
        )
        obligations = GaugeMetricFamily(
            "hoa_obligations", "Obligations by status, as last evaluated.", labels=["status"]
        )
        for status in ObligationStatus.values:
            obligations.add_metric([status], by_status.get(status, 0))
        yield obligations

        sent_by_step = dict(
            Reminder.objects.filter(sent_at__isnull=False, superseded=False)
            .order_by()
            .values("days_before")
            .annotate(count=Count("pk"))
            .values_list("days_before", "count")
        )
        # A gauge, not a counter: the rows go when their CBM is deleted.
        reminders = GaugeMetricFamily(
            "hoa_reminders_sent",
            "Reminders sent (superseded steps not included), by days before the deadline.",
            labels=["days_before"],
        )
        for days_before, count in sorted(sent_by_step.items()):
            reminders.add_metric([str(days_before)], count)
        yield reminders


# --- The view ----------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def allowed_networks(addresses: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(address, strict=False) for address in addresses)


def scraper_allowed(request) -> bool:
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    networks = allowed_networks(tuple(settings.METRICS_ALLOWED_IPS))
    return any(address in network for network in networks)


def _process_registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@require_safe
@never_cache
@transaction.non_atomic_requests
def metrics(request):
    if not scraper_allowed(request):
        raise Http404
    state = CollectorRegistry(auto_describe=False)
    state.register(PortalStateCollector())
    body = generate_latest(_process_registry()) + generate_latest(state)
    return HttpResponse(body, content_type=PROMETHEUS_TEXT)
