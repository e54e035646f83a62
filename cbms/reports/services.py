"""Writes for progress reports (SPEC §4), the workflow: start, edit, submit, accept, return, attach.

Every service is atomic, takes keyword-only arguments and an `actor`, locks the report row before
reading its state, bumps the report's `version` when it writes, and raises, in this order:
- PermissionDenied when the actor may not take the step (403);
- ReportChangedError when the caller read an older version than the stored one (`expected_version`:
  the API's If-Match, the edit form's hidden field; 412);
- ReportStateError when the report's state does not allow the step (409);
- ValidationError for bad input (400), naming the field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from conferences.models import MinisterialConference
from members.models import Country, Role, User
from members.permissions import is_focal_point, is_secretariat
from members.services import Notice, notices_create, notices_in_languages

from ..models import (
    CBM,
    ActivityStatus,
    ProgressReport,
    ReportActivityUpdate,
    ReportAttachment,
    ReportReview,
    ReportState,
    ReportSubmission,
    ReviewDecision,
)
from .attachments import attachment_validate
from .permissions import can_write_report, country_leads_in_cycle, report_cycle
from .selectors import plan_activities, report_plan

logger = logging.getLogger(__name__)

EDITABLE_STATES = (ReportState.DRAFT, ReportState.RETURNED)
# Set by report_start and never written again: a later full_clean() need not look them up anew.
UNCHANGED_ON_WRITE = ["cbm", "conference", "country", "created_by"]


class ReportStateError(Exception):
    """The report's state does not allow this step (e.g. accepting a draft)."""


class ReportChangedError(Exception):
    """The report was written since the caller read it: their step would build on a stale copy."""

    def __init__(self, report: ProgressReport):
        self.report_id, self.version = report.pk, report.version
        super().__init__(
            "This report was changed by someone else since you opened it "
            f"(it is now at version {report.version}). Reload it and make your change again."
        )


def _check_fresh(report: ProgressReport, expected_version: int | Collection[int] | None) -> None:
    """None: the caller asks for no check. Otherwise the stored version must be (one of) theirs."""
    if expected_version is None:
        return
    expected = {expected_version} if isinstance(expected_version, int) else set(expected_version)
    if report.version not in expected:
        raise ReportChangedError(report)


def _refuse_nul(field: str, *values: str | None) -> None:
    """PostgreSQL cannot store a NUL character: a clear 400, whichever way the text came in."""
    if any(value and "\x00" in value for value in values):
        raise ValidationError({field: [gettext("Null characters are not allowed.")]})


def _state(report: ProgressReport) -> dict[str, str]:
    """The report's state as a message names it, in the reader's language."""
    return {"state": str(ReportState(report.state).label)}


def _bump(report: ProgressReport) -> None:
    """Under the row lock `_locked` took: no other writer can have bumped it in between."""
    report.version += 1


def _locked(report: ProgressReport) -> ProgressReport:
    return (
        ProgressReport.objects.select_for_update()
        .select_related("cbm", "conference", "country")
        .get(pk=report.pk)
    )


# --- Notices -----------------------------------------------------------------------------------
# Each composed in its reader's language (members.services.notices_in_languages), each with the
# link to the page where its reader acts: review, edit, or read the accepted report.


def _report_label(report: ProgressReport) -> str:
    return gettext("%(cbm)s report of %(country)s for MC %(number)s") % {
        "cbm": report.cbm.code,
        "country": report.country.code,
        "number": report.conference.number,
    }


def _submitted_notices(report: ProgressReport, number: int) -> list[Notice]:
    """Every active secretariat user, and the CBM's desk officer if not one of them."""
    recipients = list(User.objects.filter(role=Role.SECRETARIAT, is_active=True).order_by("pk"))
    desk_officer = report.cbm.desk_officer
    if desk_officer is not None and desk_officer.is_active:
        recipients.append(desk_officer)  # notices_in_languages tells each person once

    def compose() -> tuple[str, str]:
        subject = gettext("%(report)s: submitted for review") % {"report": _report_label(report)}
        body = gettext(
            "%(country)s submitted version %(number)s of its report on %(cbm)s for the cycle "
            "after MC %(conference)s. Review it: accept it, or return it with a comment."
        ) % {
            "country": report.country.name,
            "number": number,
            "cbm": report.cbm.code,
            "conference": report.conference.number,
        }
        return subject, body

    return notices_in_languages(
        recipients=recipients,
        event_key=f"report:{report.pk}:submitted:{number}",
        compose=compose,
        link=reverse("cbms:report_detail", args=[report.pk]),
    )


def _reviewed_notices(
    report: ProgressReport, decision: str, number: int, comment: str
) -> list[Notice]:
    """The reporting country's focal points: returned, with the comment and a link to edit it;
    accepted, with a link to the report."""
    focal_points = User.objects.filter(
        role=Role.FOCAL_POINT, country_id=report.country_id, is_active=True
    ).order_by("pk")
    returned = decision == ReviewDecision.RETURNED

    def compose() -> tuple[str, str]:
        label = _report_label(report)
        if returned:
            subject = gettext("%(report)s: returned") % {"report": label}
            body = gettext(
                "The secretariat returned version %(number)s of the report, saying:\n\n"
                "%(comment)s\n\nEdit the report and submit it again."
            ) % {"number": number, "comment": comment}
        else:
            subject = gettext("%(report)s: accepted") % {"report": label}
            body = gettext("The secretariat accepted version %(number)s of the report.") % {
                "number": number
            }
            if comment:
                body += "\n\n" + comment
        return subject, body

    return notices_in_languages(
        recipients=focal_points,
        event_key=f"report:{report.pk}:{decision}:{number}",
        compose=compose,
        link=reverse("cbms:report_edit" if returned else "cbms:report_detail", args=[report.pk]),
    )


# --- Workflow -----------------------------------------------------------------------------------


@transaction.atomic
def report_start(
    *,
    cbm: CBM,
    conference: MinisterialConference,
    actor: User,
    narrative: str = "",
    activities: Iterable[Mapping[str, Any]] | None = None,
    country: Country | None = None,
) -> ProgressReport:
    """A draft for the actor's own country. `country`, when a caller names one, must be that
    country: another is refused, never silently replaced (goal 5)."""
    if not is_focal_point(actor):
        raise PermissionDenied("Only a focal point of a leading country starts a report.")
    if report_cycle(conference=conference) is None:
        raise ValidationError(
            {"conference": [gettext("This conference opens no reporting cycle.")]}
        )
    if not country_leads_in_cycle(cbm=cbm, conference=conference, country_id=actor.country_id):
        raise PermissionDenied("Your country does not lead this CBM in that cycle.")
    if country is not None and country.pk != actor.country_id:
        raise ValidationError({"country": [gettext("You report for your own country only.")]})
    _refuse_nul("narrative", narrative)
    if ProgressReport.objects.filter(
        cbm=cbm, conference=conference, country_id=actor.country_id
    ).exists():
        raise ValidationError(
            {
                "conference": [
                    gettext("Your country already has a report on this CBM for this cycle.")
                ]
            }
        )
    report = ProgressReport(
        cbm=cbm,
        conference=conference,
        country_id=actor.country_id,
        state=ReportState.DRAFT,
        narrative=narrative,
        created_by=actor,
    )
    report._change_reason = "started"
    report.full_clean()
    report.save()
    if activities:
        _activities_replace(report, activities)
    return report


@transaction.atomic
def report_update_draft(
    *,
    report: ProgressReport,
    actor: User,
    narrative: str | None = None,
    activities: Iterable[Mapping[str, Any]] | None = None,
    country: Country | None = None,
    expected_version: int | Collection[int] | None = None,
) -> ProgressReport:
    """Edit a draft or a returned report; `activities`, when given, replaces every update.
    A report's country never changes: naming another one is refused (goal 5)."""
    report = _locked(report)
    if not can_write_report(actor, report):
        raise PermissionDenied("Only a focal point of the reporting country edits its report.")
    _check_fresh(report, expected_version)
    if report.state not in EDITABLE_STATES:
        raise ReportStateError(gettext("A %(state)s report cannot be edited.") % _state(report))
    if country is not None and country.pk != report.country_id:
        raise ValidationError({"country": [gettext("A report's country never changes.")]})
    _refuse_nul("narrative", narrative)
    if narrative is not None:
        report.narrative = narrative
    _bump(report)
    report._change_reason = "edited"
    report.full_clean(exclude=UNCHANGED_ON_WRITE)
    report.save()
    if activities is not None:
        _activities_replace(report, activities)
    return report


def _activities_replace(report: ProgressReport, activities: Iterable[Mapping[str, Any]]) -> None:
    allowed = {a.pk: a for a in plan_activities(report_plan(report))}
    rows, errors, seen = [], [], set()
    for index, item in enumerate(activities):
        raw = item.get("activity")
        activity_id = getattr(raw, "pk", raw)
        status = item.get("status")
        percent = item.get("percent", 0)
        where = {"item": index + 1}
        if activity_id not in allowed:
            errors.append(
                gettext(
                    "Item %(item)s: the activity is not in the plan in force in this report's "
                    "cycle."
                )
                % where
            )
            continue
        if activity_id in seen:
            errors.append(gettext("Item %(item)s: the activity is listed twice.") % where)
            continue
        seen.add(activity_id)
        if status not in ActivityStatus.values:
            errors.append(
                gettext("Item %(item)s: status must be one of %(statuses)s.")
                % {**where, "statuses": ", ".join(ActivityStatus.values)}
            )
            continue
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            errors.append(
                gettext("Item %(item)s: percent is a whole number from 0 to 100.") % where
            )
            continue
        if "\x00" in (item.get("note") or ""):
            errors.append(
                gettext("Item %(item)s: null characters are not allowed in the note.") % where
            )
            continue
        rows.append(
            ReportActivityUpdate(
                report=report,
                activity=allowed[activity_id],
                plan_version_id=allowed[activity_id].priority_area.plan_id,
                status=status,
                percent=percent,
                note=item.get("note") or "",
            )
        )
    if errors:
        raise ValidationError({"activities": errors})
    report.activity_updates.all().delete()
    for row in rows:
        row.save()


def submission_content(report: ProgressReport) -> tuple[str, list[dict]]:
    activities = [
        {
            "activity": u.activity_id,
            "plan_version": u.plan_version_id,
            "status": u.status,
            "percent": u.percent,
            "note": u.note,
        }
        for u in report.activity_updates.order_by("activity_id")
    ]
    return report.narrative, activities


def content_hash(narrative: str, activities: list[dict]) -> str:
    canonical = json.dumps(
        {"narrative": narrative, "activities": activities},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def report_submit(
    *,
    report: ProgressReport,
    actor: User,
    expected_version: int | Collection[int] | None = None,
) -> ProgressReport:
    """draft/returned → submitted, keeping a frozen version; the desk officer is told."""
    report = _locked(report)
    if not can_write_report(actor, report):
        raise PermissionDenied("Only a focal point of a leading country submits its report.")
    _check_fresh(report, expected_version)
    if report.state not in EDITABLE_STATES:
        raise ReportStateError(gettext("A %(state)s report cannot be submitted.") % _state(report))
    narrative, activities = submission_content(report)
    number = report.submissions.count() + 1
    ReportSubmission.objects.create(
        report=report,
        number=number,
        narrative=narrative,
        activities=activities,
        content_hash=content_hash(narrative, activities),
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
    report.state = ReportState.SUBMITTED
    _bump(report)
    report._change_reason = f"submitted (version {number})"
    report.full_clean(exclude=UNCHANGED_ON_WRITE)
    report.save()
    notices_create(notices=_submitted_notices(report, number))
    return report


def _review(
    *,
    report: ProgressReport,
    actor: User,
    decision: str,
    comment: str,
    expected_version: int | Collection[int] | None,
) -> ProgressReport:
    report = _locked(report)
    if not is_secretariat(actor):
        raise PermissionDenied("Only the secretariat reviews reports.")
    _check_fresh(report, expected_version)
    if report.state != ReportState.SUBMITTED:
        raise ReportStateError(
            gettext("Only a submitted report can be reviewed; this one is %(state)s.")
            % _state(report)
        )
    if decision == ReviewDecision.RETURNED and not comment.strip():
        raise ValidationError({"comment": [gettext("Say why the report is returned.")]})
    _refuse_nul("comment", comment)
    submission = report.submissions.order_by("-number").first()
    review = ReportReview(
        submission=submission, reviewer=actor, decision=decision, comment=comment.strip()
    )
    review.full_clean()
    review.save()
    report.state = (
        ReportState.ACCEPTED if decision == ReviewDecision.ACCEPTED else ReportState.RETURNED
    )
    _bump(report)
    report._change_reason = decision
    report.full_clean(exclude=UNCHANGED_ON_WRITE)
    report.save()
    notices_create(notices=_reviewed_notices(report, decision, submission.number, review.comment))
    return report


@transaction.atomic
def report_accept(
    *,
    report: ProgressReport,
    actor: User,
    comment: str = "",
    expected_version: int | Collection[int] | None = None,
) -> ProgressReport:
    return _review(
        report=report,
        actor=actor,
        decision=ReviewDecision.ACCEPTED,
        comment=comment,
        expected_version=expected_version,
    )


@transaction.atomic
def report_return(
    *,
    report: ProgressReport,
    actor: User,
    comment: str,
    expected_version: int | Collection[int] | None = None,
) -> ProgressReport:
    return _review(
        report=report,
        actor=actor,
        decision=ReviewDecision.RETURNED,
        comment=comment,
        expected_version=expected_version,
    )


def attachment_add(
    *,
    report: ProgressReport,
    actor: User,
    uploaded_file,
    expected_version: int | Collection[int] | None = None,
) -> ReportAttachment:
    """Check the file, store it under a server-made name, then write its row.

    The file reaches storage before its row reaches the database. If the transaction holding the
    row fails (inside this service, or at its commit when no outer transaction encloses it), the
    file is deleted here. An enclosing transaction rolled back after this returns (a request
    failing later) leaves a file no row names: `attachment_orphans_delete` sweeps it.
    """
    written: list[str] = []
    try:
        with transaction.atomic():
            return _attachment_add(
                report=report,
                actor=actor,
                uploaded_file=uploaded_file,
                expected_version=expected_version,
                written=written,
            )
    except BaseException:
        storage = ReportAttachment._meta.get_field("file").storage
        for name in written:
            try:
                storage.delete(name)
            except Exception:  # the sweep will find it; the original error is what matters
                logger.exception("Could not delete %s after a failed upload", name)
        raise


def _attachment_add(
    *,
    report: ProgressReport,
    actor: User,
    uploaded_file,
    expected_version: int | Collection[int] | None,
    written: list[str],
) -> ReportAttachment:
    report = _locked(report)
    if not can_write_report(actor, report):
        raise PermissionDenied("Only a focal point of the reporting country attaches files.")
    _check_fresh(report, expected_version)
    if report.state not in EDITABLE_STATES:
        raise ReportStateError(
            gettext("Files cannot be attached to a %(state)s report.") % _state(report)
        )
    kind = attachment_validate(uploaded_file)
    attachment = ReportAttachment(
        report=report,
        original_name=uploaded_file.name[:255],
        size=uploaded_file.size,
        content_type=kind.content_type,
        uploaded_by=actor,
    )
    attachment.file.save(uploaded_file.name, uploaded_file, save=False)
    written.append(attachment.file.name)
    attachment._change_reason = "attached"
    attachment.save()
    _bump(report)
    report._change_reason = f"attached {attachment.original_name}"[:100]
    report.save(update_fields=["version", "updated_at"])
    return attachment


def last_submitted_at(report: ProgressReport) -> dt.datetime | None:
    return report.submissions.order_by("-number").values_list("submitted_at", flat=True).first()


def attachment_removable(
    report: ProgressReport, attachment: ReportAttachment, *, submitted_at: dt.datetime | None
) -> bool:
    """A file may be taken off while the report is editable, unless it went with a version the
    secretariat has read (`submitted_at`, the last submission's time): that one stays with the
    record of what was submitted."""
    if report.state not in EDITABLE_STATES:
        return False
    return submitted_at is None or attachment.uploaded_at > submitted_at


@transaction.atomic
def attachment_remove(
    *,
    report: ProgressReport,
    actor: User,
    attachment_id: int,
    expected_version: int | Collection[int] | None = None,
) -> ReportAttachment:
    """Take a file off a draft: its row goes (its history keeps who attached and removed it)
    and the stored file is deleted once the transaction has committed, never before."""
    report = _locked(report)
    if not can_write_report(actor, report):
        raise PermissionDenied("Only a focal point of the reporting country removes files.")
    _check_fresh(report, expected_version)
    attachment = ReportAttachment.objects.get(pk=attachment_id, report=report)  # else DoesNotExist
    if report.state not in EDITABLE_STATES:
        raise ReportStateError(
            gettext("Files cannot be removed from a %(state)s report.") % _state(report)
        )
    if not attachment_removable(report, attachment, submitted_at=last_submitted_at(report)):
        raise ReportStateError(
            gettext("%(name)s went with a submitted version: it stays on the record.")
            % {"name": attachment.original_name}
        )
    name, storage = attachment.file.name, attachment.file.storage
    attachment._change_reason = "removed"
    attachment.delete()
    _bump(report)
    report._change_reason = f"removed {attachment.original_name}"[:100]
    report.save(update_fields=["version", "updated_at"])
    transaction.on_commit(lambda: _storage_delete(storage, name))
    return attachment


def _storage_delete(storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # the orphan sweep finds it later; the removal itself stands
        logger.exception("Could not delete %s after its attachment was removed", name)
