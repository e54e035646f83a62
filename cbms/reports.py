"""Writes for progress reports (SPEC §4): start, edit, submit, accept, return, attach.

Every service is atomic, takes keyword-only arguments and an `actor`, locks the report row before
reading its state, and raises:
- ReportStateError when the report's state does not allow the step (the API answers 409);
- PermissionDenied when the actor may not take it (403);
- ValidationError for bad input (400), naming the field.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from conferences.models import MinisterialConference
from members.models import Role, User
from members.permissions import is_focal_point, is_secretariat
from members.services import Notice, notices_create

from .models import (
    CBM,
    Activity,
    ActivityStatus,
    CBMRole,
    PlanStatus,
    ProgressReport,
    ReportActivityUpdate,
    ReportAttachment,
    ReportReview,
    ReportState,
    ReportSubmission,
    ReviewDecision,
)
from .services import timeline_read

EDITABLE_STATES = (ReportState.DRAFT, ReportState.RETURNED)


class ReportStateError(Exception):
    """The report's state does not allow this step (e.g. accepting a draft)."""


# --- Who may ------------------------------------------------------------------------------------


def report_cycle(*, conference: MinisterialConference):
    """The cycle MC_n opens, or None if it opens none (planned, undated)."""
    for cycle in timeline_read().cycles:
        if cycle.conference == conference.number:
            return cycle
    return None


def country_leads_in_cycle(*, cbm: CBM, conference: MinisterialConference, country_id) -> bool:
    cycle = report_cycle(conference=conference)
    if cycle is None or country_id is None:
        return False
    return (
        CBMRole.objects.leads()
        .filter(cbm=cbm, country_id=country_id)
        .overlapping(cycle.start, cycle.end)
        .exists()
    )


def can_write_report(user, report: ProgressReport) -> bool:
    """A focal point of the report's country while that country leads the CBM in the cycle."""
    return (
        is_focal_point(user)
        and user.country_id == report.country_id
        and country_leads_in_cycle(
            cbm=report.cbm, conference=report.conference, country_id=report.country_id
        )
    )


def _locked(report: ProgressReport) -> ProgressReport:
    return (
        ProgressReport.objects.select_for_update()
        .select_related("cbm", "conference", "country")
        .get(pk=report.pk)
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
) -> ProgressReport:
    """A draft for the actor's own country; the country is never taken from input (goal 5)."""
    if not is_focal_point(actor):
        raise PermissionDenied("Only a focal point of a leading country starts a report.")
    if report_cycle(conference=conference) is None:
        raise ValidationError({"conference": ["This conference opens no reporting cycle."]})
    if not country_leads_in_cycle(cbm=cbm, conference=conference, country_id=actor.country_id):
        raise PermissionDenied("Your country does not lead this CBM in that cycle.")
    if ProgressReport.objects.filter(
        cbm=cbm, conference=conference, country_id=actor.country_id
    ).exists():
        raise ValidationError(
            {"conference": ["Your country already has a report on this CBM for this cycle."]}
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
) -> ProgressReport:
    """Edit a draft or a returned report; `activities`, when given, replaces every update."""
    report = _locked(report)
    if not can_write_report(actor, report):
        raise PermissionDenied("Only a focal point of the reporting country edits its report.")
    if report.state not in EDITABLE_STATES:
        raise ReportStateError(f"A {report.state} report cannot be edited.")
    if narrative is not None:
        report.narrative = narrative
    report._change_reason = "edited"
    report.full_clean()
    report.save()
    if activities is not None:
        _activities_replace(report, activities)
    return report


def _activities_replace(report: ProgressReport, activities: Iterable[Mapping[str, Any]]) -> None:
    allowed = {
        a.pk: a
        for a in Activity.objects.filter(
            priority_area__plan__cbm_id=report.cbm_id,
            priority_area__plan__status=PlanStatus.IN_FORCE,
        ).select_related("priority_area")
    }
    rows, errors, seen = [], [], set()
    for index, item in enumerate(activities):
        raw = item.get("activity")
        activity_id = getattr(raw, "pk", raw)
        status = item.get("status")
        percent = item.get("percent", 0)
        where = f"Item {index + 1}"
        if activity_id not in allowed:
            errors.append(f"{where}: the activity is not in this CBM's plan in force.")
            continue
        if activity_id in seen:
            errors.append(f"{where}: the activity is listed twice.")
            continue
        seen.add(activity_id)
        if status not in ActivityStatus.values:
            errors.append(f"{where}: status must be one of {', '.join(ActivityStatus.values)}.")
            continue
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            errors.append(f"{where}: percent is a whole number from 0 to 100.")
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
def report_submit(*, report: ProgressReport, actor: User) -> ProgressReport:
    """draft/returned → submitted, keeping a frozen version; the desk officer is told."""
    report = _locked(report)
    if not can_write_report(actor, report):
        raise PermissionDenied("Only a focal point of a leading country submits its report.")
    if report.state not in EDITABLE_STATES:
        raise ReportStateError(f"A {report.state} report cannot be submitted.")
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
    report._change_reason = f"submitted (version {number})"
    report.full_clean()
    report.save()
    desk_officer = report.cbm.desk_officer
    if desk_officer is not None and desk_officer.is_active:
        notices_create(
            notices=[
                Notice(
                    recipient=desk_officer,
                    event_key=f"report:{report.pk}:submitted:{number}",
                    subject=f"{report} submitted for review",
                    body=f"{report.country} submitted version {number} of its report on "
                    f"{report.cbm.code} for the cycle after MC {report.conference.number}.",
                )
            ]
        )
    return report


def _review(*, report: ProgressReport, actor: User, decision: str, comment: str) -> ProgressReport:
    report = _locked(report)
    if not is_secretariat(actor):
        raise PermissionDenied("Only the secretariat reviews reports.")
    if report.state != ReportState.SUBMITTED:
        raise ReportStateError(
            f"Only a submitted report can be reviewed; this one is {report.state}."
        )
    if decision == ReviewDecision.RETURNED and not comment.strip():
        raise ValidationError({"comment": ["Say why the report is returned."]})
    submission = report.submissions.order_by("-number").first()
    review = ReportReview(
        submission=submission, reviewer=actor, decision=decision, comment=comment.strip()
    )
    review.full_clean()
    review.save()
    report.state = (
        ReportState.ACCEPTED if decision == ReviewDecision.ACCEPTED else ReportState.RETURNED
    )
    report._change_reason = decision
    report.full_clean()
    report.save()
    focal_points = User.objects.filter(
        role=Role.FOCAL_POINT, country_id=report.country_id, is_active=True
    )
    notices_create(
        notices=[
            Notice(
                recipient=user,
                event_key=f"report:{report.pk}:{decision}:{submission.number}",
                subject=f"{report} {decision}",
                body=comment.strip() or f"Version {submission.number} was {decision}.",
            )
            for user in focal_points
        ]
    )
    return report


@transaction.atomic
def report_accept(*, report: ProgressReport, actor: User, comment: str = "") -> ProgressReport:
    return _review(report=report, actor=actor, decision=ReviewDecision.ACCEPTED, comment=comment)


@transaction.atomic
def report_return(*, report: ProgressReport, actor: User, comment: str) -> ProgressReport:
    return _review(report=report, actor=actor, decision=ReviewDecision.RETURNED, comment=comment)


# --- Attachments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentKind:
    content_type: str
    required_parts: tuple[str, ...] = ()


ATTACHMENT_KINDS = {
    ".pdf": AttachmentKind("application/pdf"),
    ".docx": AttachmentKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ("[Content_Types].xml", "word/document.xml"),
    ),
    ".xlsx": AttachmentKind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ("[Content_Types].xml", "xl/workbook.xml"),
    ),
}
ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_UNCOMPRESSED = 100 * 1024 * 1024


def _refuse(message: str):
    raise ValidationError({"file": [message]})


def attachment_validate(uploaded_file) -> AttachmentKind:
    """Name, size and content, before anything is stored; a ValidationError on `file` if not."""
    name = uploaded_file.name or ""
    if not name or "/" in name or "\\" in name or ".." in name or "\x00" in name:
        _refuse("The file name must be a plain name, without folders.")
    kind = ATTACHMENT_KINDS.get(PurePosixPath(name).suffix.lower())
    if kind is None:
        _refuse("Attach a PDF, DOCX or XLSX file.")
    size = uploaded_file.size or 0
    if size <= 0:
        _refuse("The file is empty.")
    limit = settings.REPORT_ATTACHMENT_MAX_BYTES
    if size > limit:
        _refuse(f"The file is larger than {limit // (1024 * 1024) or limit} MB.")
    uploaded_file.seek(0)
    if kind.content_type == "application/pdf":
        if uploaded_file.read(5) != b"%PDF-":
            _refuse("The file is not a PDF.")
    else:
        _zip_check(uploaded_file, kind)
    uploaded_file.seek(0)
    return kind


def _zip_check(uploaded_file, kind: AttachmentKind) -> None:
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES:
                _refuse("The document holds too many parts.")
            if sum(entry.file_size for entry in entries) > ZIP_MAX_UNCOMPRESSED:
                _refuse("The document is too large once uncompressed.")
            names = {entry.filename for entry in entries}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        _refuse("The file is not a valid Office document.")
    if not set(kind.required_parts) <= names:
        _refuse("The file's content does not match its extension.")


@transaction.atomic
def attachment_add(*, report: ProgressReport, actor: User, uploaded_file) -> ReportAttachment:
    report = _locked(report)
    if not can_write_report(actor, report):
        raise PermissionDenied("Only a focal point of the reporting country attaches files.")
    if report.state not in EDITABLE_STATES:
        raise ReportStateError(f"Files cannot be attached to a {report.state} report.")
    kind = attachment_validate(uploaded_file)
    attachment = ReportAttachment(
        report=report,
        original_name=uploaded_file.name[:255],
        size=uploaded_file.size,
        content_type=kind.content_type,
        uploaded_by=actor,
    )
    attachment.file.save(uploaded_file.name, uploaded_file, save=False)
    stored = attachment.file.name
    try:
        attachment._change_reason = "attached"
        attachment.save()
    except Exception:
        attachment.file.storage.delete(stored)
        raise
    return attachment
