"""Fixtures for the compliance tests that need committed rows, a broker or a real worker."""

import datetime as dt
import logging
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from celery import signals
from django.conf import settings
from kombu import pools

from cbms.compliance import services
from cbms.models import CBM, ComplianceOutbox, Obligation
from conferences.models import Meeting, MeetingStatus, MinisterialConference
from hoa_portal.celery import app as celery_app
from members.models import Country, User
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import ConferenceFactory, RtgFactory, RtgRuleFactory
from tests.members.factories import CountryFactory, FocalPointFactory, SecretariatFactory

# One held conference opens the only cycle, 2015-01-01 to an estimated 2016-01-01: the
# prioritisation RTG is due by 2015-03-01 and the review RTG by 2015-09-01 (estimated).
CONFERENCE_DATE = dt.date(2015, 1, 1)
REVIEW_DEADLINE = dt.date(2015, 9, 1)
# Two months before the review deadline, so the review is stored `open`, not yet at risk.
BEFORE_THE_DEADLINE = REVIEW_DEADLINE - dt.timedelta(days=62)


@dataclass(frozen=True)
class Scenario:
    cbm: CBM
    lead_country: Country
    focal_point: User
    desk_officer: User
    conference: MinisterialConference
    prioritisation_rtg: Meeting

    @property
    def recipients(self) -> set[str]:
        return {self.focal_point.email, self.desk_officer.email}

    def obligation(self, kind: str) -> Obligation:
        return Obligation.objects.get(cbm=self.cbm, conference=self.conference, kind=kind)


def _no_nudge() -> None:
    """Stands in for the on-commit enqueue while a scenario is built."""


@pytest.fixture
def broker_backoff_reset(monkeypatch) -> None:
    """Forget a failed publish of an earlier test: the enqueue backs off process-wide after one."""
    monkeypatch.setattr(services, "_broker_down_until", 0.0, raising=False)


@pytest.fixture
def compliance_scenario(db, broker_backoff_reset) -> Callable[..., Scenario]:
    """Build a CBM led by one country whose obligations were last evaluated on `stored_on`.

    The lead country's focal point and the secretariat desk officer of the CBM both have an email
    address, so a status change notifies two people on two channels. The prioritisation RTG was
    held in its window (met); the review RTG never was, so it is `open` when stored on the default
    day and `missed` when a sweep runs today. The outbox is left empty and, while the rows are
    written, the saves nudge no worker: the test decides what runs and when.
    """

    def build(*, stored_on: dt.date | None = BEFORE_THE_DEADLINE) -> Scenario:
        with mock.patch.object(services, "_enqueue_drain", _no_nudge):
            lead_country = CountryFactory()
            focal_point = FocalPointFactory(country=lead_country)
            desk_officer = SecretariatFactory()
            conference = ConferenceFactory(number=1, date=CONFERENCE_DATE, host=lead_country)
            RtgRuleFactory(declaration__conference=conference)
            cbm = CBMFactory(desk_officer=desk_officer)
            LeadRoleFactory(cbm=cbm, country=lead_country)
            prioritisation_rtg = RtgFactory(
                cbm=cbm, date=dt.date(2015, 2, 1), status=MeetingStatus.HELD
            )
            services.obligations_recompute(on=stored_on)
            ComplianceOutbox.objects.all().delete()
        return Scenario(
            cbm=cbm,
            lead_country=lead_country,
            focal_point=focal_point,
            desk_officer=desk_officer,
            conference=conference,
            prioritisation_rtg=prioritisation_rtg,
        )

    return build


# --- A real broker ------------------------------------------------------------------------------


@pytest.fixture
def celery_broker_url() -> str:
    url = getattr(settings, "CELERY_TEST_BROKER_URL", None)
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI runs the worker tests on Redis: set CELERY_TEST_BROKER_URL.")
        pytest.skip("no broker: set CELERY_TEST_BROKER_URL")
    return broker_of_this_process(url)


def broker_of_this_process(url: str) -> str:
    """The Redis database this test process runs its workers on.

    Under pytest-xdist each process (gw0, gw1, ...) takes the database below the previous one's
    (15, 14, ...), so one process's worker never takes a task another process queued.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, _, database = url.rpartition("/")
    return f"{base}/{int(database or 0) - int(worker[2:])}"


def _reset_producer_pools() -> None:
    """Drop the app's cached connections so the next publish uses the current broker settings.

    kombu keeps its pools in a registry keyed by broker URL and options: close and forget them
    all, or the next test on the same broker would be handed a closed pool.
    """
    pools.reset()
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextmanager
def celery_on_broker(broker_url: str, *, keyprefix: str = "") -> Iterator[None]:
    """Publish to (and run workers on) `broker_url` instead of running tasks eagerly.

    The app reads its configuration from Django settings under the CELERY_ namespace, and a
    namespaced key wins over a plain one, so the overrides use the namespaced keys. A key prefix
    gives a test its own queues, unacked set and bindings inside a shared Redis database.
    """
    conf = celery_app.conf
    options = dict(conf.broker_transport_options or {})
    if keyprefix:
        options["global_keyprefix"] = keyprefix
    overrides = {
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": False,
        "CELERY_BROKER_TRANSPORT_OPTIONS": options,
        # The worker must not strip pytest's log capture from the root logger.
        "CELERY_WORKER_HIJACK_ROOT_LOGGER": False,
    }
    saved = {key: conf.changes[key] for key in overrides if key in conf.changes}
    _reset_producer_pools()
    conf.changes.update(overrides)
    try:
        yield
    finally:
        for key in overrides:
            if key in saved:
                conf.changes[key] = saved[key]
            else:
                conf.changes.pop(key, None)
        _reset_producer_pools()


class FinishedTasks:
    """Records each task a worker finishes, so a test waits for a task rather than sleeping."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.runs: list[tuple[str, str, str]] = []  # (task name, task id, state)

    def __call__(self, sender=None, task_id=None, state=None, **kwargs) -> None:
        with self._lock:
            self.runs.append((sender.name, task_id, state))
            self._lock.notify_all()

    def wait_for(self, task_id: str, timeout: float = 20) -> str:
        """The final state of the task with this id, once the worker has run it."""
        return self._wait(lambda runs: next((s for _, i, s in runs if i == task_id), None), timeout)

    def wait_for_count(self, name: str, count: int, timeout: float = 20) -> None:
        self._wait(lambda runs: sum(n == name for n, _, _ in runs) >= count or None, timeout)

    def _wait(self, found, timeout: float):
        deadline = time.monotonic() + timeout
        with self._lock:
            while (result := found(self.runs)) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no worker finished the task in {timeout}s: {self.runs}")
                self._lock.wait(remaining)
        return result


@pytest.fixture
def finished_tasks() -> Iterator[FinishedTasks]:
    recorder = FinishedTasks()
    signals.task_postrun.connect(recorder, weak=False)
    try:
        yield recorder
    finally:
        signals.task_postrun.disconnect(recorder)


@pytest.fixture
def celery_worker_on_redis(celery_broker_url) -> Callable:
    """A context manager: a real worker in a thread of this process, on Redis, tasks not eager.

    The worker thread opens its own database connection, so the tests must commit what it reads
    (`django_db(transaction=True)`); it shares this process's locmem `mail.outbox`.
    """
    from celery.contrib.testing.worker import start_worker

    import cbms.compliance.tasks  # noqa: F401  (register the tasks before the worker lists them)

    @contextmanager
    def running() -> Iterator[None]:
        prefix = f"test-{os.getpid()}-{time.monotonic_ns()}:"
        # Starting a worker sets Django up again, whose dictConfig replaces the root logger's
        # handlers, pytest's among them: put them back afterwards.
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        try:
            with (
                celery_on_broker(celery_broker_url, keyprefix=prefix),
                start_worker(
                    celery_app,
                    pool="solo",
                    perform_ping_check=False,
                    shutdown_timeout=30,
                    loglevel="WARNING",
                ),
            ):
                yield
        finally:
            # The test's keys live under their own prefix: leave nothing in the shared database.
            redis_keys_delete(celery_broker_url, f"{prefix}*")
            root.handlers[:] = handlers
            root.setLevel(level)

    return running


def redis_keys_delete(broker_url: str, pattern: str) -> None:
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        keys = list(client.scan_iter(match=pattern))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# --- Workers killed mid-task (RELIABILITY goal 20) ---------------------------------------------


class StallingSMTPServer(socketserver.ThreadingTCPServer):
    """A minimal SMTP server that counts the messages it acknowledged.

    Message number `stall_on` stalls after its final "." until `release()`: the worker sending it
    is then mid-task, inside the email send, with its Celery message unacknowledged. On release
    the stalled connection is dropped without the 250, so that email was never accepted.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.lock = threading.Lock()
        self.accepted: list[tuple[str, ...]] = []  # the recipients of each acknowledged message
        self.stalled = threading.Event()
        self.released = threading.Event()
        self.stall_on = 1
        self._messages = 0

    @property
    def port(self) -> int:
        return self.server_address[1]

    def release(self) -> None:
        self.released.set()

    def should_stall(self) -> bool:
        with self.lock:
            self._messages += 1
            return self._messages == self.stall_on

    def accepted_by_recipient(self) -> Counter:
        with self.lock:
            return Counter(address for message in self.accepted for address in message)


class _SMTPHandler(socketserver.StreamRequestHandler):
    server: StallingSMTPServer

    def handle(self) -> None:
        self.reply("220 localhost ESMTP test")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 localhost")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                if self.server.should_stall():
                    self.server.stalled.set()
                    self.server.released.wait(60)
                    return  # drop the connection: this message was never accepted
                with self.server.lock:
                    self.server.accepted.append(tuple(recipients))
                self.reply("250 OK: queued")
            elif verb == "RSET":
                recipients = []
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("250 OK")

    def reply(self, text: str) -> None:
        self.wfile.write(f"{text}\r\n".encode("ascii"))
        self.wfile.flush()


@pytest.fixture
def smtp_server():
    server = StallingSMTPServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    yield server
    server.release()
    server.shutdown()
    server.server_close()


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("a worker process needs a database server it can share: run on PostgreSQL")
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


# Short, so a message a killed worker left unacknowledged is redelivered within the test.
VISIBILITY_TIMEOUT = 10


class CeleryWorkers:
    """Worker processes on one throwaway queue of the real broker, each logging to its own file:
    for the tests that kill one with kill -9 mid-task and let another take the message back."""

    def __init__(self, *, broker_url: str, smtp_port: int, log_dir: Path):
        self.queue = f"test-kill9-{uuid.uuid4().hex}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hoa_portal.settings.base",
            "DEBUG": "true",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "LOG_LEVEL": "INFO",
        }
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self, name: str) -> subprocess.Popen:
        log = self.log_dir / f"{name}.log"
        self.logs.append(log)
        command = [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "hoa_portal",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            f"--queues={self.queue}",
            f"--hostname={name}-{self.queue}@%h",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ]
        with log.open("wb") as output:
            worker = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(worker)
        return worker

    def kill(self, worker: subprocess.Popen) -> float:
        """kill -9: the worker dies with its message unacknowledged. Returns when."""
        killed_at = time.time()
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(10) == -signal.SIGKILL
        return killed_at

    def start_for_redelivery(self, name: str, *, killed_at: float) -> subprocess.Popen:
        # kombu restores unacknowledged messages older than the visibility timeout when a worker
        # starts polling, and after that only every 100 s: start this one once it is due.
        time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 1 - time.time()))
        return self.start(name)

    def last_log(self) -> str:
        return self.logs[-1].read_text()

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-4000:]}" for log in self.logs)

    def wait_until(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"{what} within {timeout}s\n{self.output()}")
            time.sleep(0.2)

    def stop(self) -> None:
        for worker in self.processes:
            if worker.poll() is None:
                worker.terminate()
        for worker in self.processes:
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)


@pytest.fixture
def celery_workers(celery_broker_url, smtp_server, tmp_path) -> Iterator[CeleryWorkers]:
    workers = CeleryWorkers(
        broker_url=celery_broker_url, smtp_port=smtp_server.port, log_dir=tmp_path
    )
    redis_keys_delete(celery_broker_url, f"*{workers.queue}*")
    yield workers
    workers.stop()
    redis_keys_delete(celery_broker_url, f"*{workers.queue}*")
