"""The RTG rule engine, tested without a database: boundaries, worked examples and properties."""

from __future__ import annotations

import ast
import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from cbms.compliance import rule as compliance
from cbms.compliance.rule import (
    AnnualCount,
    Compliance,
    Conference,
    Cycle,
    Kind,
    LeadPeriod,
    Meeting,
    ObligationResult,
    Status,
    bound_cycles,
    cycles,
    evaluate,
    prioritisation_window,
    review_deadline,
    review_window,
)

PRIO = Kind.PRIORITISATION
REVIEW = Kind.REVIEW


def d(iso: str) -> date:
    return date.fromisoformat(iso)


# The worked example: the real conference history, numbered 1 (Kabul) to 9 (not yet dated).
KABUL, ALMATY, BEIJING, ISLAMABAD, AMRITSAR, BAKU, ISTANBUL_2019 = 2, 3, 4, 5, 6, 7, 8
HISTORY = (
    Conference(1, d("2011-11-02"), held=True),
    Conference(2, d("2012-06-14"), held=True),
    Conference(3, d("2013-04-26"), held=True),
    Conference(4, d("2014-10-31"), held=True),
    Conference(5, d("2015-12-09"), held=True),
    Conference(6, d("2016-12-04"), held=True),
    Conference(7, d("2017-12-01"), held=True),
    Conference(8, d("2019-12-09"), held=True),
    Conference(9, None, held=False),
)
EFFECTIVE = d("2014-10-31")
APPROVED = d("2012-06-14")
LEADS = (LeadPeriod(d("2012-06-14"), None),)
TODAY = d("2026-11-22")
WORKED_RTGS = (
    Meeting(1, d("2014-12-31"), "held"),
    Meeting(2, d("2015-08-09"), "held"),
    Meeting(3, d("2016-02-10"), "held"),
    Meeting(4, d("2016-08-05"), "held"),
)


def run(
    meetings: Sequence[Meeting] = WORKED_RTGS,
    *,
    on: date = TODAY,
    conferences: Sequence[Conference] = HISTORY,
    approved_on: date = APPROVED,
    leads: Sequence[LeadPeriod] = LEADS,
    rule_effective_from: date | None = EFFECTIVE,
) -> Compliance:
    return evaluate(
        cycles=cycles(conferences),
        approved_on=approved_on,
        leads=leads,
        meetings=meetings,
        rule_effective_from=rule_effective_from,
        on=on,
    )


def obligation(result: Compliance, conference: int, kind: Kind) -> ObligationResult:
    (found,) = (o for o in result.obligations if o.conference == conference and o.kind == kind)
    return found


def held(meeting_id: int, iso: str) -> Meeting:
    return Meeting(meeting_id, d(iso), "held")


def planned(meeting_id: int, iso: str) -> Meeting:
    return Meeting(meeting_id, d(iso), "planned")


def cancelled(meeting_id: int, iso: str) -> Meeting:
    return Meeting(meeting_id, d(iso), "cancelled")


# --- Worked examples ----------------------------------------------------------------------------


def test_worked_example_lists_cycles_from_binding_onwards() -> None:
    result = run()

    listed = [(o.conference, o.kind) for o in result.obligations]
    conferences = [KABUL, ALMATY, BEIJING, ISLAMABAD, AMRITSAR, BAKU, ISTANBUL_2019]
    assert listed == [(number, kind) for number in conferences for kind in (PRIO, REVIEW)]


@pytest.mark.parametrize("conference", [KABUL, ALMATY])
def test_worked_example_cycles_before_the_rule_are_not_in_force(conference: int) -> None:
    result = run()

    for kind in (PRIO, REVIEW):
        found = obligation(result, conference, kind)
        assert (found.status, found.met_by) == (Status.NOT_IN_FORCE, None)


def test_worked_example_beijing_both_met_on_their_deadlines() -> None:
    result = run()

    prio = obligation(result, BEIJING, PRIO)
    review = obligation(result, BEIJING, REVIEW)
    assert (prio.window_start, prio.deadline) == (d("2014-10-31"), d("2014-12-31"))
    assert (prio.status, prio.met_by) == (Status.MET, 1)
    assert (review.window_start, review.deadline) == (d("2014-10-31"), d("2015-08-09"))
    assert (review.status, review.met_by, review.estimated) == (Status.MET, 2, False)


def test_worked_example_islamabad_review_takes_the_early_rtg_and_prioritisation_is_late() -> None:
    result = run()

    prio = obligation(result, ISLAMABAD, PRIO)
    review = obligation(result, ISLAMABAD, REVIEW)
    assert prio.deadline == d("2016-02-09")
    assert review.deadline == d("2016-08-04")
    assert (review.status, review.met_by) == (Status.MET, 3)
    assert (prio.status, prio.met_by) == (Status.LATE, 4)


@pytest.mark.parametrize("conference", [AMRITSAR, BAKU])
def test_worked_example_amritsar_and_baku_are_missed(conference: int) -> None:
    result = run()

    for kind in (PRIO, REVIEW):
        found = obligation(result, conference, kind)
        assert (found.status, found.met_by) == (Status.MISSED, None)


def test_worked_example_istanbul_2019_has_an_estimated_review_deadline() -> None:
    result = run()

    prio = obligation(result, ISTANBUL_2019, PRIO)
    review = obligation(result, ISTANBUL_2019, REVIEW)
    assert cycles(HISTORY)[-1] == Cycle(8, d("2019-12-09"), d("2020-12-09"), estimated=True)
    assert (review.deadline, review.estimated, review.status) == (
        d("2020-08-09"),
        True,
        Status.MISSED,
    )
    assert (prio.estimated, prio.status) == (False, Status.MISSED)


def test_worked_example_replayed_beijing_review_is_at_risk() -> None:
    result = run([held(1, "2014-12-31")], on=d("2015-07-20"))

    assert obligation(result, BEIJING, REVIEW).status == Status.AT_RISK


def test_worked_example_replayed_beijing_review_is_scheduled_with_a_planned_rtg() -> None:
    result = run([held(1, "2014-12-31"), planned(2, "2015-07-01")], on=d("2015-07-20"))

    assert obligation(result, BEIJING, REVIEW).status == Status.SCHEDULED


def test_worked_example_annual_indicator() -> None:
    result = run(on=d("2017-01-01"))

    assert result.annual == (
        AnnualCount(2014, 1, 2),
        AnnualCount(2015, 1, 2),
        AnnualCount(2016, 2, 2),
        AnnualCount(2017, 0, 2),
    )


# --- Month arithmetic ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "closes"),
    [
        pytest.param("2014-10-31", "2014-12-31", id="31-oct-to-31-dec"),
        pytest.param("2015-12-30", "2016-02-29", id="30-dec-clamps-to-leap-feb"),
        pytest.param("2016-12-31", "2017-02-28", id="31-dec-clamps-to-common-feb"),
        pytest.param("2016-12-29", "2017-02-28", id="29-dec-clamps-to-common-feb"),
        pytest.param("2015-12-09", "2016-02-09", id="plain"),
    ],
)
def test_prioritisation_window_is_two_calendar_months(start: str, closes: str) -> None:
    window = prioritisation_window(d(start))

    assert (window.opens, window.closes) == (d(start), d(closes))
    assert d(start) in window and d(closes) in window
    assert d(closes) + timedelta(days=1) not in window


@pytest.mark.parametrize(
    ("next_conference", "deadline"),
    [
        pytest.param("2020-08-31", "2020-04-30", id="31-aug-clamps-to-30-apr"),
        pytest.param("2016-06-30", "2016-02-29", id="leap-feb"),
        pytest.param("2015-06-30", "2015-02-28", id="common-feb"),
        pytest.param("2015-12-09", "2015-08-09", id="plain"),
    ],
)
def test_review_deadline_is_four_calendar_months_before(
    next_conference: str, deadline: str
) -> None:
    assert review_deadline(d(next_conference)) == d(deadline)


def test_review_window_excludes_its_opening_day() -> None:
    window = review_window(Cycle(4, d("2014-10-31"), d("2015-12-09"), estimated=False))

    assert d("2014-10-31") not in window
    assert d("2014-11-01") in window
    assert d("2015-08-09") in window
    assert d("2015-08-10") not in window


# --- Cycles and binding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("following", "end", "estimated"),
    [
        pytest.param(None, "2020-12-09", True, id="no-next-conference"),
        pytest.param(Conference(2, None, held=False), "2020-12-09", True, id="next-undated"),
        pytest.param(
            Conference(2, d("2021-03-01"), held=False), "2021-03-01", False, id="next-planned-dated"
        ),
        pytest.param(
            Conference(2, d("2020-10-01"), held=True), "2020-10-01", False, id="next-held"
        ),
    ],
)
def test_next_conference_date_is_estimated_only_when_unknown(
    following: Conference | None, end: str, estimated: bool
) -> None:
    conferences = [Conference(1, d("2019-12-09"), held=True)]
    if following is not None:
        conferences.append(following)

    assert cycles(conferences)[0] == Cycle(1, d("2019-12-09"), d(end), estimated)


def test_estimated_end_clamps_from_leap_day() -> None:
    (cycle,) = cycles([Conference(1, d("2016-02-29"), held=True)])

    assert (cycle.end, cycle.estimated) == (d("2017-02-28"), True)


def test_only_held_dated_conferences_open_cycles_and_order_is_by_number() -> None:
    conferences = [
        Conference(3, d("2022-06-01"), held=False),
        Conference(1, d("2020-01-01"), held=True),
        Conference(2, d("2021-01-01"), held=True),
    ]

    assert cycles(conferences) == [
        Cycle(1, d("2020-01-01"), d("2021-01-01"), estimated=False),
        Cycle(2, d("2021-01-01"), d("2022-06-01"), estimated=False),
    ]


def test_estimated_review_is_flagged_but_prioritisation_is_not() -> None:
    result = run([], conferences=[Conference(1, d("2019-12-09"), held=True)])

    prio, review = result.obligations
    assert (prio.estimated, review.estimated) == (False, True)


@pytest.mark.parametrize(
    ("approved_on", "first_conference"),
    [
        pytest.param("2014-10-31", BEIJING, id="approved-on-conference-day"),
        pytest.param("2014-11-01", ISLAMABAD, id="approved-day-after"),
        pytest.param("2014-10-30", BEIJING, id="approved-day-before"),
        pytest.param("2011-01-01", 1, id="approved-before-everything"),
        pytest.param("2019-12-10", None, id="approved-after-last-held"),
    ],
)
def test_binding_starts_at_first_conference_on_or_after_approval(
    approved_on: str, first_conference: int | None
) -> None:
    bound = bound_cycles(cycles(HISTORY), d(approved_on))
    result = run(approved_on=d(approved_on))

    assert (bound[0].conference if bound else None) == first_conference
    assert len(result.obligations) == 2 * len(bound)


def test_bound_cycles_accepts_unsorted_cycles() -> None:
    shuffled = list(reversed(cycles(HISTORY)))

    assert bound_cycles(shuffled, APPROVED) == bound_cycles(cycles(HISTORY), APPROVED)


def test_unsorted_meetings_give_the_same_result() -> None:
    assert run(list(reversed(WORKED_RTGS))) == run(WORKED_RTGS)


# --- The boundary table -------------------------------------------------------------------------

SHORT_3 = (Conference(1, d("2020-01-15"), True), Conference(2, d("2020-04-15"), True))
SHORT_5 = (Conference(1, d("2020-01-15"), True), Conference(2, d("2020-06-15"), True))
SHORT_6 = (Conference(1, d("2020-01-15"), True), Conference(2, d("2020-07-15"), True))
SHORT_1 = (Conference(1, d("2020-01-15"), True), Conference(2, d("2020-02-20"), True))
LEAP = (Conference(1, d("2015-12-30"), True), Conference(2, d("2016-12-30"), True))
SHORT_APPROVED = d("2015-01-01")
SHORT_LEADS = (LeadPeriod(d("2015-01-01"), None),)


@dataclass(frozen=True)
class Case:
    """One row: the obligation of `conference`/`kind` given these meetings on day `on`."""

    meetings: tuple[Meeting, ...]
    conference: int
    kind: Kind
    status: Status
    met_by: int | None = None
    on: date = TODAY
    overrides: dict[str, object] = field(default_factory=dict)


def short(**overrides: object) -> dict[str, object]:
    return {"approved_on": SHORT_APPROVED, "leads": SHORT_LEADS, **overrides}


BEIJING_PRIO_MET = held(9, "2014-11-15")

BOUNDARIES = {
    # Window ends are inclusive.
    "prio-met-on-its-deadline": Case((held(1, "2014-12-31"),), BEIJING, PRIO, Status.MET, 1),
    "prio-not-met-the-day-after": Case((held(1, "2015-01-01"),), BEIJING, PRIO, Status.MISSED),
    "day-after-prio-deadline-meets-review": Case(
        (held(1, "2015-01-01"),), BEIJING, REVIEW, Status.MET, 1
    ),
    "prio-met-on-conference-day": Case((held(1, "2014-10-31"),), BEIJING, PRIO, Status.MET, 1),
    "review-met-on-its-deadline": Case(
        (BEIJING_PRIO_MET, held(1, "2015-08-09")), BEIJING, REVIEW, Status.MET, 1
    ),
    "review-late-the-day-after": Case(
        (BEIJING_PRIO_MET, held(1, "2015-08-10")), BEIJING, REVIEW, Status.LATE, 1
    ),
    # The review window opens the day after the conference.
    "review-not-met-on-conference-day": Case(
        (held(1, "2014-10-31"), held(2, "2014-10-31")), BEIJING, REVIEW, Status.MISSED
    ),
    "review-met-the-day-after-conference": Case(
        (held(1, "2014-10-31"), held(2, "2014-11-01")), BEIJING, REVIEW, Status.MET, 2
    ),
    # Month-end clamping end to end: 30 Dec 2015 + 2 months is 29 Feb 2016.
    "leap-day-meets-clamped-prio": Case(
        (held(1, "2016-02-29"),), 1, PRIO, Status.MET, 1, overrides=short(conferences=LEAP)
    ),
    "1-mar-misses-clamped-prio": Case(
        (held(1, "2016-03-01"),), 1, PRIO, Status.MISSED, overrides=short(conferences=LEAP)
    ),
    # One meeting never meets two obligations; the prioritisation has first call on it.
    "single-rtg-in-both-windows-meets-prio": Case(
        (held(1, "2014-11-15"),), BEIJING, PRIO, Status.MET, 1
    ),
    "single-rtg-in-both-windows-not-review": Case(
        (held(1, "2014-11-15"),), BEIJING, REVIEW, Status.MISSED
    ),
    "review-takes-latest-in-window": Case(
        (held(1, "2014-11-15"), held(2, "2014-12-01"), held(3, "2015-03-01")),
        BEIJING,
        REVIEW,
        Status.MET,
        3,
    ),
    "same-day-rtgs-split-between-obligations": Case(
        (held(2, "2014-11-15"), held(1, "2014-11-15")), BEIJING, REVIEW, Status.MET, 2
    ),
    # Late versus missed.
    "prio-late-after-review-took-window-rtg": Case(
        (held(1, "2015-03-01"), held(2, "2015-09-01")), BEIJING, PRIO, Status.LATE, 2
    ),
    "prio-missed-without-later-rtg": Case((held(1, "2015-03-01"),), BEIJING, PRIO, Status.MISSED),
    "late-rtg-must-be-before-next-conference": Case(
        (BEIJING_PRIO_MET, held(1, "2015-12-09")), BEIJING, REVIEW, Status.MISSED
    ),
    "late-rtg-on-eve-of-next-conference": Case(
        (BEIJING_PRIO_MET, held(1, "2015-12-08")), BEIJING, REVIEW, Status.LATE, 1
    ),
    # The prioritisation picks its late meeting before the review does.
    "prio-picks-late-rtg-first": Case((held(1, "2015-09-01"),), BEIJING, PRIO, Status.LATE, 1),
    "review-left-without-late-rtg": Case((held(1, "2015-09-01"),), BEIJING, REVIEW, Status.MISSED),
    "prio-takes-earliest-late-rtg": Case(
        (held(2, "2015-10-01"), held(1, "2015-09-01")), BEIJING, PRIO, Status.LATE, 1
    ),
    "review-takes-next-late-rtg": Case(
        (held(2, "2015-10-01"), held(1, "2015-09-01")), BEIJING, REVIEW, Status.LATE, 2
    ),
    # Infeasible short cycles: the review window would close before the first one does.
    "3-months-apart-review-infeasible": Case(
        (held(1, "2020-02-01"), held(2, "2020-03-01")),
        1,
        REVIEW,
        Status.INFEASIBLE,
        overrides=short(conferences=SHORT_3),
    ),
    "3-months-apart-prio-still-met": Case(
        (held(1, "2020-02-01"),), 1, PRIO, Status.MET, 1, overrides=short(conferences=SHORT_3)
    ),
    "infeasible-review-takes-no-late-rtg": Case(
        (held(1, "2020-01-20"), held(2, "2020-04-01")),
        1,
        REVIEW,
        Status.INFEASIBLE,
        overrides=short(conferences=SHORT_3),
    ),
    "5-months-apart-review-infeasible": Case(
        (), 1, REVIEW, Status.INFEASIBLE, overrides=short(conferences=SHORT_5)
    ),
    "6-months-apart-review-feasible": Case(
        (held(1, "2020-02-01"), held(2, "2020-03-15")),
        1,
        REVIEW,
        Status.MET,
        2,
        overrides=short(conferences=SHORT_6),
    ),
    "prio-window-stops-at-next-conference": Case(
        (held(1, "2020-02-20"),), 1, PRIO, Status.MISSED, overrides=short(conferences=SHORT_1)
    ),
    "prio-window-rtg-on-eve-of-next-conference": Case(
        (held(1, "2020-02-19"),), 1, PRIO, Status.MET, 1, overrides=short(conferences=SHORT_1)
    ),
    # No lead overlapping [MC_n, MC_n+1).
    "lead-ended-before-cycle": Case(
        WORKED_RTGS,
        BEIJING,
        PRIO,
        Status.NO_LEAD,
        overrides={"leads": (LeadPeriod(d("2012-06-14"), d("2014-10-30")),)},
    ),
    "lead-ended-on-conference-day": Case(
        WORKED_RTGS,
        BEIJING,
        PRIO,
        Status.MET,
        1,
        overrides={"leads": (LeadPeriod(d("2012-06-14"), d("2014-10-31")),)},
    ),
    "lead-starts-on-next-conference-day": Case(
        WORKED_RTGS,
        BEIJING,
        REVIEW,
        Status.NO_LEAD,
        overrides={"leads": (LeadPeriod(d("2015-12-09"), None),)},
    ),
    "lead-starts-on-eve-of-next-conference": Case(
        WORKED_RTGS,
        BEIJING,
        REVIEW,
        Status.MET,
        2,
        overrides={"leads": (LeadPeriod(d("2015-12-08"), None),)},
    ),
    "no-leads-at-all": Case(WORKED_RTGS, BEIJING, REVIEW, Status.NO_LEAD, overrides={"leads": ()}),
    "no-lead-beats-infeasible": Case(
        (), 1, REVIEW, Status.NO_LEAD, overrides=short(conferences=SHORT_3, leads=())
    ),
    # Not in force.
    "effective-on-cycle-start-in-force": Case(WORKED_RTGS, BEIJING, PRIO, Status.MET, 1),
    "effective-day-after-cycle-start": Case(
        WORKED_RTGS,
        BEIJING,
        PRIO,
        Status.NOT_IN_FORCE,
        overrides={"rule_effective_from": d("2014-11-01")},
    ),
    "rule-without-effective-date": Case(
        WORKED_RTGS, ISLAMABAD, REVIEW, Status.NOT_IN_FORCE, overrides={"rule_effective_from": None}
    ),
    "not-in-force-beats-no-lead": Case(
        (), ALMATY, REVIEW, Status.NOT_IN_FORCE, overrides={"leads": ()}
    ),
    # Cancelled meetings count for nothing.
    "cancelled-rtg-does-not-meet": Case(
        (cancelled(1, "2014-12-31"),), BEIJING, PRIO, Status.MISSED
    ),
    "cancelled-rtg-is-not-late": Case(
        (BEIJING_PRIO_MET, cancelled(1, "2015-09-01")), BEIJING, REVIEW, Status.MISSED
    ),
    "cancelled-rtg-does-not-schedule": Case(
        (BEIJING_PRIO_MET, cancelled(1, "2015-07-01")),
        BEIJING,
        REVIEW,
        Status.AT_RISK,
        on=d("2015-07-20"),
    ),
    # A meeting on MC_n+1's date belongs to the next cycle.
    "rtg-on-next-conference-day-not-in-cycle": Case(
        (held(1, "2015-12-09"),), BEIJING, PRIO, Status.MISSED
    ),
    "rtg-on-next-conference-day-opens-next-cycle": Case(
        (held(1, "2015-12-09"),), ISLAMABAD, PRIO, Status.MET, 1
    ),
    # at_risk boundaries for the Beijing review (deadline 2015-08-09).
    "deadline-minus-31-open": Case(
        (BEIJING_PRIO_MET,), BEIJING, REVIEW, Status.OPEN, on=d("2015-07-09")
    ),
    "deadline-minus-30-at-risk": Case(
        (BEIJING_PRIO_MET,), BEIJING, REVIEW, Status.AT_RISK, on=d("2015-07-10")
    ),
    "deadline-day-at-risk": Case(
        (BEIJING_PRIO_MET,), BEIJING, REVIEW, Status.AT_RISK, on=d("2015-08-09")
    ),
    "deadline-plus-1-missed": Case(
        (BEIJING_PRIO_MET,), BEIJING, REVIEW, Status.MISSED, on=d("2015-08-10")
    ),
    "prio-at-risk-30-days-before-its-deadline": Case(
        (), BEIJING, PRIO, Status.AT_RISK, on=d("2014-12-01")
    ),
    "prio-open-before-at-risk": Case((), BEIJING, PRIO, Status.OPEN, on=d("2014-11-30")),
    # Scheduled versus at risk.
    "planned-in-window-scheduled": Case(
        (BEIJING_PRIO_MET, planned(1, "2015-08-09")),
        BEIJING,
        REVIEW,
        Status.SCHEDULED,
        on=d("2015-07-20"),
    ),
    "planned-after-window-at-risk": Case(
        (BEIJING_PRIO_MET, planned(1, "2015-08-10")),
        BEIJING,
        REVIEW,
        Status.AT_RISK,
        on=d("2015-07-20"),
    ),
    "planned-on-conference-day-schedules-prio-only": Case(
        (planned(1, "2014-10-31"),), BEIJING, REVIEW, Status.OPEN, on=d("2014-10-01")
    ),
    "planned-on-conference-day-schedules-prio": Case(
        (planned(1, "2014-10-31"),), BEIJING, PRIO, Status.SCHEDULED, on=d("2014-10-01")
    ),
    "planned-beats-at-risk-far-ahead": Case(
        (planned(1, "2015-01-01"),), BEIJING, REVIEW, Status.SCHEDULED, on=d("2014-10-01")
    ),
    "planned-past-deadline-still-missed": Case(
        (BEIJING_PRIO_MET, planned(1, "2015-08-01")),
        BEIJING,
        REVIEW,
        Status.MISSED,
        on=d("2015-08-10"),
    ),
    # One planned meeting schedules one obligation (Beijing: prioritisation window 31 Oct - 31 Dec
    # 2014, review window 31 Oct 2014 (exclusive) - 9 Aug 2015): the prioritisation takes the
    # earliest planned RTG in its window, the review the latest in its own, other than that one.
    "one-planned-in-both-windows-schedules-prio": Case(
        (planned(1, "2014-11-15"),), BEIJING, PRIO, Status.SCHEDULED, on=d("2014-11-01")
    ),
    "one-planned-in-both-windows-leaves-review-open": Case(
        (planned(1, "2014-11-15"),), BEIJING, REVIEW, Status.OPEN, on=d("2014-11-01")
    ),
    "two-planned-in-both-windows-schedule-the-review-too": Case(
        (planned(1, "2014-11-15"), planned(2, "2014-12-20")),
        BEIJING,
        REVIEW,
        Status.SCHEDULED,
        on=d("2014-11-01"),
    ),
    "two-planned-on-one-day-schedule-both": Case(
        (planned(2, "2014-11-15"), planned(1, "2014-11-15")),
        BEIJING,
        REVIEW,
        Status.SCHEDULED,
        on=d("2014-11-01"),
    ),
    "planned-in-prio-window-schedules-review-once-prio-met": Case(
        (held(9, "2014-11-01"), planned(1, "2014-12-20")),
        BEIJING,
        REVIEW,
        Status.SCHEDULED,
        on=d("2014-11-10"),
    ),
    "planned-on-prio-deadline-schedules-prio": Case(
        (planned(1, "2014-12-31"),), BEIJING, PRIO, Status.SCHEDULED, on=d("2014-12-01")
    ),
    "planned-on-prio-deadline-not-the-review": Case(
        (planned(1, "2014-12-31"),), BEIJING, REVIEW, Status.OPEN, on=d("2014-12-01")
    ),
    "planned-day-after-prio-window-leaves-prio-at-risk": Case(
        (planned(1, "2015-01-01"),), BEIJING, PRIO, Status.AT_RISK, on=d("2014-12-01")
    ),
    "planned-day-after-prio-window-schedules-review": Case(
        (planned(1, "2015-01-01"),), BEIJING, REVIEW, Status.SCHEDULED, on=d("2014-12-01")
    ),
    "planned-taken-by-missed-prio-cannot-schedule-review": Case(
        (planned(1, "2014-12-20"),), BEIJING, REVIEW, Status.OPEN, on=d("2015-01-10")
    ),
    "cancelled-planned-frees-the-review": Case(
        (planned(1, "2014-11-15"), cancelled(2, "2014-11-10")),
        BEIJING,
        REVIEW,
        Status.OPEN,
        on=d("2014-11-01"),
    ),
    # Replaying a past day: a held meeting dated after D was only planned on D.
    "replay-held-after-day-is-scheduled": Case(
        (BEIJING_PRIO_MET, held(1, "2015-08-01")),
        BEIJING,
        REVIEW,
        Status.SCHEDULED,
        on=d("2015-07-20"),
    ),
    "replay-held-on-day-is-met": Case(
        (BEIJING_PRIO_MET, held(1, "2015-08-01")),
        BEIJING,
        REVIEW,
        Status.MET,
        1,
        on=d("2015-08-01"),
    ),
    "replay-late-rtg-not-yet-held": Case(
        (BEIJING_PRIO_MET, held(1, "2015-09-01")),
        BEIJING,
        REVIEW,
        Status.MISSED,
        on=d("2015-08-20"),
    ),
    "replay-future-cycle-is-listed-open": Case((), BAKU, PRIO, Status.OPEN, on=d("2015-07-20")),
}


@pytest.mark.parametrize("case", BOUNDARIES.values(), ids=BOUNDARIES.keys())
def test_boundary(case: Case) -> None:
    result = run(case.meetings, on=case.on, **case.overrides)  # type: ignore[arg-type]

    found = obligation(result, case.conference, case.kind)
    assert (found.status, found.met_by) == (case.status, case.met_by)


# --- Annual indicator ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "on", "expected"),
    [
        pytest.param({}, "2014-12-31", [(2014, 1)], id="first-in-force-year-only"),
        pytest.param({}, "2014-12-30", [(2014, 0)], id="meeting-after-day-not-counted"),
        pytest.param({}, "2013-06-01", [], id="day-before-first-in-force-year"),
        pytest.param({"rule_effective_from": None}, "2017-01-01", [], id="rule-not-dated"),
        pytest.param(
            {"rule_effective_from": d("2030-01-01")}, "2017-01-01", [], id="no-cycle-in-force"
        ),
        pytest.param(
            {"rule_effective_from": d("2015-01-01")},
            "2016-06-30",
            [(2015, 1), (2016, 1)],
            id="starts-at-first-in-force-cycle-year",
        ),
        pytest.param(
            {"approved_on": d("2016-01-01"), "rule_effective_from": d("2012-01-01")},
            "2017-01-01",
            [(2016, 2), (2017, 0)],
            id="starts-at-binding-when-rule-older",
        ),
    ],
)
def test_annual_indicator(
    overrides: dict[str, object], on: str, expected: list[tuple[int, int]]
) -> None:
    result = run(on=d(on), **overrides)  # type: ignore[arg-type]

    assert result.annual == tuple(AnnualCount(year, count) for year, count in expected)


def test_annual_indicator_ignores_planned_and_cancelled() -> None:
    meetings = [held(1, "2015-03-01"), planned(2, "2015-04-01"), cancelled(3, "2015-05-01")]

    result = run(meetings, on=d("2015-12-31"))

    assert result.annual == (AnnualCount(2014, 0), AnnualCount(2015, 1))


# --- Module hygiene -----------------------------------------------------------------------------


def test_status_and_kind_compare_equal_to_their_strings() -> None:
    assert Status.AT_RISK == "at_risk"
    assert Status.NOT_IN_FORCE == "not_in_force"
    assert Kind.PRIORITISATION == "prioritisation"


def test_engine_imports_only_stdlib_and_dateutil() -> None:
    tree = ast.parse(Path(compliance.__file__).read_text())
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
        )
    }

    assert imported - {"dateutil"} <= set(sys.stdlib_module_names)


# --- Properties ---------------------------------------------------------------------------------

ALLOWED = set(Status)
DAYS = st.dates(min_value=date(2010, 6, 1), max_value=date(2031, 6, 30))


@st.composite
def conference_histories(draw: st.DrawFn) -> list[Conference]:
    first = draw(st.dates(min_value=date(2011, 1, 1), max_value=date(2016, 12, 31)))
    gaps = draw(st.lists(st.integers(min_value=1, max_value=20), max_size=7))
    dates = [first]
    for gap in gaps:
        dates.append(dates[-1] + relativedelta(months=gap))
    held_count = draw(st.integers(min_value=0, max_value=len(dates)))
    history = [
        Conference(number, when, held=number <= held_count)
        for number, when in enumerate(dates, start=1)
    ]
    # The next conference is often announced before it is dated.
    if held_count < len(history) and draw(st.booleans()):
        history[-1] = dataclasses.replace(history[-1], date=None)
    return history


@st.composite
def meeting_dates(draw: st.DrawFn, anchors: Sequence[date]) -> date:
    """Mostly near a conference, where the windows are, so matching gets exercised."""
    if not anchors or draw(st.integers(min_value=0, max_value=4)) == 0:
        return draw(DAYS)
    return draw(st.sampled_from(anchors)) + timedelta(days=draw(st.integers(-20, 400)))


@st.composite
def meeting_lists(draw: st.DrawFn, anchors: Sequence[date]) -> list[Meeting]:
    status = st.sampled_from(["held", "held", "planned", "cancelled"])
    entries = draw(st.lists(st.tuples(meeting_dates(anchors), status), max_size=20))
    ids = draw(st.permutations(range(1, len(entries) + 1)))
    return [Meeting(id_, when, status) for id_, (when, status) in zip(ids, entries, strict=True)]


EARLY_DAYS = st.dates(min_value=date(2010, 6, 1), max_value=date(2018, 12, 31))
BEGINNING, END = date(2010, 6, 1), date(2031, 6, 30)
ALWAYS = LeadPeriod(BEGINNING, None)


def usually(value: object, otherwise: st.SearchStrategy) -> st.SearchStrategy:
    """`value` two times in three."""
    return st.one_of(st.just(value), st.just(value), otherwise)


@st.composite
def lead_periods(draw: st.DrawFn) -> LeadPeriod:
    since = draw(EARLY_DAYS)
    length = draw(st.none() | st.integers(min_value=0, max_value=5000))
    return LeadPeriod(since, None if length is None else since + timedelta(days=length))


@dataclass(frozen=True)
class Scenario:
    cycles: list[Cycle]
    approved_on: date
    leads: list[LeadPeriod]
    meetings: list[Meeting]
    rule_effective_from: date | None
    on: date


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    # Each input mostly takes its least restrictive value, or met and late would rarely come up.
    all_cycles = cycles(draw(conference_histories()))
    return Scenario(
        cycles=all_cycles,
        approved_on=draw(usually(BEGINNING, EARLY_DAYS)),
        leads=draw(usually([ALWAYS], st.lists(lead_periods(), max_size=3))),
        meetings=draw(meeting_lists([c.start for c in all_cycles])),
        rule_effective_from=draw(usually(BEGINNING, st.none() | EARLY_DAYS)),
        on=draw(usually(END, DAYS)),
    )


def scenario_evaluate(scenario: Scenario, **changes: object) -> Compliance:
    scenario = dataclasses.replace(scenario, **changes)  # type: ignore[arg-type]
    return evaluate(
        cycles=scenario.cycles,
        approved_on=scenario.approved_on,
        leads=scenario.leads,
        meetings=scenario.meetings,
        rule_effective_from=scenario.rule_effective_from,
        on=scenario.on,
    )


PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@PROPERTY_SETTINGS
@given(scenarios())
def test_property_no_meeting_meets_two_obligations(scenario: Scenario) -> None:
    used = [o.met_by for o in scenario_evaluate(scenario).obligations if o.met_by is not None]

    assert len(used) == len(set(used))


@PROPERTY_SETTINGS
@given(scenarios())
def test_property_statuses_and_met_by_are_consistent(scenario: Scenario) -> None:
    for found in scenario_evaluate(scenario).obligations:
        assert found.status in ALLOWED
        assert found.kind in set(Kind)
        assert (found.met_by is not None) == (found.status in {Status.MET, Status.LATE})


@PROPERTY_SETTINGS
@given(scenarios())
def test_property_matched_meetings_lie_where_the_rule_says(scenario: Scenario) -> None:
    by_id = {m.id: m for m in scenario.meetings}
    by_conference = {c.conference: c for c in scenario.cycles}

    for found in scenario_evaluate(scenario).obligations:
        if found.met_by is None:
            continue
        meeting = by_id[found.met_by]
        cycle = by_conference[found.conference]
        assert meeting.status == "held" and meeting.date <= scenario.on
        assert cycle.start <= meeting.date < cycle.end
        if found.status == Status.LATE:
            assert found.deadline < meeting.date
        elif found.kind == PRIO:
            assert found.window_start <= meeting.date <= found.deadline
        else:
            assert found.window_start < meeting.date <= found.deadline


@PROPERTY_SETTINGS
@given(scenarios())
def test_property_replay_ignores_whether_later_meetings_were_held(scenario: Scenario) -> None:
    as_planned = [
        dataclasses.replace(m, status="planned")
        if m.status == "held" and m.date > scenario.on
        else m
        for m in scenario.meetings
    ]

    assert scenario_evaluate(scenario, meetings=as_planned) == scenario_evaluate(scenario)


@PROPERTY_SETTINGS
@given(scenarios())
def test_property_two_obligations_per_bound_cycle(scenario: Scenario) -> None:
    bound = bound_cycles(scenario.cycles, scenario.approved_on)
    result = scenario_evaluate(scenario)

    assert len(result.obligations) == 2 * len(bound)
    assert [(o.conference, o.kind) for o in result.obligations] == [
        (c.conference, kind) for c in bound for kind in (PRIO, REVIEW)
    ]


@PROPERTY_SETTINGS
@given(scenarios())
def test_property_meeting_order_does_not_matter(scenario: Scenario) -> None:
    reordered = scenario_evaluate(scenario, meetings=list(reversed(scenario.meetings)))

    assert reordered == scenario_evaluate(scenario)


def test_no_conference_yet_means_no_cycle_and_no_obligation():
    assert compliance.cycles([]) == []
    result = compliance.evaluate(
        cycles=[],
        approved_on=date(2012, 6, 14),
        leads=[],
        meetings=[],
        rule_effective_from=date(2014, 10, 31),
        on=date(2026, 11, 22),
    )
    assert result.obligations == ()
    assert result.annual == ()
