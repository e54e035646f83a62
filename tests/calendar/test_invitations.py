"""RTG invitations as a calendar client sees them: the .ics attached to each email (METHOD, UID,
SEQUENCE, ATTENDEE, DTSTART), who receives it, nothing sent twice, and a broker that is down."""

import datetime as dt
import logging

import icalendar
import pytest
from django.core import mail
from django.db import transaction

from cbms.compliance import invitations, services
from cbms.compliance.calendar import meeting_uid
from cbms.compliance.tasks import invitations_send as invitations_send_task
from cbms.models import CBMRole, Invitation, InvitationDelivery, RoleKind
from conferences.models import MeetingKind, MeetingStatus
from tests.calendar.conftest import no_email
from tests.cbms.conftest import celery_on_broker
from tests.conferences.factories import RtgFactory
from tests.members.factories import FocalPointFactory


def _attached(message) -> icalendar.Calendar:
    (part,) = message.attachments
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") in ("REQUEST", "CANCEL")
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def _event(message) -> tuple[icalendar.Calendar, icalendar.Event]:
    calendar = _attached(message)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def _attendees(event) -> set[str]:
    found = event.get("attendee", [])
    found = found if isinstance(found, list) else [found]
    return {str(address).removeprefix("mailto:") for address in found}


@pytest.fixture
def schedule(cal, django_capture_on_commit_callbacks, monkeypatch):
    """Save through a committed transaction, as a page, the API or the admin does: the send
    queued on commit runs (in-process: no broker in the tests). The compliance re-evaluation
    the same edit asks for is left out: its notices are other emails."""
    monkeypatch.setattr(services, "_enqueue_drain", lambda: None)

    def run(action):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            result = action()
        return result

    return run


def _plan(cal, **fields):
    values = {"cbm": cal.cbm, "date": dt.date(2030, 5, 20), "city": "Hamburg", "host": cal.germany}
    return RtgFactory(status=MeetingStatus.PLANNED, **{**values, **fields})


def _to(messages) -> set[str]:
    return {address for message in messages for address in message.to}


def test_scheduling_an_rtg_invites_the_lead_and_supporting_focal_points_and_the_desk(cal, schedule):
    meeting = schedule(lambda: _plan(cal))
    expected = {cal.focal_fr.email, cal.focal_de.email, cal.desk.email}
    assert _to(mail.outbox) == expected and len(mail.outbox) == 3
    calendar, event = _event(mail.outbox[0])
    assert str(calendar["method"]) == "REQUEST"
    assert str(event["uid"]) == meeting_uid(meeting.pk)
    assert event.decoded("sequence") == 0
    assert event.decoded("dtstart") == dt.date(2030, 5, 20)
    assert str(event["location"]) == "Hamburg, Germany"
    assert str(event["organizer"]) == "mailto:secretariat@localhost"
    assert _attendees(event) == expected
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Asia/Kabul"
    assert "Invitation: DM&EP RTG on 20 May 2030" in mail.outbox[0].subject
    assert f"/meetings/{meeting.pk}/" in mail.outbox[0].body
    # Recorded: one invitation, one delivery per recipient, all sent.
    invitation = Invitation.objects.get(meeting_pk=meeting.pk)
    assert invitation.deliveries.filter(sent_at__isnull=False).count() == 3


def test_those_not_concerned_or_without_email_are_not_invited(cal, schedule):
    no_email(cal.focal_de)
    inactive = FocalPointFactory(country=cal.france, is_active=False)
    # A supporting role that ended before the meeting's day does not count.
    former = FocalPointFactory(username="focal-es", country=cal.focal_it.country)
    CBMRole.objects.create(
        cbm=cal.cbm,
        country=former.country,
        role=RoleKind.SUPPORTING,
        since=dt.date(2012, 1, 1),
        until=dt.date(2029, 12, 31),
    )
    meeting = schedule(lambda: _plan(cal))
    assert _to(mail.outbox) == {cal.focal_fr.email, cal.desk.email}
    assert inactive.email not in _to(mail.outbox) and former.email not in _to(mail.outbox)
    deliveries = InvitationDelivery.objects.filter(invitation__meeting_pk=meeting.pk)
    assert set(deliveries.values_list("recipient__username", flat=True)) == {"focal-fr", "desk"}
    assert cal.focal_it.email not in _to(mail.outbox)


def test_moving_sends_an_update_with_the_same_uid_and_a_higher_sequence(cal, schedule):
    meeting = schedule(lambda: _plan(cal))

    def move():
        meeting.date, meeting.city = dt.date(2030, 6, 2), "Cologne"
        meeting.save()

    schedule(move)
    assert len(mail.outbox) == 3
    calendar, event = _event(mail.outbox[0])
    assert str(calendar["method"]) == "REQUEST"
    assert (str(event["uid"]), event.decoded("sequence")) == (meeting_uid(meeting.pk), 1)
    assert event.decoded("dtstart") == dt.date(2030, 6, 2)
    assert str(event["location"]) == "Cologne, Germany"
    assert mail.outbox[0].subject.startswith("Updated:")

    def touch_notes():
        meeting.notes = "Agenda to follow."
        meeting.save()

    schedule(touch_notes)  # nothing that moves it: no email
    assert mail.outbox == []


@pytest.mark.parametrize("how", ["cancelled", "deleted", "no longer an RTG"])
def test_cancelling_sends_a_cancellation_with_a_higher_sequence(cal, schedule, how):
    meeting = schedule(lambda: _plan(cal))
    uid = meeting_uid(meeting.pk)

    def cancel():
        if how == "deleted":
            meeting.delete()
            return
        if how == "cancelled":
            meeting.status = MeetingStatus.CANCELLED
        else:
            meeting.kind, meeting.cbm = MeetingKind.SOM, None
        meeting.save()

    schedule(cancel)
    assert _to(mail.outbox) == {cal.focal_fr.email, cal.focal_de.email, cal.desk.email}
    calendar, event = _event(mail.outbox[0])
    assert str(calendar["method"]) == "CANCEL"
    assert str(event["status"]) == "CANCELLED"
    assert (str(event["uid"]), event.decoded("sequence")) == (uid, 1)
    assert mail.outbox[0].subject.startswith("Cancelled:")


def test_marking_it_held_sends_nothing(cal, schedule):
    meeting = schedule(lambda: _plan(cal, date=dt.date(2015, 3, 1)))

    def hold():
        meeting.status = MeetingStatus.HELD
        meeting.save()

    schedule(hold)
    assert mail.outbox == []
    assert Invitation.objects.filter(meeting_pk=meeting.pk).count() == 1


def test_a_held_or_other_meeting_invites_no_one(cal, schedule):
    schedule(lambda: RtgFactory(cbm=cal.cbm, date=dt.date(2015, 3, 1)))
    assert mail.outbox == [] and not Invitation.objects.exclude(meeting_pk=cal.planned.pk).exists()


def test_replanning_a_cancelled_rtg_invites_again(cal, schedule):
    meeting = schedule(lambda: _plan(cal))
    for status in (MeetingStatus.CANCELLED, MeetingStatus.PLANNED):

        def change(status=status):
            meeting.status = status
            meeting.save()

        schedule(change)
    calendar, event = _event(mail.outbox[0])
    assert (str(calendar["method"]), event.decoded("sequence")) == ("REQUEST", 2)


def test_the_send_run_twice_sends_each_email_once(cal, schedule):
    meeting = _plan(cal)  # recorded, not yet sent: no commit ran the nudge
    mail.outbox.clear()
    assert (
        InvitationDelivery.objects.filter(
            invitation__meeting_pk=meeting.pk, sent_at__isnull=True
        ).count()
        == 3
    )
    assert invitations.invitations_send() == 3
    assert invitations.invitations_send() == 0
    invitations_send_task.apply()
    assert len(mail.outbox) == 3


def test_a_rolled_back_edit_records_no_invitation(cal):
    with pytest.raises(RuntimeError), transaction.atomic():
        meeting = _plan(cal)
        raise RuntimeError("the request failed after the save")
    assert not Invitation.objects.filter(meeting_pk=meeting.pk).exists()


def test_the_email_is_written_in_the_recipients_language(cal, schedule):
    cal.focal_de.email_language = "fa"
    cal.focal_de.save()
    schedule(lambda: _plan(cal))
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert "May" in subjects[cal.focal_fr.email]
    assert "May" not in subjects[cal.focal_de.email]  # the month in Dari


def test_with_the_broker_down_the_edit_saves_and_the_beat_sends_later(cal, schedule, caplog):
    with (
        celery_on_broker("redis://127.0.0.1:1/0"),
        caplog.at_level(logging.WARNING, logger="cbms.compliance.invitations"),
    ):
        meeting = schedule(lambda: _plan(cal))
    assert meeting.pk and Invitation.objects.filter(meeting_pk=meeting.pk).exists()
    assert mail.outbox == []
    assert "Could not queue the sending of RTG invitations" in caplog.text
    pending = InvitationDelivery.objects.filter(sent_at__isnull=True)
    assert pending.filter(invitation__meeting_pk=meeting.pk).count() == 3
    # The broker is back; the beat entry's task sends what is pending, once.
    invitations_send_task.apply()
    assert _to(mail.outbox) >= {cal.focal_fr.email, cal.focal_de.email, cal.desk.email}
    assert not pending.exists()


def test_the_beat_runs_the_send():
    from django.conf import settings

    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "cbms.compliance.tasks.invitations_send" in entries
