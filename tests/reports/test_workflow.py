"""Every legal and illegal step of the report workflow, at the service level (SPEC §4)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from cbms.models import (
    ImmutableRowError,
    ProgressReport,
    ReportReview,
    ReportState,
    ReportSubmission,
)
from cbms.reports.services import (
    content_hash,
    report_accept,
    report_return,
    report_start,
    report_submit,
    report_update_draft,
)
from members.models import Notification
from tests.members.factories import FocalPointFactory


def _acts(rw, status="in_progress", percent=50):
    return [
        {"activity": a.pk, "status": status, "percent": percent, "note": "n"} for a in rw.activities
    ]


def _to_state(rw, state):
    report = rw.start(narrative="First.")
    if state == ReportState.DRAFT:
        return report
    report = report_submit(report=report, actor=rw.fp_fra)
    if state == ReportState.SUBMITTED:
        return report
    if state == ReportState.ACCEPTED:
        return report_accept(report=report, actor=rw.staff)
    return report_return(report=report, actor=rw.staff, comment="Add numbers.")


# --- Start --------------------------------------------------------------------------------------


def test_focal_point_of_leading_country_starts_a_draft(rw):
    report = rw.start(narrative="Hello", activities=_acts(rw))
    assert report.state == ReportState.DRAFT
    assert report.country == rw.france
    assert report.activity_updates.count() == 2
    assert report.history.first().history_change_reason == "started"


@pytest.mark.parametrize("who", ["fp_deu", "staff", "analyst"])
def test_only_a_leading_focal_point_starts(rw, who):
    with pytest.raises(PermissionDenied):
        report_start(cbm=rw.cbm, conference=rw.mc2, actor=getattr(rw, who))
    assert not ProgressReport.objects.exists()


def test_cycle_before_the_lead_began_is_refused(rw):
    # France leads from 2012-06-14, inside MC1's cycle [2011-11-02, 2013-04-26): allowed.
    assert report_start(cbm=rw.cbm, conference=rw.mc1, actor=rw.fp_fra).country == rw.france
    role = rw.cbm.roles.get()
    role.until = rw.mc2.date.replace(year=2013, month=1)
    role.save()
    with pytest.raises(PermissionDenied):
        report_start(cbm=rw.cbm, conference=rw.mc2, actor=rw.fp_fra)


def test_one_report_per_cycle_and_country(rw):
    rw.start()
    with pytest.raises(ValidationError) as exc:
        rw.start()
    assert "conference" in exc.value.message_dict


def test_country_is_the_actors_own(rw):
    """Goal 5: the service takes no country; a second French focal point reports for France."""
    other = FocalPointFactory(country=rw.france)
    report = report_start(cbm=rw.cbm, conference=rw.mc2, actor=other)
    assert report.country_id == rw.france.pk


# --- Edit ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [ReportState.DRAFT, ReportState.RETURNED])
def test_edit_draft_or_returned(rw, state):
    report = _to_state(rw, state)
    report = report_update_draft(
        report=report, actor=rw.fp_fra, narrative="Edited", activities=_acts(rw, "completed", 100)
    )
    assert report.narrative == "Edited"
    assert set(report.activity_updates.values_list("status", flat=True)) == {"completed"}


@pytest.mark.parametrize("state", [ReportState.SUBMITTED, ReportState.ACCEPTED])
def test_edit_refused_once_submitted(rw, state):
    from cbms.reports.services import ReportStateError

    report = _to_state(rw, state)
    with pytest.raises(ReportStateError):
        report_update_draft(report=report, actor=rw.fp_fra, narrative="Sneaky")
    report.refresh_from_db()
    assert report.narrative == "First."


@pytest.mark.parametrize("who", ["fp_deu", "staff", "analyst"])
def test_edit_by_others_refused(rw, who):
    report = rw.start(narrative="Mine")
    with pytest.raises(PermissionDenied):
        report_update_draft(report=report, actor=getattr(rw, who), narrative="Theirs")
    report.refresh_from_db()
    assert report.narrative == "Mine"


@pytest.mark.parametrize(
    "item",
    [
        {"status": "done", "percent": 10},
        {"status": "in_progress", "percent": 101},
        {"status": "in_progress", "percent": -1},
        {"status": "in_progress", "percent": "50"},
    ],
)
def test_bad_activity_updates_refused(rw, item):
    report = rw.start()
    with pytest.raises(ValidationError) as exc:
        report_update_draft(
            report=report, actor=rw.fp_fra, activities=[{"activity": rw.activities[0].pk, **item}]
        )
    assert "activities" in exc.value.message_dict
    assert not report.activity_updates.exists()


def test_activity_of_another_plan_refused(rw):
    from tests.cbms.factories import ActivityFactory

    stranger = ActivityFactory()  # another CBM's plan
    report = rw.start()
    with pytest.raises(ValidationError):
        report_update_draft(
            report=report,
            actor=rw.fp_fra,
            activities=[{"activity": stranger.pk, "status": "delayed", "percent": 0}],
        )


# --- Submit, accept, return ---------------------------------------------------------------------


def test_submit_keeps_a_version_and_tells_the_desk_officer(rw):
    report = rw.start(narrative="N", activities=_acts(rw))
    report = report_submit(report=report, actor=rw.fp_fra)
    assert report.state == ReportState.SUBMITTED
    version = report.submissions.get()
    assert version.number == 1
    assert version.narrative == "N"
    assert len(version.activities) == 2
    assert version.content_hash == content_hash(version.narrative, version.activities)
    assert Notification.objects.filter(recipient=rw.staff).count() == 2  # email + portal


def test_resubmission_after_return_adds_a_version(rw):
    report = _to_state(rw, ReportState.RETURNED)
    report_update_draft(report=report, actor=rw.fp_fra, narrative="Second.")
    report = report_submit(report=report, actor=rw.fp_fra)
    assert list(report.submissions.values_list("number", "narrative")) == [
        (1, "First."),
        (2, "Second."),
    ]
    assert Notification.objects.filter(recipient=rw.fp_fra, subject__endswith="returned").exists()


@pytest.mark.parametrize("state", [ReportState.SUBMITTED, ReportState.ACCEPTED])
def test_submit_refused_unless_draft_or_returned(rw, state):
    from cbms.reports.services import ReportStateError

    report = _to_state(rw, state)
    with pytest.raises(ReportStateError):
        report_submit(report=report, actor=rw.fp_fra)
    assert report.submissions.count() == 1


@pytest.mark.parametrize("who", ["fp_deu", "staff", "analyst"])
def test_submit_by_others_refused(rw, who):
    report = rw.start()
    with pytest.raises(PermissionDenied):
        report_submit(report=report, actor=getattr(rw, who))
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT


def test_accept(rw):
    report = _to_state(rw, ReportState.SUBMITTED)
    report = report_accept(report=report, actor=rw.staff, comment="Good")
    assert report.state == ReportState.ACCEPTED
    review = ReportReview.objects.get()
    assert (review.decision, review.reviewer, review.submission.number) == ("accepted", rw.staff, 1)
    assert Notification.objects.filter(recipient=rw.fp_fra).count() == 2


def test_return_needs_a_comment(rw):
    report = _to_state(rw, ReportState.SUBMITTED)
    with pytest.raises(ValidationError) as exc:
        report_return(report=report, actor=rw.staff, comment="  ")
    assert "comment" in exc.value.message_dict
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


@pytest.mark.parametrize("state", [ReportState.DRAFT, ReportState.ACCEPTED, ReportState.RETURNED])
@pytest.mark.parametrize("decide", [report_accept, report_return])
def test_review_refused_unless_submitted(rw, state, decide):
    from cbms.reports.services import ReportStateError

    report = _to_state(rw, state)
    with pytest.raises(ReportStateError):
        decide(report=report, actor=rw.staff, comment="x")
    report.refresh_from_db()
    assert report.state == state


@pytest.mark.parametrize("who", ["fp_fra", "fp_deu", "analyst"])
@pytest.mark.parametrize("decide", [report_accept, report_return])
def test_review_by_non_secretariat_refused(rw, who, decide):
    report = _to_state(rw, ReportState.SUBMITTED)
    with pytest.raises(PermissionDenied):
        decide(report=report, actor=getattr(rw, who), comment="x")
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


# --- Immutability (goal 9) ----------------------------------------------------------------------


def test_submission_cannot_be_altered_or_deleted_by_the_orm(rw):
    report = _to_state(rw, ReportState.SUBMITTED)
    version = report.submissions.get()
    version.narrative = "Rewritten"
    with pytest.raises(ImmutableRowError):
        version.save()
    with pytest.raises(ImmutableRowError):
        version.delete()
    assert ReportSubmission.objects.get().narrative == "First."


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE cbms_reportsubmission SET narrative = 'Rewritten'",
        "DELETE FROM cbms_reportsubmission",
    ],
)
def test_submission_cannot_be_altered_by_raw_sql(rw, sql):
    from django.db import DatabaseError

    _to_state(rw, ReportState.SUBMITTED)
    with (
        pytest.raises(DatabaseError, match="never changed or deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert ReportSubmission.objects.get().narrative == "First."
