"""Reminders at the boundaries of their schedule, stopped by a planned RTG and back when it is
cancelled, escalated to the desk, caught up once after missed beat days, never sent twice."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cbms.compliance.reminders import reminders_send
from cbms.compliance.services import compliance_daily, obligations_recompute
from cbms.models import ObligationStatus, Reminder, ReminderPolicy
from conferences.models import MeetingStatus
from members.models import Notification
from members.services import notifications_email
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.compliance.conftest import DEADLINE, days_before
from tests.conferences.factories import RtgFactory
from tests.members.factories import FocalPointFactory

pytestmark = pytest.mark.django_db


def run(on: dt.date):
    """What the daily run does on day `on`: evaluate, then send what is due."""
    obligations_recompute(on=on)
    return reminders_send(on=on)


def reminder_keys(world) -> set[str]:
    return {key for _, _, key in world.notices("reminder:")}


def test_an_open_obligation_gets_one_reminder_per_step_of_the_schedule(reminder_world):
    world = reminder_world()
    obligations_recompute(on=days_before(90))
    review = world.review()
    assert review.status == ObligationStatus.OPEN
    rows = list(
        review.reminders.order_by("-days_before").values_list("days_before", "due_on", "escalate")
    )
    assert rows == [
        (60, days_before(60), False),
        (30, days_before(30), False),
        (14, days_before(14), True),
        (7, days_before(7), True),
    ]
    # The prioritisation RTG was held (met): nothing to remind of there.
    assert Reminder.objects.count() == 4


def test_the_sixty_day_reminder_is_not_due_at_61_days_sent_at_60_and_not_again_at_59(
    reminder_world,
):
    world = reminder_world()
    assert run(days_before(61)).sent == 0
    assert not world.notices("reminder:")

    report = run(days_before(60))
    review_key = f"reminder:{world.review().pk}:60"
    assert (report.sent, report.superseded, report.notices) == (1, 0, 2)
    # The lead country's focal point, on both channels; not yet the desk, not another country.
    assert world.notices("reminder:") == {
        (world.focal_point.username, "email", review_key),
        (world.focal_point.username, "portal", review_key),
    }

    assert run(days_before(59)).sent == 0
    assert reminder_keys(world) == {review_key}


def test_the_text_says_what_is_due_by_when_and_links_to_scheduling_it(reminder_world):
    world = reminder_world()
    run(days_before(30))
    notice = Notification.objects.get(channel="portal", event_key__startswith="reminder:")
    assert notice.subject == (
        "CT: the review RTG is due by 9 Aug 2020 (estimated) (in 30 days); nothing is scheduled yet"
    )
    assert notice.link == f"/meetings/new/?cbm={world.cbm.pk}&kind=rtg&status=planned"
    assert "Counter Terrorism" in notice.body


@pytest.fixture
def fifteen_and_fourteen(db):
    ReminderPolicy.objects.create(pk=1, days_before=[15, 14], escalate_within_days=14)


def test_fourteen_days_before_escalates_to_the_desk_fifteen_does_not(
    reminder_world, fifteen_and_fourteen
):
    world = reminder_world()
    run(days_before(15))
    fifteen = f"reminder:{world.review().pk}:15"
    assert world.notices("reminder:") == {
        (world.focal_point.username, channel, fifteen) for channel in ("email", "portal")
    }

    run(days_before(14))
    fourteen = f"reminder:{world.review().pk}:14"
    assert world.notices(fourteen) == {
        (user.username, channel, fourteen)
        for user in (world.focal_point, world.desk_officer)
        for channel in ("email", "portal")
    }
    assert "desk" in Notification.objects.filter(event_key=fourteen).first().body


def test_on_the_deadline_day_the_last_step_is_sent_and_the_day_after_nothing(reminder_world):
    world = reminder_world()
    run(days_before(8))  # the 14-day step, caught up (30 and 60 superseded)
    on_the_day = run(DEADLINE)
    assert world.review().status == ObligationStatus.AT_RISK
    assert (on_the_day.sent, on_the_day.superseded) == (1, 0)
    seven = Notification.objects.get(
        channel="portal", event_key=f"reminder:{world.review().pk}:7", recipient=world.focal_point
    )
    assert "(today)" in seven.subject
    sent = set(Reminder.objects.filter(sent_at__isnull=False).values_list("days_before", flat=True))
    assert sent == {60, 30, 14, 7}

    before = Notification.objects.filter(event_key__startswith="reminder:").count()
    assert run(DEADLINE + dt.timedelta(days=1)).sent == 0
    assert world.review().status == ObligationStatus.MISSED
    assert Notification.objects.filter(event_key__startswith="reminder:").count() == before


def test_the_day_after_the_deadline_an_unsent_reminder_is_retired_not_sent(reminder_world):
    world = reminder_world()
    obligations_recompute(on=days_before(90))
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 4

    assert run(DEADLINE + dt.timedelta(days=1)).sent == 0
    assert world.review().status == ObligationStatus.MISSED
    assert not Reminder.objects.exists()
    assert not world.notices("reminder:")


def test_a_planned_rtg_stops_the_reminders_and_cancelling_it_brings_them_back(reminder_world):
    world = reminder_world()
    run(days_before(60))
    planned = RtgFactory(cbm=world.cbm, date=days_before(5), status=MeetingStatus.PLANNED)

    assert run(days_before(30)).sent == 0
    assert world.review().status == ObligationStatus.SCHEDULED
    # The step already sent stays, as a record; the others are gone.
    assert [(r.days_before, r.sent_at is None) for r in Reminder.objects.all()] == [(60, False)]

    planned.status = MeetingStatus.CANCELLED
    planned.save()
    report = run(days_before(29))
    assert world.review().status == ObligationStatus.AT_RISK
    assert (report.sent, report.superseded) == (1, 0)
    assert reminder_keys(world) == {
        f"reminder:{world.review().pk}:60",
        f"reminder:{world.review().pk}:30",
    }
    assert set(
        Reminder.objects.filter(sent_at__isnull=True).values_list("days_before", flat=True)
    ) == {14, 7}


def test_an_rtg_held_in_the_window_stops_the_reminders(reminder_world):
    world = reminder_world()
    run(days_before(60))
    RtgFactory(cbm=world.cbm, date=days_before(40), status=MeetingStatus.HELD)
    assert run(days_before(30)).sent == 0
    assert world.review().status == ObligationStatus.MET
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()


def test_a_rerun_sends_nothing_twice(reminder_world):
    world = reminder_world()
    compliance_daily(on=days_before(14))
    first = notifications_email()
    counts = (Notification.objects.count(), len(mail.outbox))
    assert first == 2  # focal point and desk, one email each

    again = compliance_daily(on=days_before(14))
    assert (again.sent.sent, again.sent.notices) == (0, 0)
    assert notifications_email() == 0
    assert (Notification.objects.count(), len(mail.outbox)) == counts
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.focal_point.email, world.desk_officer.email]
    )


def test_forty_missed_beat_days_catch_up_with_one_notice_not_one_per_step(reminder_world):
    world = reminder_world()
    run(days_before(61))  # the last run before beat stopped
    report = run(days_before(21))  # 40 days later: the 60- and 30-day steps are both overdue
    assert (report.sent, report.superseded) == (1, 1)
    assert reminder_keys(world) == {f"reminder:{world.review().pk}:30"}
    sixty = Reminder.objects.get(days_before=60)
    assert sixty.superseded and sixty.sent_at is not None
    # Each missed day run afterwards changes nothing.
    for late in range(20, 14, -1):
        assert run(days_before(late)).sent == 0
    assert len(reminder_keys(world)) == 1


def test_a_policy_change_replans_unsent_reminders_at_once(reminder_world, secretariat):
    from cbms.compliance.reminders import reminder_policy_update

    world = reminder_world()
    run(days_before(60))
    reminder_policy_update(days_before=[45, 20, 5], escalate_within_days=20, actor=secretariat)
    rows = {
        (r.days_before, r.due_on, r.escalate, r.sent_at is None)
        for r in world.review().reminders.all()
    }
    assert rows == {
        (60, days_before(60), False, False),  # sent: stays as it went out
        (45, days_before(45), False, True),
        (20, days_before(20), True, True),
        (5, days_before(5), True, True),
    }
    # The 45-day step is already overdue: the next run sends it, once.
    assert run(days_before(44)).sent == 1
    assert reminder_keys(world) == {f"reminder:{world.review().pk}:{d}" for d in (60, 45)}


def _cbms_with_reminders_due(n: int) -> None:
    for _ in range(n):
        cbm = CBMFactory()
        lead = LeadRoleFactory(cbm=cbm, since=dt.date(2012, 6, 14))
        FocalPointFactory(country=lead.country)
        RtgFactory(cbm=cbm, date=dt.date(2020, 1, 15), status=MeetingStatus.HELD)


def _send_queries(on: dt.date) -> int:
    with CaptureQueriesContext(connection) as context:
        report = reminders_send(on=on)
    assert report.sent > 0
    return len(context.captured_queries)


def test_sending_takes_the_same_queries_for_one_reminder_and_many(reminder_world):
    reminder_world()
    obligations_recompute(on=days_before(30))
    few = _send_queries(days_before(30))

    _cbms_with_reminders_due(4)
    obligations_recompute(on=days_before(14))
    assert Reminder.objects.filter(sent_at__isnull=True, due_on__lte=days_before(14)).count() > 5
    many = _send_queries(days_before(14))
    assert many == few


def _plan_queries(on: dt.date) -> int:
    with CaptureQueriesContext(connection) as context:
        obligations_recompute(on=on)
    return len(context.captured_queries)


def test_planning_reminders_takes_the_same_queries_for_one_cbm_and_many(reminder_world):
    reminder_world()
    _plan_queries(days_before(90))
    few = _plan_queries(days_before(89))
    _cbms_with_reminders_due(4)
    _plan_queries(days_before(88))  # the new CBMs' reminders are created here
    assert Reminder.objects.count() == 5 * 4
    many = _plan_queries(days_before(87))
    assert many == few
