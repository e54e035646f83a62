"""RTG invitations: recorded in the transaction of the edit that schedules, moves or cancels an
RTG, sent after it commits.

Whatever saves the meeting (a page, the API, the admin), cbms.compliance.signals calls
`invitations_record` or `invitations_record_deleted`; they compare the meeting with the last
invitation it sent and write the next one (an `Invitation` and one `InvitationDelivery` per
recipient) when there is something to say:

- an RTG planned, with no invitation standing: METHOD:REQUEST (SEQUENCE 0 the first time);
- a planned RTG moved (date, city, host or CBM): METHOD:REQUEST, SEQUENCE + 1;
- a standing invitation's RTG cancelled, deleted while planned, or no longer an RTG:
  METHOD:CANCEL, SEQUENCE + 1;
- an RTG marked held: nothing.

Sending is at least once (RELIABILITY §3), so each delivery row is claimed under a lock other
workers skip, emailed and marked sent in its own transaction: every email goes exactly once per
row, even if the task runs twice. The task is queued by name after the commit, only a nudge: if
the broker is down the edit still succeeds, and the beat entry sends what is pending.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from email.mime.text import MIMEText

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from kombu.exceptions import OperationalError as KombuOperationalError

from conferences.models import Meeting, MeetingKind, MeetingStatus
from members.models import EmailDelivery, Role, User

from ..models import CBM, CBMRole, Invitation, InvitationDelivery, InvitationMethod
from .calendar import invitation_calendar, portal_url

logger = logging.getLogger(__name__)

# What moves a meeting: a change of any of these sends an update.
MOVING_FIELDS = ("cbm", "date", "city", "host")


def invitation_recipients(*, cbm: CBM, day) -> list[User]:
    """The focal points of the countries leading or supporting the CBM on the meeting's day,
    and the CBM's desk officer: those of them who take email (an address, and email delivery
    not turned off)."""
    countries = (
        CBMRole.objects.current_on(day).filter(cbm=cbm, country__isnull=False).values("country_id")
    )
    people = User.objects.filter(is_active=True).exclude(email="")
    people = people.exclude(email_delivery=EmailDelivery.NONE)
    focal_points = people.filter(role=Role.FOCAL_POINT, country__in=countries)
    desk = people.filter(pk=cbm.desk_officer_id) if cbm.desk_officer_id else people.none()
    return list((focal_points | desk).distinct().order_by("username"))


def _event(meeting: Meeting, recipients: list[User]) -> dict:
    """What the invitation says, frozen: the email is the same however late it is sent."""
    cbm = meeting.cbm
    return {
        "meeting": meeting.pk,
        "cbm": cbm.pk,
        "cbm_code": cbm.code,
        "cbm_name": cbm.name,
        "date": meeting.date.isoformat(),
        "city": meeting.city,
        "host": meeting.host_id,
        "host_name": meeting.host.name if meeting.host_id else "",
        "link": reverse("conferences:meeting_detail", args=[meeting.pk]),
        "attendees": _event_attendees(recipients),
    }


def _moved(previous: dict, meeting: Meeting) -> bool:
    now = {
        "cbm": meeting.cbm_id,
        "date": meeting.date.isoformat(),
        "city": meeting.city,
        "host": meeting.host_id,
    }
    return any(previous.get(field) != now[field] for field in MOVING_FIELDS)


def _last_invitation(meeting_pk: int) -> Invitation | None:
    return Invitation.objects.filter(meeting_pk=meeting_pk).order_by("-sequence").first()


def _previously_invited(meeting_pk: int) -> list[User]:
    return list(
        User.objects.filter(
            invitations__invitation__meeting_pk=meeting_pk,
            invitations__invitation__method=InvitationMethod.REQUEST,
            is_active=True,
        )
        .exclude(email="")
        .exclude(email_delivery=EmailDelivery.NONE)
        .distinct()
    )


@transaction.atomic
def invitations_record(*, meeting: Meeting, created: bool = False) -> Invitation | None:
    """After a meeting is saved: the next invitation it calls for, if any (see the module)."""
    wanted = meeting.kind == MeetingKind.RTG and meeting.status == MeetingStatus.PLANNED
    if created and not wanted:
        return None  # a new meeting that invites no one; nothing was sent before it
    last = None if created else _last_invitation(meeting.pk)
    standing = last is not None and last.method == InvitationMethod.REQUEST
    if wanted:
        if standing and not _moved(last.event, meeting):
            return None
        return _invitation_write(meeting=meeting, last=last, method=InvitationMethod.REQUEST)
    if standing and meeting.status != MeetingStatus.HELD:
        return _invitation_write(meeting=meeting, last=last, method=InvitationMethod.CANCEL)
    return None


@transaction.atomic
def invitations_record_deleted(*, meeting: Meeting) -> Invitation | None:
    """After a meeting is deleted: a planned RTG with a standing invitation is cancelled."""
    if meeting.status != MeetingStatus.PLANNED:
        return None
    last = _last_invitation(meeting.pk)
    if last is None or last.method != InvitationMethod.REQUEST:
        return None
    return _invitation_write(meeting=meeting, last=last, method=InvitationMethod.CANCEL)


def _invitation_write(*, meeting: Meeting, last: Invitation | None, method: str) -> Invitation:
    # No longer an RTG (no CBM): the cancellation goes to those invited.
    recipients = invitation_recipients(cbm=meeting.cbm, day=meeting.date) if meeting.cbm_id else []
    if method == InvitationMethod.CANCEL and last is not None:
        # Those invited before hear of the cancellation, whoever the CBM's parties are now.
        recipients = sorted(
            {user.pk: user for user in [*recipients, *_previously_invited(meeting.pk)]}.values(),
            key=lambda user: user.username,
        )
    if meeting.cbm_id:
        event = _event(meeting, recipients)
    else:
        # The meeting lost its CBM (it became an SOM or AM): the cancellation describes the RTG
        # as it was invited to, at its new date.
        event = {
            **last.event,
            "date": meeting.date.isoformat(),
            "attendees": _event_attendees(recipients),
        }
    invitation = Invitation(
        meeting_pk=meeting.pk,
        sequence=0 if last is None else last.sequence + 1,
        method=method,
        event=event,
    )
    invitation.full_clean()
    invitation.save()
    InvitationDelivery.objects.bulk_create(
        [InvitationDelivery(invitation=invitation, recipient=user) for user in recipients],
        ignore_conflicts=True,
    )
    if recipients and not _send_already_due():
        transaction.on_commit(_enqueue_send, robust=True)
    return invitation


def _event_attendees(recipients: list[User]) -> list[dict]:
    return [
        {"user": user.pk, "email": user.email, "name": user.get_full_name() or user.username}
        for user in recipients
    ]


# --- Sending ----------------------------------------------------------------------------------

# By name: the task module imports this one, never the reverse.
SEND_TASK = "cbms.compliance.tasks.invitations_send"
# After a failed publish, stop trying for a while (as cbms.compliance.services does): the
# pending rows wait for the beat entry.
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0


def _send_already_due() -> bool:
    """Whether this transaction, at this savepoint, already queues a send when it commits."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return False
    here = set(connection.savepoint_ids)
    return any(
        func is _enqueue_send and savepoints == here
        for savepoints, func, _ in connection.run_on_commit
    )


def _enqueue_send() -> None:
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return
    try:
        current_app.signature(SEND_TASK).delay()
    except (KombuOperationalError, OSError):  # the broker is unreachable; the beat sends later
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning("Could not queue the sending of RTG invitations", exc_info=True)


def _compose(invitation: Invitation) -> tuple[str, str]:
    """Subject and body, in the active language (the recipient's)."""
    event = invitation.event
    values = {
        "cbm": event["cbm_code"],
        "day": date_format(dt.date.fromisoformat(event["date"]), "j M Y"),
        "place": ", ".join(p for p in (event.get("city"), event.get("host_name")) if p)
        or gettext("place to be announced"),
    }
    if invitation.method == InvitationMethod.CANCEL:
        subject = gettext("Cancelled: %(cbm)s RTG on %(day)s (%(place)s)") % values
        opening = gettext("The %(cbm)s RTG planned for %(day)s (%(place)s) is cancelled.") % values
    elif invitation.sequence == 0:
        subject = gettext("Invitation: %(cbm)s RTG on %(day)s (%(place)s)") % values
        opening = (
            gettext(
                "An RTG of %(cbm)s is scheduled for %(day)s (%(place)s). You are invited as a "
                "focal point of a lead or supporting country, or as the CBM's secretariat desk."
            )
            % values
        )
    else:
        subject = gettext("Updated: %(cbm)s RTG now on %(day)s (%(place)s)") % values
        opening = gettext("The %(cbm)s RTG has moved: it is now on %(day)s (%(place)s).") % values
    body = "\n\n".join(
        [
            opening,
            f"{event['cbm_code']} – {event['cbm_name']}",
            gettext("The attached calendar file updates your calendar."),
            portal_url() + event["link"],
        ]
    )
    return subject, body


def _attachment(invitation: Invitation) -> MIMEText:
    part = MIMEText(invitation_calendar(invitation).decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", invitation.method)
    part.add_header("Content-Disposition", "attachment", filename="invitation.ics")
    return part


def invitations_send() -> int:
    """Send every pending invitation email, each exactly once per delivery row even with
    several workers or a task run twice, and crash-safe: one row per transaction, claimed with
    SELECT … FOR UPDATE SKIP LOCKED, emailed, marked sent, committed."""
    sent = 0
    with get_connection() as smtp:
        while True:
            with transaction.atomic():
                delivery = (
                    InvitationDelivery.objects.filter(sent_at__isnull=True)
                    .select_for_update(skip_locked=True, of=("self",))
                    .select_related("invitation", "recipient")
                    .order_by("pk")
                    .first()
                )
                if delivery is None:
                    return sent
                recipient = delivery.recipient
                # Someone who turned email off (or lost their address) since it was recorded is
                # not emailed; the row is done all the same.
                if recipient.email and recipient.email_delivery != EmailDelivery.NONE:
                    # The .ics too: a calendar shows its summary as the event's title.
                    with translation.override(recipient.email_language or settings.LANGUAGE_CODE):
                        subject, body = _compose(delivery.invitation)
                        attachment = _attachment(delivery.invitation)
                    message = EmailMessage(
                        subject,
                        body,
                        settings.DEFAULT_FROM_EMAIL,
                        [recipient.email],
                        connection=smtp,
                    )
                    message.attach(attachment)
                    message.send()
                    sent += 1
                delivery.sent_at = timezone.now()
                delivery.save(update_fields=["sent_at"])
