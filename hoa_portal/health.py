"""What a load balancer asks an instance: is the process up (`/health/live`), and can it serve
(`/health/ready`: the database, the broker, and a beat that is still sending the periodic tasks).

Both answer JSON, are never cached, read no session and need no CSRF token, and production
exempts them from the HTTPS redirect (a probe inside the network speaks plain HTTP). They take
no transaction (ATOMIC_REQUESTS would open one, and a connection, before the view could catch
a database that is down). A failed check is named in the answer, never described: no URL, host
or exception text reaches the probe; the log has the exception's class.
"""

import copy
import datetime as dt
import json
import logging
from collections.abc import Callable
from functools import lru_cache

import redis
from celery.schedules import maybe_schedule
from django.conf import settings
from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from redbeat.decoder import RedBeatJSONDecoder

logger = logging.getLogger(__name__)

# A probe answers within about a second even when Redis accepts and never replies.
REDIS_TIMEOUT_SECONDS = 0.5
# The most frequent periodic task may be this many of its periods late before the beat is
# taken for stopped: one period lost to a slow tick or a restart is not an outage.
BEAT_GRACE_PERIODS = 2
DEFAULT_REDBEAT_KEY_PREFIX = "redbeat:"

OK = "ok"
IN_PROCESS = "in-process"  # no broker: tasks run in the web process, and no beat is expected
UNREACHABLE = "unreachable"
FAILED = "failed"
NEVER_RAN = "never-ran"
STALE = "stale"


@lru_cache(maxsize=8)
def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per Redis URL and process, with short timeouts."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        retry_on_timeout=False,
    )


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # whatever failed, this instance is not ready
        logger.warning("Readiness: the database check failed (%s)", type(error).__name__)
        return FAILED
    return OK


def broker_status() -> str:
    broker_url = settings.CELERY_BROKER_URL
    if not broker_url:
        return IN_PROCESS
    try:
        redis_client(broker_url).ping()
    except Exception as error:
        logger.warning("Readiness: the broker did not answer a PING (%s)", type(error).__name__)
        return UNREACHABLE
    return OK


def schedule_period(entry_schedule, now: dt.datetime) -> dt.timedelta:
    """The time between two runs of a beat schedule (an interval, a crontab...): the gap between
    its next two run times after `now`."""
    # A schedule tells how long from its clock's now until the run after a given last run, so
    # its clock is set to each of the two moments in turn (on a copy: settings' own is shared).
    schedule = copy.copy(maybe_schedule(entry_schedule))
    schedule.nowfun = lambda: now
    first = now + schedule.remaining_estimate(now)
    schedule.nowfun = lambda: first
    second = first + schedule.remaining_estimate(first)
    return second - first


def most_frequent_entries(beat_schedule: dict, now: dt.datetime) -> tuple[list[str], dt.timedelta]:
    """The names of the periodic tasks that run most often, and their period."""
    periods = {
        name: schedule_period(entry["schedule"], now) for name, entry in beat_schedule.items()
    }
    shortest = min(periods.values())
    return sorted(name for name, period in periods.items() if period == shortest), shortest


def last_beat_run(client: redis.Redis, key_prefix: str, names: list[str]) -> dt.datetime | None:
    """The latest run of these entries that celery-redbeat recorded (its entry's `meta`)."""
    with client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.hget(f"{key_prefix}{name}", "meta")
        metas = pipe.execute()
    runs = []
    for meta in filter(None, metas):
        last_run_at = json.loads(meta, cls=RedBeatJSONDecoder).get("last_run_at")
        if last_run_at is not None:
            runs.append(last_run_at if last_run_at.tzinfo else last_run_at.replace(tzinfo=dt.UTC))
    return max(runs, default=None)


def beat_status(*, broker: str) -> str:
    """Whether the beat's most frequent periodic task last ran within its grace."""
    beat_schedule = settings.CELERY_BEAT_SCHEDULE
    if broker == IN_PROCESS or not beat_schedule:
        return IN_PROCESS
    redbeat_url = getattr(settings, "CELERY_REDBEAT_REDIS_URL", None) or settings.CELERY_BROKER_URL
    if broker == UNREACHABLE and redbeat_url == settings.CELERY_BROKER_URL:
        return UNREACHABLE  # the same Redis: asking again would only wait for it again
    key_prefix = getattr(settings, "CELERY_REDBEAT_KEY_PREFIX", DEFAULT_REDBEAT_KEY_PREFIX)
    now = dt.datetime.now(dt.UTC)
    names, period = most_frequent_entries(beat_schedule, now)
    try:
        last_run = last_beat_run(redis_client(redbeat_url), key_prefix, names)
    except Exception as error:
        logger.warning(
            "Readiness: the beat's schedule could not be read (%s)", type(error).__name__
        )
        return UNREACHABLE
    if last_run is None:
        return NEVER_RAN
    allowed = BEAT_GRACE_PERIODS * period
    if now - last_run > allowed:
        logger.warning("Readiness: the beat last ran %s ago (%s allowed)", now - last_run, allowed)
        return STALE
    return OK


HEALTHY = {OK, IN_PROCESS}


def _probe(view: Callable) -> Callable:
    return require_safe(csrf_exempt(never_cache(transaction.non_atomic_requests(view))))


@_probe
def live(request):
    """The process answers: nothing else is asked, so a slow database never restarts it."""
    return JsonResponse({"status": OK})


@_probe
def ready(request):
    broker = broker_status()
    checks = {"database": database_status(), "broker": broker, "beat": beat_status(broker=broker)}
    failed = [name for name, status in checks.items() if status not in HEALTHY]
    if failed:
        return JsonResponse(
            {"status": "unavailable", "failed": failed, "checks": checks}, status=503
        )
    return JsonResponse({"status": OK, "checks": checks})
