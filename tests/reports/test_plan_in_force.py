"""A report lists the activities of the plan version in force during its cycle (issue #17): an
MC1-cycle report never lists a plan adopted after that cycle ended, nor a draft."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cbms.models import PlanStatus
from cbms.models.plans import version_in_force_on
from cbms.reports.selectors import plan_activities, report_plan
from cbms.reports.services import report_start, report_update_draft
from tests.cbms.factories import ActivityFactory, PlanVersionFactory, PriorityAreaFactory


def _version(number, status=PlanStatus.SUPERSEDED, adopted_on=None):
    return SimpleNamespace(version=number, status=status, adopted_on=adopted_on)


DAY = dt.date(2015, 6, 1)


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        ([], None),
        ([_version(1, PlanStatus.DRAFT)], None),
        # Undated versions follow their numbers: the last published one.
        ([_version(1), _version(2, PlanStatus.IN_FORCE)], 2),
        # Adopted the day itself: in force that day; the day after: not yet.
        ([_version(1, adopted_on=DAY)], 1),
        ([_version(1, adopted_on=DAY + dt.timedelta(days=1))], None),
        (
            [
                _version(1, adopted_on=dt.date(2012, 1, 1)),
                _version(2, PlanStatus.IN_FORCE, adopted_on=DAY + dt.timedelta(days=1)),
            ],
            1,
        ),
        # A later undated version cannot come before an earlier one adopted after the day.
        (
            [
                _version(1, adopted_on=dt.date(2012, 1, 1)),
                _version(2, adopted_on=dt.date(2016, 1, 1)),
                _version(3, PlanStatus.IN_FORCE),
            ],
            1,
        ),
        # A draft is never in force, even numbered after the one that is.
        ([_version(1, PlanStatus.IN_FORCE), _version(2, PlanStatus.DRAFT)], 1),
    ],
)
def test_the_version_in_force_on_a_day(versions, expected):
    chosen = version_in_force_on(reversed(versions), DAY)
    assert (chosen.version if chosen else None) == expected


@pytest.fixture
def revised(rw):
    """CT's v1 adopted in 2012 (superseded) and v2 adopted after the MC1 cycle ended."""
    v1 = rw.activities[0].priority_area.plan
    v1.adopted_on = dt.date(2012, 7, 1)
    v1.status = PlanStatus.SUPERSEDED
    v1.save()
    v2 = PlanVersionFactory(
        cbm=rw.cbm, version=2, status=PlanStatus.IN_FORCE, adopted_on=dt.date(2013, 5, 1)
    )
    new_activity = ActivityFactory(
        priority_area=PriorityAreaFactory(plan=v2, number=1), title="Revised activity"
    )
    return v1, v2, new_activity


def test_an_earlier_cycle_reports_on_the_plan_then_in_force(rw, revised):
    v1, v2, new_activity = revised

    earlier = report_start(cbm=rw.cbm, conference=rw.mc1, actor=rw.fp_fra)
    current = rw.start()  # the MC2 cycle, still running

    assert report_plan(earlier) == v1
    assert list(plan_activities(report_plan(earlier))) == rw.activities
    assert report_plan(current) == v2
    assert list(plan_activities(report_plan(current))) == [new_activity]


def test_an_activity_of_a_later_plan_is_refused_on_an_earlier_cycle(rw, revised):
    _v1, _v2, new_activity = revised
    earlier = report_start(cbm=rw.cbm, conference=rw.mc1, actor=rw.fp_fra)

    with pytest.raises(ValidationError) as refused:
        report_update_draft(
            report=earlier,
            actor=rw.fp_fra,
            activities=[{"activity": new_activity.pk, "status": "completed", "percent": 100}],
        )

    assert "not in the plan in force in this report's cycle" in str(refused.value)
    assert not earlier.activity_updates.exists()
    report_update_draft(
        report=earlier,
        actor=rw.fp_fra,
        activities=[{"activity": rw.activities[0].pk, "status": "completed", "percent": 100}],
    )
    update = earlier.activity_updates.get()
    assert update.plan_version_id == rw.activities[0].priority_area.plan_id


def test_the_edit_page_lists_that_plan_and_says_which(rw, revised, client):
    v1, _v2, new_activity = revised
    earlier = report_start(cbm=rw.cbm, conference=rw.mc1, actor=rw.fp_fra)
    client.force_login(rw.fp_fra)

    page = client.get(reverse("cbms:report_edit", args=[earlier.pk])).text

    assert f"status-{rw.activities[0].pk}" in page
    assert f"status-{new_activity.pk}" not in page
    assert "From version 1 of the implementation plan" in page
    assert "the one in force in the cycle of MC 1" in page


def test_a_cycle_before_any_plan_lists_none_and_says_so(rw, client):
    plan = rw.activities[0].priority_area.plan
    plan.adopted_on = dt.date(2014, 1, 1)  # after the MC1 cycle ended (2013-04-26)
    plan.save()
    earlier = report_start(cbm=rw.cbm, conference=rw.mc1, actor=rw.fp_fra)
    client.force_login(rw.fp_fra)

    page = client.get(reverse("cbms:report_edit", args=[earlier.pk])).text

    assert report_plan(earlier) is None
    assert "No implementation plan was in force in this cycle" in page
    assert "status-" not in page
