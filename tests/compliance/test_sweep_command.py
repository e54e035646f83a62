"""`manage.py compliance_sweep [--on YYYY-MM-DD]`: the daily run now, for operators and drills."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from cbms.models import Reminder
from members.models import EmailDelivery, Notification
from tests.compliance.conftest import days_before

pytestmark = pytest.mark.django_db


def sweep(*args: str) -> str:
    out = StringIO()
    call_command("compliance_sweep", *args, stdout=out)
    return out.getvalue()


def test_on_a_day_evaluates_and_sends_as_if_it_were_today(reminder_world):
    world = reminder_world()
    on = days_before(14).isoformat()

    output = sweep("--on", on)

    assert f"Compliance sweep as on {on}:" in output
    assert "1 CBMs evaluated, 2 obligations stored" in output
    assert "reminders planned: 4 new" in output
    assert "reminders sent: 1 (2 earlier steps superseded), 4 notices" in output
    assert "emails sent: 2" in output
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.focal_point.email, world.desk_officer.email]
    )
    assert Reminder.objects.filter(days_before=14, sent_at__isnull=False).exists()

    again = sweep("--on", on)
    assert "reminders sent: 0" in again and "emails sent: 0" in again
    assert len(mail.outbox) == 2


def test_without_on_it_evaluates_today(reminder_world):
    reminder_world()
    output = sweep()
    assert "1 CBMs evaluated" in output
    # Today the review window has long closed: missed, first stored so, no one told.
    assert not Notification.objects.exists()


@pytest.mark.parametrize("bad", ["2020-13-01", "yesterday", "09/08/2020", ""])
def test_a_bad_date_is_a_clear_error(db, bad):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        sweep("--on", bad)


def test_a_digest_reader_gets_the_days_digest_from_the_same_run(reminder_world):
    """A drill sends everything the day sends: here the focal point reads a daily digest."""
    world = reminder_world()
    world.focal_point.email_delivery = EmailDelivery.DIGEST
    world.focal_point.save(update_fields=["email_delivery"])

    output = sweep("--on", days_before(14).isoformat())

    assert "emails sent: 1, digest emails: 1" in output
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.focal_point.email, world.desk_officer.email]
    )
    assert "digest emails: 0" in sweep("--on", days_before(14).isoformat())
