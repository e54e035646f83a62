"""Fixtures for the operations tests: a real Redis for the broker and the beat's schedule, an
address where nothing answers, and one where something listens and never replies."""

import datetime as dt
import json
import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from redbeat.decoder import RedBeatJSONEncoder

from tests.cbms.conftest import (  # noqa: F401  (fixtures, shared)
    broker_backoff_reset,
    celery_broker_url,
    compliance_scenario,
    redis_keys_delete,
)


@pytest.fixture
def ops_redis(settings, celery_broker_url) -> Iterator[str]:  # noqa: F811
    """The broker and the beat's schedule on the test Redis, under a key prefix of this test's.

    Returns the beat's key prefix."""
    prefix = f"test-ops-{os.getpid()}-{time.monotonic_ns()}:"
    settings.CELERY_BROKER_URL = celery_broker_url
    settings.CELERY_REDBEAT_REDIS_URL = celery_broker_url
    settings.CELERY_REDBEAT_KEY_PREFIX = prefix
    yield prefix
    redis_keys_delete(celery_broker_url, f"{prefix}*")


def beat_entry_ran(redis_url: str, key: str, *, at: dt.datetime) -> None:
    """Record a run of a beat entry as celery-redbeat records one: its hash's `meta` field."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.hset(key, "meta", json.dumps({"last_run_at": at}, cls=RedBeatJSONEncoder))
    finally:
        client.close()


def free_port() -> int:
    """A loopback port with nothing listening on it (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word: a hung Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for connection in accepted:
        connection.close()
    server.close()
