"""Two beats for three periods: each periodic task ran once per period (issue 16).

Two real beat processes start together on the real Redis with the real settings (celery-redbeat
and its lock), on a test-only schedule of one task every two seconds (tests/ops/beat_app.py).
One takes the lock and sends; the other waits. When the sender stops, the waiting one takes
over where it left off, sending nothing twice. The readiness check reads the same schedule.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

from hoa_portal import health
from tests.cbms.conftest import redis_keys_delete

PERIOD = 2.0
ENTRY = "ops-beat-test-tick"
# A beat sends when an entry is due, within its tick's latency: a send this close to the one
# before it belongs to the same period.
TOO_CLOSE = 0.75 * PERIOD


class Beats:
    def __init__(self, *, broker_url: str, log_dir: Path):
        self.prefix = f"test-beat-{uuid.uuid4().hex}:"
        self.broker_url = broker_url
        self.redis = redis.Redis.from_url(broker_url)
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopped: set[str] = set()  # by the test, not by a failure
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hoa_portal.settings.base",
            "DEBUG": "true",
            "CELERY_BROKER_URL": broker_url,
            "OPS_BEAT_TEST_PREFIX": self.prefix,
        }

    def start(self, name: str) -> None:
        # No -S: the scheduler and its lock are the settings' own, the ones `make beat` uses.
        command = [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "tests.ops.beat_app",
            "beat",
            "--loglevel=INFO",
        ]
        with (self.log_dir / f"{name}.log").open("wb") as log:
            self.processes[name] = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def sends(self) -> list[dict]:
        return [json.loads(raw) for raw in self.redis.lrange(f"{self.prefix}sends", 0, -1)]

    def queued(self) -> int:
        return self.redis.llen(f"{self.prefix}queue")

    def wait_for_sends(self, count: int, timeout: float) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(sends := self.sends()) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"{len(sends)} sends of {count} within {timeout}s\n{self.output()}")
            for name, process in self.processes.items():
                if process.poll() is not None and name not in self.stopped:
                    pytest.fail(f"beat {name} exited with {process.returncode}\n{self.output()}")
            time.sleep(0.1)
        return sends

    def name_of(self, pid: int) -> str:
        return next(name for name, process in self.processes.items() if process.pid == pid)

    def terminate(self, name: str) -> None:
        """As systemd stops a beat: SIGTERM, and the beat releases its lock on the way out."""
        self.stopped.add(name)
        process = self.processes[name]
        process.send_signal(signal.SIGTERM)
        process.wait(20)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text()

    def output(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-3000:]}" for name in self.processes)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        # The prefix's keys, and kombu's binding of the test's queue.
        redis_keys_delete(self.broker_url, f"*{self.prefix}*")
        self.redis.close()


@pytest.fixture
def beats(celery_broker_url, tmp_path) -> Iterator[Beats]:
    running = Beats(broker_url=celery_broker_url, log_dir=tmp_path)
    yield running
    running.stop()


def one_send_per_period(times: list[float], periods: int) -> list[int]:
    """How many sends fell in each of the first `periods` periods from the first send."""
    start = times[0] - PERIOD / 2
    return [
        sum(start + k * PERIOD <= t < start + (k + 1) * PERIOD for t in times)
        for k in range(periods)
    ]


def test_two_beats_for_three_periods_each_periodic_task_ran_once_per_period(beats, settings):
    beats.start("first")
    beats.start("second")

    # Three periods from the first send, and the send that opens the fourth.
    first_sends = beats.wait_for_sends(1, timeout=60)
    time.sleep(3 * PERIOD + PERIOD / 4 - (time.time() - first_sends[0]["at"]))
    sends = beats.sends()
    times = [send["at"] for send in sends]

    assert one_send_per_period(times, 3) == [1, 1, 1], beats.output()
    assert len(sends) == 4, beats.output()
    assert all(b - a > TOO_CLOSE for a, b in zip(times, times[1:], strict=False)), times
    # One beat sent them all; the other is alive and waiting for the lock.
    senders = {beats.name_of(send["pid"]) for send in sends}
    assert len(senders) == 1
    (holder,) = senders
    waiting = "second" if holder == "first" else "first"
    assert beats.processes[waiting].poll() is None
    assert "Acquired lock" in beats.log(holder)
    assert "Acquired lock" not in beats.log(waiting)
    assert beats.queued() == len(sends)  # each send reached the broker

    # The readiness check reads the beat's own record of its last run.
    settings.CELERY_BROKER_URL = beats.broker_url
    settings.CELERY_REDBEAT_REDIS_URL = beats.broker_url
    settings.CELERY_REDBEAT_KEY_PREFIX = f"{beats.prefix}redbeat:"
    settings.CELERY_BEAT_SCHEDULE = {ENTRY: {"task": "x", "schedule": PERIOD}}
    assert health.beat_status(broker=health.OK) == health.OK

    # The holder stops: the other takes the lock and goes on, one send per period still.
    beats.terminate(holder)
    handed_over = beats.wait_for_sends(len(sends) + 2, timeout=30)
    times = [send["at"] for send in handed_over]
    assert beats.name_of(handed_over[-1]["pid"]) == waiting
    assert "Acquired lock" in beats.log(waiting)
    assert all(b - a > TOO_CLOSE for a, b in zip(times, times[1:], strict=False)), times

    # Both stopped: two periods on, the readiness check says the beat is stale.
    beats.terminate(waiting)
    last = beats.sends()[-1]["at"]
    time.sleep(max(0.0, last + health.BEAT_GRACE_PERIODS * PERIOD + 0.5 - time.time()))
    assert health.beat_status(broker=health.OK) == health.STALE
