"""Reminders ahead of a deadline, the "cycle opened" notice and the secretariat's missed digest.

What enforcement sends is planned as rows (cbms.models.Reminder) by the evaluation that stores
obligations (`reminders_plan`, called by `obligations_recompute` in the same transaction) and
sent by the daily run (`reminders_send`), which claims due rows with SELECT … FOR UPDATE SKIP
LOCKED. Nothing waits in the broker (RELIABILITY §3: no ETA or countdown tasks). Every notice is
stored once per event key, recipient and channel (`notices_create`), so a run delivered twice, or
a day sent again, notifies no one twice.

This module imports no other service of compliance: `services` imports it, never the reverse.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from conferences.models import MeetingKind, MeetingStatus
from members.models import Notification, NotificationChannel, Role, User
from members.services import Notice, notices_create, notices_in_languages

from ..models import (
    CBM,
    CBMRole,
    Obligation,
    ObligationKind,
    ObligationStatus,
    Reminder,
    ReminderPolicy,
    RoleKind,
)
from . import rule
from .selectors import timeline_read

# An obligation is reminded of while its window is open and nothing is held or planned in it.
REMINDED_STATUSES = (ObligationStatus.OPEN, ObligationStatus.AT_RISK)
# The cycle-opened notice: the prioritisation window is open and the RTG not yet held.
CYCLE_OPENED_STATUSES = (
    ObligationStatus.OPEN,
    ObligationStatus.AT_RISK,
    ObligationStatus.SCHEDULED,
)
WRITE_BATCH = 1000


# --- Reading -----------------------------------------------------------------------------------


def reminder_policy_read() -> ReminderPolicy:
    """The secretariat's schedule; the defaults (60, 30, 14, 7; desk from 14) until first saved."""
    return ReminderPolicy.objects.filter(pk=1).first() or ReminderPolicy(pk=1)


def day(value: date) -> str:
    """A date as notices write it (9 Aug 2020), in the language active when composed."""
    return date_format(value, "j M Y")


def schedule_link(cbm_id: int) -> str:
    """The meeting form, filled in for a planned RTG of the CBM (it reads these GET params)."""
    query = urlencode({"cbm": cbm_id, "kind": MeetingKind.RTG, "status": MeetingStatus.PLANNED})
    return f"{reverse('conferences:meeting_create')}?{query}"


def dashboard_link(cbm_id: int | None = None) -> str:
    url = reverse("dashboard")
    return f"{url}?{urlencode({'cbm': cbm_id})}" if cbm_id else url


def kind_name(kind: str) -> str:
    return str(ObligationKind(kind).label)


@dataclass(frozen=True)
class Audience:
    """Who hears of a CBM's obligations: its lead countries' focal points in the cycle and the
    CBM's desk officer. Read for many CBMs at once, in two queries however many there are."""

    focal_points: dict[int, list[User]]  # country id -> active focal points
    desk_officers: dict[int, User]  # CBM id -> its active desk officer

    def leads(
        self, lead_countries: Iterable[tuple[int, rule.LeadPeriod]], start: date, end: date
    ) -> list[User]:
        """The focal points of the countries whose lead role overlaps [start, end)."""
        return [
            user
            for country_id, period in lead_countries
            if period.overlaps(start, end)
            for user in self.focal_points.get(country_id, ())
        ]

    def desk(self, cbm_id: int) -> list[User]:
        officer = self.desk_officers.get(cbm_id)
        return [officer] if officer else []


def audience_read(*, cbms: Iterable[CBM], country_ids: Iterable[int]) -> Audience:
    country_ids = set(country_ids)
    focal_points = defaultdict(list)
    if country_ids:
        for user in User.objects.filter(
            role=Role.FOCAL_POINT, is_active=True, country__in=country_ids
        ).order_by("pk"):
            focal_points[user.country_id].append(user)
    desk_by_cbm = {cbm.pk: cbm.desk_officer_id for cbm in cbms if cbm.desk_officer_id}
    officers = {
        user.pk: user
        for user in User.objects.filter(pk__in=set(desk_by_cbm.values()), is_active=True)
    }
    return Audience(
        focal_points=dict(focal_points),
        desk_officers={
            cbm_id: officers[pk] for cbm_id, pk in desk_by_cbm.items() if pk in officers
        },
    )


def lead_countries_read(cbm_ids: Iterable[int]) -> dict[int, list[tuple[int, rule.LeadPeriod]]]:
    """Each CBM's lead countries with their periods, in one query."""
    leads = defaultdict(list)
    for cbm_id, country_id, since, until in CBMRole.objects.filter(
        cbm__in=set(cbm_ids), role=RoleKind.LEAD, country__isnull=False
    ).values_list("cbm_id", "country_id", "since", "until"):
        leads[cbm_id].append((country_id, rule.LeadPeriod(since, until)))
    return leads


# --- Planning: called by obligations_recompute, in its transaction ------------------------------


@dataclass(frozen=True)
class PlanReport:
    created: int
    replanned: int
    retired: int


def reminders_plan(
    *, cbm_ids: Sequence[int] | None, policy: ReminderPolicy | None = None
) -> PlanReport:
    """Make the unsent reminders of these CBMs' stored obligations (all CBMs for None) match
    their statuses and the policy: one row per step for each obligation open or at risk, none
    unsent for any other. Steps already sent stay as they were (a record of what went out).

    A constant number of queries whatever the number of CBMs (plus one per write batch): the
    obligations are those just stored, read back in one query.
    """
    policy = policy or reminder_policy_read()
    steps = {days: days <= policy.escalate_within_days for days in policy.days_before}
    in_scope = Q() if cbm_ids is None else Q(obligation__cbm__in=list(cbm_ids))

    # A meeting held or scheduled, the window closed, a step dropped from the policy: what is
    # not sent is no longer due.
    retired, _ = (
        Reminder.objects.filter(in_scope, sent_at__isnull=True)
        .filter(~Q(obligation__status__in=REMINDED_STATUSES) | ~Q(days_before__in=list(steps)))
        .delete()
    )

    reminded = Obligation.objects.filter(status__in=REMINDED_STATUSES)
    if cbm_ids is not None:
        reminded = reminded.filter(cbm__in=list(cbm_ids))
    deadlines = dict(reminded.values_list("pk", "deadline"))
    if not deadlines or not steps:
        return PlanReport(created=0, replanned=0, retired=retired)

    existing = {
        (row.obligation_id, row.days_before): row
        for row in Reminder.objects.filter(obligation__in=list(deadlines)).only(
            "pk", "obligation_id", "days_before", "due_on", "escalate", "sent_at"
        )
    }
    new, changed = [], []
    for obligation_id, deadline in deadlines.items():
        for days, escalate in steps.items():
            due_on = deadline - timedelta(days=days)
            row = existing.get((obligation_id, days))
            if row is None:
                new.append(
                    Reminder(
                        obligation_id=obligation_id,
                        days_before=days,
                        due_on=due_on,
                        escalate=escalate,
                    )
                )
            elif row.sent_at is None and (row.due_on, row.escalate) != (due_on, escalate):
                # The deadline moved (the next conference was dated) or the threshold changed.
                row.due_on, row.escalate = due_on, escalate
                changed.append(row)
    # Another evaluation may have planned the same step meanwhile: the unique step wins.
    Reminder.objects.bulk_create(new, batch_size=WRITE_BATCH, ignore_conflicts=True)
    if changed:
        Reminder.objects.bulk_update(changed, ["due_on", "escalate"], batch_size=WRITE_BATCH)
    return PlanReport(created=len(new), replanned=len(changed), retired=retired)


# --- The cycle-opened notice: composed by obligations_recompute --------------------------------


@dataclass(frozen=True)
class OpenedCycle:
    """A CBM's cycle whose prioritisation window is open on the evaluation day."""

    cbm_id: int
    lead_countries: tuple[tuple[int, rule.LeadPeriod], ...]
    cycle: rule.Cycle
    prioritisation: rule.ObligationResult
    review: rule.ObligationResult | None


def opened_cycles(
    *, cbm_id: int, lead_countries, cycles: dict[int, rule.Cycle], items, on: date
) -> list[OpenedCycle]:
    """Of one CBM's evaluated obligations, the cycles the notice is about on day `on`."""
    by_key = {(item.conference, item.kind): item for item in items}
    return [
        OpenedCycle(
            cbm_id=cbm_id,
            lead_countries=tuple(lead_countries),
            cycle=cycles[item.conference],
            prioritisation=item,
            review=by_key.get((item.conference, rule.Kind.REVIEW)),
        )
        for item in items
        if item.kind == rule.Kind.PRIORITISATION
        and item.status in CYCLE_OPENED_STATUSES
        and item.window_start <= on <= item.deadline
    ]


def cycle_opened_notices(opened: Sequence[OpenedCycle]) -> list[Notice]:
    """Each lead country's focal points and the desk, once per CBM, cycle and person (the
    event key): "CT: the prioritisation RTG is due between 9 Dec 2019 and 9 Feb 2020; the review
    RTG by 9 Aug 2020 (estimated)", with a link to schedule it."""
    if not opened:
        return []
    cbms = {cbm.pk: cbm for cbm in CBM.objects.filter(pk__in={o.cbm_id for o in opened})}
    audience = audience_read(
        cbms=cbms.values(),
        country_ids={country for o in opened for country, _ in o.lead_countries},
    )
    notices = []
    for item in opened:
        cbm = cbms[item.cbm_id]
        recipients = audience.leads(item.lead_countries, item.cycle.start, item.cycle.end)
        recipients += audience.desk(cbm.pk)

        def compose(cbm=cbm, item=item):
            first = item.prioritisation
            values = {
                "cbm": cbm.code,
                "opens": day(first.window_start),
                "closes": day(first.deadline),
            }
            subject = (
                gettext("%(cbm)s: the prioritisation RTG is due between %(opens)s and %(closes)s")
                % values
            )
            review = item.review
            if review is not None and review.status in CYCLE_OPENED_STATUSES:
                values["review"] = day(review.deadline)
                subject = (
                    gettext(
                        "%(cbm)s: the prioritisation RTG is due between %(opens)s and "
                        "%(closes)s; the review RTG by %(review)s"
                    )
                    % values
                )
                if review.estimated:
                    subject += " " + gettext("(estimated)")
            body = "\n\n".join(
                [
                    gettext(
                        "Ministerial Conference %(number)s opened a new cycle for %(cbm)s – "
                        "%(name)s."
                    )
                    % {"number": item.cycle.conference, "cbm": cbm.code, "name": cbm.name},
                    subject + ".",
                    gettext(
                        "Schedule the RTG in the portal as soon as a date is agreed: the "
                        "reminders stop once it is planned."
                    ),
                ]
            )
            return subject, body

        notices += notices_in_languages(
            recipients=recipients,
            event_key=f"cycle-opened:{cbm.pk}:{item.cycle.conference}",
            compose=compose,
            link=schedule_link(cbm.pk),
        )
    return notices


# --- Sending: the daily run ---------------------------------------------------------------------


@dataclass(frozen=True)
class SendReport:
    sent: int  # reminders sent (one per obligation at most)
    superseded: int  # overdue earlier steps marked done without sending
    notices: int  # notices stored (per recipient and channel)


@transaction.atomic
def reminders_send(*, on: date) -> SendReport:
    """Send the reminders due by day `on`: per obligation only its latest due step (the one
    closest to the deadline); earlier steps still unsent are superseded, so a run after missed
    beat days catches up once, not once per missed day.

    Claims the rows under a lock other runs skip; the notices and the marks commit together, and
    the notices' unique keys make a rerun (or a second worker) store nothing twice. The emails
    themselves go out afterwards, each claimed on its own (members.services.notifications_email).
    A constant number of queries, whatever the number of reminders due.
    """
    due = list(
        Reminder.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            sent_at__isnull=True,
            due_on__lte=on,
            # Only while the window is open with nothing planned: the evaluation retires the
            # rest, and this guards a day on which it has not run yet.
            obligation__status__in=REMINDED_STATUSES,
            obligation__deadline__gte=on,
        )
        .select_related("obligation__cbm", "obligation__conference")
        .order_by("obligation_id", "days_before")
    )
    if not due:
        return SendReport(sent=0, superseded=0, notices=0)
    latest: dict[int, Reminder] = {}
    superseded = []
    for reminder in due:  # smallest days_before first: the latest step of each obligation
        if reminder.obligation_id in latest:
            superseded.append(reminder.pk)
        else:
            latest[reminder.obligation_id] = reminder
    notices = _reminder_notices(list(latest.values()), on=on)
    stored = notices_create(notices=notices) if notices else 0
    now = timezone.now()
    Reminder.objects.filter(pk__in=[r.pk for r in latest.values()]).update(sent_at=now)
    if superseded:
        Reminder.objects.filter(pk__in=superseded).update(sent_at=now, superseded=True)
    return SendReport(sent=len(latest), superseded=len(superseded), notices=stored)


def _reminder_notices(reminders: Sequence[Reminder], *, on: date) -> list[Notice]:
    cbms = {r.obligation.cbm_id: r.obligation.cbm for r in reminders}
    leads = lead_countries_read(cbms)
    cycles = {cycle.conference: cycle for cycle in timeline_read().cycles}
    audience = audience_read(
        cbms=cbms.values(), country_ids={c for periods in leads.values() for c, _ in periods}
    )
    notices = []
    for reminder in reminders:
        obligation = reminder.obligation
        cbm = cbms[obligation.cbm_id]
        cycle = cycles.get(obligation.conference.number)
        recipients = (
            audience.leads(leads[cbm.pk], cycle.start, cycle.end) if cycle is not None else []
        )
        if reminder.escalate:
            recipients += audience.desk(cbm.pk)

        def compose(cbm=cbm, obligation=obligation, reminder=reminder):
            left = (obligation.deadline - on).days
            values = {
                "cbm": cbm.code,
                "kind": kind_name(obligation.kind),
                "deadline": day(obligation.deadline),
                "estimated": (" " + gettext("(estimated)")) if obligation.estimated else "",
                "left": left,
            }
            if left == 0:
                when = gettext("today")
            else:
                when = ngettext("in %(left)d day", "in %(left)d days", left) % values
            values["when"] = when
            subject = (
                gettext(
                    "%(cbm)s: the %(kind)s is due by %(deadline)s%(estimated)s (%(when)s); "
                    "nothing is scheduled yet"
                )
                % values
            )
            lines = [
                gettext(
                    "%(cbm)s – %(name)s: the %(kind)s of the cycle opened by Ministerial "
                    "Conference %(number)s must be held by %(deadline)s%(estimated)s, and no RTG "
                    "is held or planned in its window yet."
                )
                % {**values, "name": cbm.name, "number": obligation.conference.number},
                gettext("Schedule it in the portal: the reminders stop once it is planned."),
            ]
            if reminder.escalate:
                lines.append(
                    gettext("This reminder also goes to the CBM's desk in the secretariat.")
                )
            return subject, "\n\n".join(lines)

        notices += notices_in_languages(
            recipients=recipients,
            event_key=f"reminder:{obligation.pk}:{reminder.days_before}",
            compose=compose,
            link=schedule_link(cbm.pk),
        )
    return notices


# A day whose digest was never stored (the daily run did not happen, or nothing was missed then)
# is caught up by the next digest, up to this many days back.
DIGEST_CATCH_UP_DAYS = 7


def _missed_digest_key(day_of: date) -> str:
    return f"missed-digest:{day_of.isoformat()}"


@transaction.atomic
def missed_digest_send(*, on: date) -> int:
    """One notice to each secretariat user who opted in, listing the obligations that turned
    missed on day `on` (their deadline was the day before); nothing on a day with none.

    An obligation whose own day has no digest stored (the daily run missed that day, or it
    turned missed only later, an RTG cancelled after the deadline) comes with the next digest,
    up to DIGEST_CATCH_UP_DAYS back. Returns how many notices were stored (a rerun stores none).
    """
    # A digest stored on day Y listed every deadline before Y it could reach: start after the
    # latest one before today, or a week back.
    earlier = [
        _missed_digest_key(on - timedelta(days=back)) for back in range(1, DIGEST_CATCH_UP_DAYS)
    ]
    latest = (
        Notification.objects.filter(channel=NotificationChannel.PORTAL, event_key__in=earlier)
        .order_by("-event_key")
        .values_list("event_key", flat=True)
        .first()
    )
    since = (
        date.fromisoformat(latest.removeprefix("missed-digest:"))
        if latest
        else on - timedelta(days=DIGEST_CATCH_UP_DAYS)
    )
    missed = list(
        Obligation.objects.filter(
            status=ObligationStatus.MISSED, deadline__gte=since, deadline__lt=on
        )
        .select_related("cbm", "conference")
        .order_by("cbm__code", "conference__number", "kind")
    )
    if not missed:
        return 0
    recipients = User.objects.filter(
        role=Role.SECRETARIAT, is_active=True, missed_digest=True
    ).order_by("pk")

    def compose():
        subject = ngettext(
            "%(count)d RTG obligation missed on %(day)s",
            "%(count)d RTG obligations missed on %(day)s",
            len(missed),
        ) % {"count": len(missed), "day": day(on)}
        lines = [
            gettext(
                "%(cbm)s – %(kind)s of the cycle opened by MC %(number)s: deadline %(deadline)s"
            )
            % {
                "cbm": o.cbm.code,
                "kind": kind_name(o.kind),
                "number": o.conference.number,
                "deadline": day(o.deadline),
            }
            + (" " + gettext("(estimated)") if o.estimated else "")
            for o in missed
        ]
        return subject, "\n".join(lines)

    return notices_create(
        notices=notices_in_languages(
            recipients=recipients,
            event_key=_missed_digest_key(on),
            compose=compose,
            link=dashboard_link(),
        )
    )


# --- The secretariat's schedule ------------------------------------------------------------------


@transaction.atomic
def reminder_policy_update(
    *, days_before: list[int], escalate_within_days: int, actor: User
) -> ReminderPolicy:
    """Save the schedule (with its history, by `actor`) and re-plan every unsent reminder at
    once, in the same transaction: a step dropped stops, a step added is planned."""
    policy = ReminderPolicy.objects.select_for_update().filter(pk=1).first() or ReminderPolicy(pk=1)
    policy.days_before = list(days_before)
    policy.escalate_within_days = escalate_within_days
    policy._history_user = actor
    policy.full_clean()
    policy.save()
    reminders_plan(cbm_ids=None, policy=policy)
    return policy
