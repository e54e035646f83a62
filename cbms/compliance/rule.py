"""The RTG rule engine: Article 25 of the Beijing Declaration, evaluated on a given day.

Lead countries of each CBM should convene two RTG meetings per conference cycle: one within two
months of each Ministerial Conference (the *prioritisation* RTG) and one no later than four months
before the following conference (the *review* RTG).

This module is deliberately free of Django: plain dataclasses in, plain dataclasses out, so the
rule can be tested exhaustively without a database and replayed for any past day. The service
layer translates models to these dataclasses and stores the results.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta

__all__ = [
    "AT_RISK_WITHIN",
    "PRIORITISATION_WITHIN",
    "REQUIRED_PER_YEAR",
    "REVIEW_BEFORE",
    "UNKNOWN_NEXT_CONFERENCE_AFTER",
    "AnnualCount",
    "Compliance",
    "Conference",
    "Cycle",
    "Kind",
    "LeadPeriod",
    "Meeting",
    "MeetingStatus",
    "ObligationResult",
    "Status",
    "Window",
    "bound_cycles",
    "cycles",
    "evaluate",
    "prioritisation_window",
    "review_deadline",
    "review_window",
]

PRIORITISATION_WITHIN = relativedelta(months=2)
REVIEW_BEFORE = relativedelta(months=4)
# Conferences have been roughly yearly; until the next one is dated we plan against that.
UNKNOWN_NEXT_CONFERENCE_AFTER = relativedelta(months=12)
# The spec counts the warning period in days, unlike the windows, which are calendar months.
AT_RISK_WITHIN = timedelta(days=30)
REQUIRED_PER_YEAR = 2


class Kind(StrEnum):
    PRIORITISATION = "prioritisation"
    REVIEW = "review"


class Status(StrEnum):
    MET = "met"
    LATE = "late"
    SCHEDULED = "scheduled"
    OPEN = "open"
    AT_RISK = "at_risk"
    MISSED = "missed"
    INFEASIBLE = "infeasible"
    NO_LEAD = "no_lead"
    NOT_IN_FORCE = "not_in_force"


class MeetingStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Conference:
    number: int
    date: date | None
    held: bool


@dataclass(frozen=True)
class LeadPeriod:
    since: date
    until: date | None  # inclusive; None = ongoing

    def overlaps(self, start: date, end: date) -> bool:
        """Whether the period shares a day with [start, end)."""
        return self.since < end and (self.until is None or self.until >= start)


@dataclass(frozen=True)
class Meeting:
    id: int
    date: date
    status: str  # "planned" | "held" | "cancelled"


@dataclass(frozen=True)
class Cycle:
    conference: int  # MC_n number
    start: date  # MC_n date
    end: date  # MC_n+1 date, or estimated
    estimated: bool

    @property
    def last_day(self) -> date:
        """A meeting on the next conference's own date already belongs to the next cycle."""
        return self.end - timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """The days on which an RTG satisfies an obligation; `closes` is always inclusive."""

    opens: date
    closes: date
    opens_inclusive: bool = True

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        after_opening = day >= self.opens if self.opens_inclusive else day > self.opens
        return after_opening and day <= self.closes

    def capped(self, last_day: date) -> Window:
        """The window cut short at `last_day` (a short cycle can end before the window does)."""
        return Window(self.opens, min(self.closes, last_day), self.opens_inclusive)


@dataclass(frozen=True)
class ObligationResult:
    conference: int  # MC_n number
    kind: str  # Kind
    window_start: date
    deadline: date
    estimated: bool
    status: str  # Status
    met_by: int | None


@dataclass(frozen=True)
class AnnualCount:
    year: int
    held: int
    required: int = REQUIRED_PER_YEAR


@dataclass(frozen=True)
class Compliance:
    obligations: tuple[ObligationResult, ...]  # a pair per cycle, oldest first, prioritisation 1st
    annual: tuple[AnnualCount, ...]


# --- Windows ------------------------------------------------------------------------------------


def prioritisation_window(start: date) -> Window:
    """[MC_n, MC_n + 2 months], both ends inclusive."""
    return Window(opens=start, closes=start + PRIORITISATION_WITHIN)


def review_deadline(next_conference: date) -> date:
    return next_conference - REVIEW_BEFORE


def review_window(cycle: Cycle) -> Window:
    """(MC_n, MC_n+1 - 4 months]: an RTG on the conference day itself is the prioritisation one."""
    return Window(opens=cycle.start, closes=review_deadline(cycle.end), opens_inclusive=False)


# --- Cycles -------------------------------------------------------------------------------------


def cycles(conferences: Sequence[Conference]) -> list[Cycle]:
    """Every held, dated conference opens a cycle that runs to the next conference by number."""
    ordered = sorted(conferences, key=lambda conference: conference.number)
    following: list[Conference | None] = [*ordered[1:], None]
    return [
        _cycle(current.number, current.date, after)
        # `following` is one longer than `ordered` only when there is no conference at all.
        for current, after in zip(ordered, following, strict=False)
        if current.held and current.date is not None
    ]


def _cycle(number: int, start: date, after: Conference | None) -> Cycle:
    if after is not None and after.date is not None:
        return Cycle(number, start, after.date, estimated=False)
    return Cycle(number, start, start + UNKNOWN_NEXT_CONFERENCE_AFTER, estimated=True)


def bound_cycles(cycles: Sequence[Cycle], approved_on: date) -> list[Cycle]:
    """A CBM owes RTGs from the first conference on or after its approval, never retroactively."""
    return sorted(
        (cycle for cycle in cycles if cycle.start >= approved_on),
        key=lambda cycle: cycle.start,
    )


# --- Meetings as of a day -----------------------------------------------------------------------


def _counts_as_held(meeting: Meeting, on: date) -> bool:
    return meeting.status == MeetingStatus.HELD and meeting.date <= on


def _counts_as_planned(meeting: Meeting, on: date) -> bool:
    """A meeting recorded as held but dated after `on` was, on that day, still only planned."""
    if meeting.status == MeetingStatus.PLANNED:
        return True
    return meeting.status == MeetingStatus.HELD and meeting.date > on


@dataclass(frozen=True)
class _Dated:
    """Meetings of one kind (held, or planned) by date; ties broken by id, so the choice between
    same-day RTGs is stable."""

    dates: list[date]
    ids: list[int]

    @classmethod
    def of(cls, meetings: Iterable[Meeting]) -> _Dated:
        ordered = sorted((m.date, m.id) for m in meetings)
        return cls([day for day, _ in ordered], [meeting_id for _, meeting_id in ordered])

    def _range(self, window: Window) -> range:
        opening = bisect_left if window.opens_inclusive else bisect_right
        return range(opening(self.dates, window.opens), bisect_right(self.dates, window.closes))

    def _untaken(self, indices: Iterator[int], taken: set[int]) -> int | None:
        # At most two meetings are ever taken per cycle, so this skips at most twice.
        return next((self.ids[i] for i in indices if self.ids[i] not in taken), None)

    def earliest(self, window: Window, taken: set[int]) -> int | None:
        return self._untaken(iter(self._range(window)), taken)

    def latest(self, window: Window, taken: set[int]) -> int | None:
        return self._untaken(reversed(self._range(window)), taken)


@dataclass(frozen=True)
class _Calendar:
    """A CBM's meetings as they stood on one day, sorted once so each cycle costs a few bisects."""

    held: _Dated
    planned: _Dated

    @classmethod
    def on(cls, meetings: Sequence[Meeting], day: date) -> _Calendar:
        return cls(
            held=_Dated.of(m for m in meetings if _counts_as_held(m, day)),
            planned=_Dated.of(m for m in meetings if _counts_as_planned(m, day)),
        )

    def held_per_year(self) -> Counter[int]:
        return Counter(held_date.year for held_date in self.held.dates)


# --- Evaluation ---------------------------------------------------------------------------------


def evaluate(
    *,
    cycles: Sequence[Cycle],
    approved_on: date,
    leads: Sequence[LeadPeriod],
    meetings: Sequence[Meeting],
    rule_effective_from: date | None,
    on: date,
) -> Compliance:
    """Both obligations of every cycle the CBM is bound to, and its RTGs per year, as of `on`.

    Only what counts as held depends on `on`; conferences, leads and approval are taken as given,
    so replaying a past day lists future cycles too.
    """
    calendar = _Calendar.on(meetings, on)
    bound = bound_cycles(cycles, approved_on)
    obligations = tuple(
        result
        for cycle in bound
        for result in _evaluate_cycle(cycle, calendar, leads, rule_effective_from, on)
    )
    return Compliance(obligations, _annual(bound, calendar, rule_effective_from, on))


def _evaluate_cycle(
    cycle: Cycle,
    calendar: _Calendar,
    leads: Sequence[LeadPeriod],
    rule_effective_from: date | None,
    on: date,
) -> tuple[ObligationResult, ObligationResult]:
    windows = {
        Kind.PRIORITISATION: prioritisation_window(cycle.start),
        Kind.REVIEW: review_window(cycle),
    }
    blanket = _blanket_status(cycle, leads, rule_effective_from)
    if blanket is not None:
        statuses = dict.fromkeys(windows, blanket)
        return _results(cycle, windows, statuses, matches={})

    infeasible = windows[Kind.REVIEW].closes < windows[Kind.PRIORITISATION].closes
    owed = [Kind.PRIORITISATION] if infeasible else [Kind.PRIORITISATION, Kind.REVIEW]
    met, late = _match(cycle, windows, owed, calendar)
    scheduled = _schedule(
        cycle, windows, [k for k in owed if k not in met and k not in late], calendar
    )
    statuses = {
        kind: _status(kind, windows[kind], infeasible, met, late, scheduled, on) for kind in windows
    }
    return _results(cycle, windows, statuses, matches={**met, **late})


def _blanket_status(
    cycle: Cycle, leads: Sequence[LeadPeriod], rule_effective_from: date | None
) -> Status | None:
    """A status that applies to the whole cycle regardless of meetings, if any."""
    if rule_effective_from is None or cycle.start < rule_effective_from:
        return Status.NOT_IN_FORCE
    if not any(lead.overlaps(cycle.start, cycle.end) for lead in leads):
        return Status.NO_LEAD
    return None


def _match(
    cycle: Cycle, windows: dict[Kind, Window], owed: list[Kind], calendar: _Calendar
) -> tuple[dict[Kind, int], dict[Kind, int]]:
    """Assign held RTGs of the cycle to obligations; one meeting never meets two obligations.

    The prioritisation takes the earliest RTG in its window and the review the latest in its own,
    so an RTG both could take goes to the prioritisation and leaves the review as much room as
    possible. Obligations left over take the earliest later RTG of the cycle, prioritisation first.
    """
    taken: set[int] = set()
    met: dict[Kind, int] = {}
    pickers = {Kind.PRIORITISATION: calendar.held.earliest, Kind.REVIEW: calendar.held.latest}
    for kind in owed:
        meeting = pickers[kind](windows[kind].capped(cycle.last_day), taken)
        if meeting is not None:
            met[kind] = meeting
            taken.add(meeting)

    late: dict[Kind, int] = {}
    for kind in owed:
        if kind in met:
            continue
        after_window = Window(windows[kind].closes, cycle.last_day, opens_inclusive=False)
        meeting = calendar.held.earliest(after_window, taken)
        if meeting is not None:
            late[kind] = meeting
            taken.add(meeting)
    return met, late


def _schedule(
    cycle: Cycle, windows: dict[Kind, Window], unmet: list[Kind], calendar: _Calendar
) -> dict[Kind, int]:
    """Assign planned RTGs to the obligations still unmet, as held ones are matched: one planned
    meeting schedules one obligation. The prioritisation takes the earliest planned RTG in its
    window, the review the latest in its own other than that one."""
    taken: set[int] = set()
    scheduled: dict[Kind, int] = {}
    pickers = {Kind.PRIORITISATION: calendar.planned.earliest, Kind.REVIEW: calendar.planned.latest}
    for kind in unmet:
        meeting = pickers[kind](windows[kind].capped(cycle.last_day), taken)
        if meeting is not None:
            scheduled[kind] = meeting
            taken.add(meeting)
    return scheduled


def _status(
    kind: Kind,
    window: Window,
    infeasible: bool,
    met: dict[Kind, int],
    late: dict[Kind, int],
    scheduled: dict[Kind, int],
    on: date,
) -> Status:
    if kind == Kind.REVIEW and infeasible:
        return Status.INFEASIBLE
    if kind in met:
        return Status.MET
    if kind in late:
        return Status.LATE
    if on > window.closes:
        return Status.MISSED
    if kind in scheduled:
        return Status.SCHEDULED
    if on >= window.closes - AT_RISK_WITHIN:
        return Status.AT_RISK
    return Status.OPEN


def _results(
    cycle: Cycle,
    windows: dict[Kind, Window],
    statuses: dict[Kind, Status],
    matches: dict[Kind, int],
) -> tuple[ObligationResult, ObligationResult]:
    def result(kind: Kind) -> ObligationResult:
        return ObligationResult(
            conference=cycle.conference,
            kind=kind,
            window_start=windows[kind].opens,
            deadline=windows[kind].closes,
            # Only the review deadline derives from the next conference's (possibly guessed) date.
            estimated=cycle.estimated and kind == Kind.REVIEW,
            status=statuses[kind],
            met_by=matches.get(kind),
        )

    return result(Kind.PRIORITISATION), result(Kind.REVIEW)


def _annual(
    bound: Sequence[Cycle], calendar: _Calendar, rule_effective_from: date | None, on: date
) -> tuple[AnnualCount, ...]:
    """RTGs held per calendar year, from the year the rule first bit this CBM up to `on`."""
    if rule_effective_from is None:
        return ()
    first_in_force = next((c for c in bound if c.start >= rule_effective_from), None)
    if first_in_force is None:
        return ()
    per_year = calendar.held_per_year()
    return tuple(
        AnnualCount(year, per_year[year]) for year in range(first_in_force.start.year, on.year + 1)
    )
