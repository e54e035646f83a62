"""Reminders on a real broker: a worker killed with kill -9 while sending them has the task
redelivered, and each person gets the reminder email exactly once (RELIABILITY goal 20)."""

import datetime as dt
from collections import Counter

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from cbms.compliance.services import obligations_recompute
from cbms.compliance.tasks import reminders_send
from cbms.models import ComplianceOutbox, ObligationKind, ObligationStatus, Reminder
from members.models import Notification, NotificationChannel
from tests.cbms.conftest import celery_on_broker
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import ConferenceFactory, RtgRuleFactory
from tests.members.factories import CountryFactory, FocalPointFactory, SecretariatFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


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
    stall_on, no_nudge, celery_broker_url, smtp_server, celery_workers
):
    recipients = _reminder_due_today(no_nudge)
    smtp_server.stall_on = stall_on
    with celery_on_broker(celery_broker_url):
        task = reminders_send.apply_async(queue=celery_workers.queue)

    first = celery_workers.start("first")
    celery_workers.wait_until(
        smtp_server.stalled.is_set, 30, "the first worker did not reach the email send"
    )
    killed_at = celery_workers.kill(first)
    smtp_server.release()
    # The reminder's notices and its mark committed together before any email went out.
    assert Reminder.objects.filter(sent_at__isnull=False, superseded=False).count() == 1
    assert Notification.objects.filter(channel=NotificationChannel.EMAIL).count() == 2
    assert smtp_server.accepted_by_recipient().total() == stall_on - 1

    celery_workers.start_for_redelivery("second", killed_at=killed_at)
    celery_workers.wait_until(
        lambda: not Notification.objects.email_pending().exists(),
        40,
        "the task was not redelivered and finished",
    )
    celery_workers.wait_until(
        lambda: f"reminders_send[{task.id}] succeeded" in celery_workers.last_log(),
        10,
        "the second worker did not log the redelivered task",
    )
    assert smtp_server.accepted_by_recipient() == Counter(dict.fromkeys(recipients, 1)), (
        celery_workers.output()
    )
    # The redelivered run found the reminder sent: no second notice, no second step.
    assert Notification.objects.count() == 4
    assert Reminder.objects.filter(sent_at__isnull=False, superseded=False).count() == 1
