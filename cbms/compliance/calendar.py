"""Calendars: the iCalendar data of the feeds and of the RTG invitations, built with the
`icalendar` library (never by hand), and the private feeds' secret tokens.

Every event carries a UID that stays the same whatever is edited, so a calendar client updates
the event it already has rather than adding another: `meeting-<id>@<domain>` for a meeting (its
invitations use the same UID) and `obligation-<cbm>-<conference>-<kind>@<domain>` for an
obligation's window. Meetings and obligation windows are dates without a time (the records have
no hour), so they are all-day events; the calendar still names its zone, Asia/Kabul, with a
VTIMEZONE, because those dates are Kabul dates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from conferences.models import Meeting, MeetingKind, MeetingStatus
from members.models import CalendarFeed, User
from members.permissions import is_focal_point

from ..models import CBM, CBMRole, Invitation, InvitationMethod, Obligation, ObligationStatus

CALENDAR_TIME_ZONE = "Asia/Kabul"
PRODID = "-//HoA-IP Secretariat//CBM Tracker//EN"
# Obligations whose cycle began before the RTG rule: listed on the dashboard, due nothing.
NOT_DUE = (ObligationStatus.NOT_IN_FORCE,)


def uid_domain() -> str:
    return getattr(settings, "CALENDAR_UID_DOMAIN", "hoa-portal")


def meeting_uid(meeting_pk: int) -> str:
    return f"meeting-{meeting_pk}@{uid_domain()}"


def obligation_uid(cbm_id: int, conference_id: int, kind: str) -> str:
    return f"obligation-{cbm_id}-{conference_id}-{kind}@{uid_domain()}"


def portal_url() -> str:
    """The portal's address for links in emails, which have no request to ask."""
    return getattr(settings, "PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")


# --- Private feed tokens ----------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def calendar_feed_issue(*, user: User) -> str:
    """A new secret token for the user's private feed, replacing any earlier one (whose URL
    stops working). Only its SHA-256 is stored: the token is returned to be shown once."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.filter(user=user).delete()
    feed = CalendarFeed(user=user, token_hash=_token_hash(token))
    feed.full_clean()
    feed.save()
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> bool:
    """Stop the user's private feed; False if there was none."""
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def calendar_feed_user(token: str) -> User | None:
    """Whose feed the token opens: None for an unknown or revoked token and for an inactive
    account, alike. The digest is looked up by its unique index (the token itself never reaches
    the database) and compared again in constant time."""
    digest = _token_hash(token)
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=digest).first()
    if feed is None or not hmac.compare_digest(feed.token_hash, digest):
        return None
    return feed.user if feed.user.is_active else None


# --- What a feed lists ------------------------------------------------------------------------


def _with_calendar_fields(meetings: QuerySet) -> QuerySet:
    """The meetings with what their events need, in one query whatever their number: the CBM,
    the host, when the meeting last changed (its history) and the SEQUENCE its invitations
    reached."""
    last_change = (
        Meeting.history.filter(id=OuterRef("pk"))
        .order_by("-history_date")
        .values("history_date")[:1]
    )
    sequence = (
        Invitation.objects.filter(meeting_pk=OuterRef("pk"))
        .order_by("-sequence")
        .values("sequence")[:1]
    )
    return (
        meetings.select_related("cbm", "host")
        .annotate(changed_at=Subquery(last_change), invitation_sequence=Subquery(sequence))
        .order_by("date", "pk")
    )


def public_meetings() -> QuerySet:
    return _with_calendar_fields(Meeting.objects.visible_to(AnonymousUser()))


def cbm_public_meetings(cbm: CBM) -> QuerySet:
    return _with_calendar_fields(Meeting.objects.visible_to(AnonymousUser()).filter(cbm=cbm))


def private_feed_scope(user: User) -> tuple[QuerySet, QuerySet]:
    """The meetings and obligations that concern the user. A focal point: the CBMs their
    country leads or supports today (their meetings as the focal point may see them) and the
    obligations of those it leads; everyone else (the secretariat, analysts): every CBM's
    obligations and the meetings they may see."""
    meetings = Meeting.objects.visible_to(user)
    obligations = Obligation.objects.exclude(status__in=NOT_DUE)
    if is_focal_point(user):
        roles = CBMRole.objects.current_on(timezone.localdate()).filter(country_id=user.country_id)
        meetings = meetings.filter(cbm__in=roles.values("cbm_id"))
        obligations = obligations.filter(cbm__in=roles.leads().values("cbm_id"))
    obligations = obligations.select_related("cbm", "conference").order_by(
        "window_start", "cbm__code", "kind"
    )
    return _with_calendar_fields(meetings), obligations


# --- Building the calendars -------------------------------------------------------------------


def _calendar(name: str, *, method: str | None = None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", CALENDAR_TIME_ZONE)
    calendar.add_component(icalendar.Timezone.from_tzid(CALENDAR_TIME_ZONE))
    return calendar


def _kabul_midnight(day: dt.date) -> dt.datetime:
    """The start of a Kabul day, as an aware datetime (DTSTAMP is written in UTC)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def _place(city: str, host: str) -> str:
    return ", ".join(part for part in (city, host) if part)


MEETING_STATUS = {
    MeetingStatus.HELD: "CONFIRMED",
    MeetingStatus.PLANNED: "TENTATIVE",
    MeetingStatus.CANCELLED: "CANCELLED",
}


def _meeting_summary(kind: str, cbm_code: str | None) -> str:
    if kind == MeetingKind.RTG and cbm_code:
        return gettext("%(cbm)s: Regional Technical Group meeting") % {"cbm": cbm_code}
    return str(MeetingKind(kind).label)


def _all_day(event: icalendar.Event, first: dt.date, last: dt.date) -> None:
    """From `first` to `last`, both days included: DTEND is exclusive in iCalendar."""
    event.add("dtstart", first)
    event.add("dtend", last + dt.timedelta(days=1))


def meeting_event(meeting: Meeting, *, base_url: str) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", meeting_uid(meeting.pk))
    event.add("dtstamp", getattr(meeting, "changed_at", None) or _kabul_midnight(meeting.date))
    event.add("sequence", getattr(meeting, "invitation_sequence", None) or 0)
    event.add("summary", _meeting_summary(meeting.kind, meeting.cbm.code if meeting.cbm else None))
    _all_day(event, meeting.date, meeting.date)
    place = _place(meeting.city, meeting.host.name if meeting.host else "")
    if place:
        event.add("location", place)
    event.add("status", MEETING_STATUS[meeting.status])
    url = base_url + reverse("conferences:meeting_detail", args=[meeting.pk])
    event.add("url", url)
    lines = [str(meeting)]
    if meeting.cbm:
        lines.append(str(meeting.cbm))
    lines.append(gettext("Status: %(status)s") % {"status": meeting.get_status_display()})
    lines.append(url)
    event.add("description", "\n".join(lines))
    return event


def obligation_event(obligation: Obligation, *, base_url: str) -> icalendar.Event:
    """The window of one obligation, as an all-day event from the first day an RTG meets it to
    its deadline. A review window opens the day after its conference (SPEC §3: it is open at
    its start), a prioritisation window on the conference day."""
    cbm = obligation.cbm
    values = {
        "cbm": cbm.code,
        "kind": obligation.get_kind_display(),
        "number": obligation.conference.number,
        "status": obligation.get_status_display(),
    }
    summary = gettext("%(cbm)s %(kind)s (MC %(number)s): %(status)s") % values
    deadline = date_format(obligation.deadline, "j M Y")
    if obligation.estimated:
        summary += " " + gettext("(deadline estimated)")
        due = gettext("Deadline: %(day)s, estimated: the next conference has no date yet.")
    else:
        due = gettext("Deadline: %(day)s.")
    first = obligation.window_start
    if obligation.kind == "review":
        first += dt.timedelta(days=1)
    event = icalendar.Event()
    event.add("uid", obligation_uid(obligation.cbm_id, obligation.conference_id, obligation.kind))
    event.add("dtstamp", _kabul_midnight(obligation.evaluated_on))
    event.add("summary", summary)
    _all_day(event, first, max(first, obligation.deadline))
    # A window of months must not show its weeks as busy.
    event.add("transp", "TRANSPARENT")
    url = base_url + reverse("cbms:cbm_detail", args=[cbm.pk])
    event.add("url", url)
    event.add("description", "\n".join([str(cbm), summary, due % {"day": deadline}, url]))
    return event


def meetings_calendar(meetings: Iterable[Meeting], *, name: str, base_url: str) -> bytes:
    calendar = _calendar(name)
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting, base_url=base_url))
    return calendar.to_ical()


def private_calendar(user: User, *, base_url: str) -> bytes:
    meetings, obligations = private_feed_scope(user)
    calendar = _calendar(gettext("HoA-IP: RTG obligations and meetings"))
    for obligation in obligations:
        calendar.add_component(obligation_event(obligation, base_url=base_url))
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting, base_url=base_url))
    return calendar.to_ical()


# --- Invitations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str


def _address(email: str, name: str, **params) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{email}")
    if name:
        address.params["cn"] = icalendar.vText(name)
    address.params.update(params)
    return address


def invitation_calendar(invitation: Invitation) -> bytes:
    """The .ics attached to an invitation's email: METHOD:REQUEST for the invitation and each
    update, METHOD:CANCEL with STATUS:CANCELLED for the cancellation; the meeting's UID and the
    invitation's SEQUENCE. Built from what the invitation recorded, so it says the same however
    late it is sent."""
    event_data = invitation.event
    calendar = _calendar(gettext("HoA-IP RTG invitation"), method=invitation.method)
    event = icalendar.Event()
    event.add("uid", meeting_uid(invitation.meeting_pk))
    event.add("dtstamp", invitation.created_at)
    event.add("sequence", invitation.sequence)
    event.add("summary", _meeting_summary(MeetingKind.RTG, event_data["cbm_code"]))
    day = dt.date.fromisoformat(event_data["date"])
    _all_day(event, day, day)
    place = _place(event_data.get("city", ""), event_data.get("host_name", ""))
    if place:
        event.add("location", place)
    cancelled = invitation.method == InvitationMethod.CANCEL
    event.add("status", "CANCELLED" if cancelled else "TENTATIVE")
    name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    event.add("organizer", _address(email, name))
    for attendee in event_data.get("attendees", []):
        event.add(
            "attendee",
            _address(
                attendee["email"],
                attendee["name"],
                role="REQ-PARTICIPANT",
                partstat="NEEDS-ACTION",
                rsvp="FALSE",
            ),
        )
    url = portal_url() + event_data["link"]
    event.add("url", url)
    event.add("description", f"{event_data['cbm_code']} – {event_data['cbm_name']}\n{url}")
    calendar.add_component(event)
    return calendar.to_ical()
