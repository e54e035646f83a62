"""Reminders on a real broker: a worker killed with kill -9 while sending them has the task
redelivered, and each person gets the reminder email exactly once (RELIABILITY goal 20)."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone

from cbms.compliance.services import obligations_recompute
from cbms.compliance.tasks import reminders_send
from cbms.models import ComplianceOutbox, ObligationKind, ObligationStatus, Reminder
from members.models import Notification, NotificationChannel
from tests.cbms.conftest import celery_on_broker, redis_keys_delete
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.cbms.test_celery_worker import _database_url
from tests.conferences.factories import ConferenceFactory, RtgRuleFactory
from tests.members.factories import CountryFactory, FocalPointFactory, SecretariatFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
VISIBILITY_TIMEOUT = 10


def _reminder_due_today(no_nudge) -> set[str]:
    """A CBM whose review RTG is due in about ten days with nothing planned: today the 14-day
    step is due, and it escalates, so the focal point and the desk each get one email."""
    today = timezone.localdate()
    country = CountryFactory()
    focal_point = FocalPointFactory(country=country)
    desk = SecretariatFactory()
    opened = ConferenceFactory(number=1, date=today - dt.timedelta(days=200), host=country)
    RtgRuleFactory(declaration__conference=opened, effective_from=opened.date)
    next_day = today + dt.timedelta(days=10) + relativedelta(months=4)
    ConferenceFactory(number=2, date=next_day, status="planned", host=country)
    cbm = CBMFactory(approved_on=dt.date(2012, 6, 14), desk_officer=desk)
    LeadRoleFactory(cbm=cbm, country=country, since=dt.date(2012, 6, 14))
    ComplianceOutbox.objects.all().delete()
    obligations_recompute(on=today)
    review = cbm.obligations.get(kind=ObligationKind.REVIEW)
    assert review.status == ObligationStatus.AT_RISK
    assert 7 <= (review.deadline - today).days <= 10
    return {focal_point.email, desk.email}


@pytest.mark.parametrize(
    "stall_on",
    [
        pytest.param(1, id="killed-sending-the-first-email"),
        pytest.param(2, id="killed-after-one-email-was-accepted"),
    ],
)
def test_a_worker_killed_mid_send_has_it_redelivered_and_emails_each_person_once(
    stall_on,
    no_nudge,
    celery_broker_url,
    smtp_server,
    tmp_path,
):
    recipients = _reminder_due_today(no_nudge)
    smtp_server.stall_on = stall_on
    queue = f"test-kill9-reminders-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hoa_portal.settings.base",
        "DEBUG": "true",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": celery_broker_url,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        "LOG_LEVEL": "INFO",
    }
    workers: list[subprocess.Popen] = []
    logs: list[Path] = []

    def start_worker(name: str) -> subprocess.Popen:
        log = tmp_path / f"{name}.log"
        logs.append(log)
        command = [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "hoa_portal",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            f"--queues={queue}",
            f"--hostname={name}-{queue}@%h",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ]
        with log.open("wb") as output:
            worker = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        workers.append(worker)
        return worker

    def worker_logs() -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-4000:]}" for log in logs)

    def wait_until(condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"{what} within {timeout}s\n{worker_logs()}")
            time.sleep(0.2)

    redis_keys_delete(celery_broker_url, f"*{queue}*")
    try:
        with celery_on_broker(celery_broker_url):
            task = reminders_send.apply_async(queue=queue)

        first = start_worker("first")
        wait_until(smtp_server.stalled.is_set, 30, "the first worker did not reach the email send")
        stalled_at = time.time()
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
        smtp_server.release()
        # The reminder's notices and its mark committed together before any email went out.
        assert Reminder.objects.filter(sent_at__isnull=False, superseded=False).count() == 1
        assert Notification.objects.filter(channel=NotificationChannel.EMAIL).count() == 2
        assert smtp_server.accepted_by_recipient().total() == stall_on - 1

        time.sleep(max(0.0, stalled_at + VISIBILITY_TIMEOUT + 1 - time.time()))
        start_worker("second")
        wait_until(
            lambda: not Notification.objects.email_pending().exists(),
            40,
            "the task was not redelivered and finished",
        )
        wait_until(
            lambda: f"reminders_send[{task.id}] succeeded" in logs[-1].read_text(),
            10,
            "the second worker did not log the redelivered task",
        )
        assert smtp_server.accepted_by_recipient() == Counter(dict.fromkeys(recipients, 1)), (
            worker_logs()
        )
        # The redelivered run found the reminder sent: no second notice, no second step.
        assert Notification.objects.count() == 4
        assert Reminder.objects.filter(sent_at__isnull=False, superseded=False).count() == 1
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)
        redis_keys_delete(celery_broker_url, f"*{queue}*")
