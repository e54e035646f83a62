"""Pages for progress reports: a focal point's "My reports" (start, edit, attach, submit), the
secretariat's review queue (accept, return with a comment), accepted reports for everyone, the
difference from the previous submission, and the attachment download (goal 13).

Views only parse input and call the workflow in cbms.reports.services; rows outside the user's
scope are 404, a step the state does not allow is a message, never a 500. Every view stands on
PolicyMixin, so a NUL byte in GET or POST input is a 400 before anything reads it. Forms that
write carry the report's version: a form opened before someone else's write saves nothing
(goal 10b).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from conferences.models import MinisterialConference
from hoa_portal.views import PolicyMixin
from members.permissions import is_focal_point, is_secretariat

from ..models import (
    CBM,
    ActivityStatus,
    ProgressReport,
    ReportAttachment,
    ReportReview,
    ReportState,
    ReviewDecision,
)
from .attachments import attachment_open
from .comparison import chosen_pair, submissions_compare
from .permissions import can_write_report
from .selectors import (
    plan_activities,
    reads_review_trail,
    report_overview,
    report_plan,
    report_start_choices,
    report_submissions,
)
from .services import (
    EDITABLE_STATES,
    ReportChangedError,
    ReportStateError,
    attachment_add,
    attachment_removable,
    attachment_remove,
    last_submitted_at,
    report_accept,
    report_return,
    report_start,
    report_submit,
    report_update_draft,
)


def _visible(request):
    return ProgressReport.objects.visible_to(request.user).select_related(
        "cbm", "conference", "country"
    )


def _what(report: ProgressReport) -> dict[str, object]:
    """The words a confirmation names a report by."""
    return {
        "cbm": report.cbm.code,
        "country": report.country.name,
        "cycle": report.conference.number,
    }


def _requested_cbm(request) -> CBM | None:
    """The CBM a link from "my country" or a CBM's page narrows the list to; none if mangled."""
    raw = request.GET.get("cbm", "")
    return CBM.objects.filter(pk=int(raw)).first() if raw.isdecimal() else None


def _errors(exc: ValidationError) -> list[str]:
    return [m for ms in getattr(exc, "message_dict", {"": exc.messages}).values() for m in ms]


def _posted_version(request) -> int | None:
    """The version the form was opened at; None if the form sent none. A mangled value matches
    no version, so it is refused as stale."""
    raw = request.POST.get("version")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1


class ReportList(PolicyMixin, View):
    """Secretariat: the review queue first; a focal point: their country's reports; everyone:
    accepted reports."""

    def get(self, request):
        reports = _visible(request).order_by("-updated_at")
        cbm = _requested_cbm(request)
        if cbm is not None:
            reports = reports.filter(cbm=cbm)
        focal_point = is_focal_point(request.user)
        # Only what report_start accepts: a choice made here is never refused as forbidden.
        choices = (
            report_start_choices(country_id=request.user.country_id, cbm_id=cbm.pk if cbm else None)
            if focal_point
            else []
        )
        start_cbms = list({choice.cbm.pk: choice.cbm for choice in choices}.values())
        context = {
            "cbm": cbm,
            "queue": reports.filter(state=ReportState.SUBMITTED)
            if is_secretariat(request.user)
            else [],
            "mine": reports.filter(country_id=request.user.country_id) if focal_point else [],
            "accepted": reports.filter(state=ReportState.ACCEPTED),
            "can_start": focal_point,
            "start_choices": choices,
            "cbms": start_cbms,
            "cycles_by_cbm": [
                (c, [choice.conference for choice in choices if choice.cbm == c])
                for c in start_cbms
            ],
        }
        return render(request, "cbms/reports/list.html", context)


class ReportStart(PolicyMixin, View):
    def post(self, request):
        if not is_focal_point(request.user):
            raise PermissionDenied
        cbm = CBM.objects.filter(pk=request.POST.get("cbm") or 0).first()
        conference = MinisterialConference.objects.filter(
            pk=request.POST.get("conference") or 0
        ).first()
        if cbm is None or conference is None:
            messages.error(request, _("Choose a CBM and a conference."))
            return redirect("cbms:report_list")
        try:
            report = report_start(cbm=cbm, conference=conference, actor=request.user)
        except PermissionDenied:
            # The list offers no such pair; a stale page or a crafted post says why, not 403.
            messages.error(
                request,
                _(
                    "Your country did not lead %(cbm)s in the cycle of MC %(cycle)s, so it "
                    "does not report on it. Choose one of the cycles offered."
                )
                % {"cbm": cbm.code, "cycle": conference.number},
            )
            return redirect(reverse("cbms:report_list") + f"?cbm={cbm.pk}")
        except ValidationError as exc:
            for message in _errors(exc):
                messages.error(request, message)
            return redirect("cbms:report_list")
        messages.success(
            request,
            _("Report on %(cbm)s, cycle %(cycle)s, started as a draft.") % _what(report),
        )
        return redirect("cbms:report_edit", report.pk)


class ReportDetail(PolicyMixin, View):
    def get(self, request, pk: int):
        report = get_object_or_404(_visible(request), pk=pk)
        # The public and analysts: the accepted submission alone, without review comments.
        versions = list(report_submissions(report=report, user=request.user))
        context = {
            "report": report,
            "updates": report.activity_updates.select_related("activity__priority_area"),
            "attachments": report.attachments.all(),
            "versions": versions,
            "comparison": self._comparison(request, versions),
            "reads_trail": reads_review_trail(request.user, report),
            "can_write": report.state in EDITABLE_STATES and can_write_report(request.user, report),
            "can_review": report.state == ReportState.SUBMITTED and is_secretariat(request.user),
        }
        return render(request, "cbms/reports/detail.html", context)

    @staticmethod
    def _comparison(request, versions):
        pair = chosen_pair(
            versions, before=request.GET.get("before"), after=request.GET.get("after")
        )
        return submissions_compare(*pair) if pair else None


class ReportEdit(PolicyMixin, View):
    """Narrative, one row per activity of the plan in force in the report's cycle, and the
    attachments (an optional new file; a draft's can be removed)."""

    def _report(self, request, pk):
        report = get_object_or_404(_visible(request), pk=pk)
        if not can_write_report(request.user, report):
            raise PermissionDenied
        self.plan = report_plan(report)
        return report

    def _rows(self, report, data=None):
        current = {u.activity_id: u for u in report.activity_updates.all()}
        rows = []
        for activity in plan_activities(self.plan):
            update = current.get(activity.pk)
            rows.append(
                {
                    "activity": activity,
                    "status": (data or {}).get(f"status-{activity.pk}")
                    or (update.status if update else ""),
                    "percent": (data or {}).get(f"percent-{activity.pk}")
                    or (update.percent if update else ""),
                    "note": (data or {}).get(f"note-{activity.pk}")
                    or (update.note if update else ""),
                }
            )
        return rows

    def _render(
        self, request, report, rows, *, narrative=None, version=None, status=200, conflict=False
    ):
        submitted_at = last_submitted_at(report)
        return render(
            request,
            "cbms/reports/edit.html",
            {
                "report": report,
                "plan": self.plan,
                "rows": rows,
                "attachments": [
                    (a, attachment_removable(report, a, submitted_at=submitted_at))
                    for a in report.attachments.all()
                ],
                "statuses": ActivityStatus.choices,
                "narrative": report.narrative if narrative is None else narrative,
                "version": report.version if version is None else version,
                # The other person's narrative, as saved, beside what this one typed.
                "saved_narrative": report.narrative if conflict else None,
                "last_return": ReportReview.objects.filter(
                    submission__report=report, decision=ReviewDecision.RETURNED
                )
                .select_related("submission")
                .order_by("-at", "-id")
                .first(),
            },
            status=status,
        )

    def get(self, request, pk: int):
        report = self._report(request, pk)
        return self._render(request, report, self._rows(report))

    def post(self, request, pk: int):
        report = self._report(request, pk)
        rows = self._rows(report, request.POST)
        narrative = request.POST.get("narrative", report.narrative)
        activities = []
        for row in rows:
            if not row["status"]:
                continue
            try:
                percent = int(row["percent"] or 0)
            except (TypeError, ValueError):
                percent = -1
            activities.append(
                {
                    "activity": row["activity"].pk,
                    "status": row["status"],
                    "percent": percent,
                    "note": row["note"],
                }
            )
        try:
            # All or nothing: a refused file undoes the edit too.
            with transaction.atomic():
                updated = report_update_draft(
                    report=report,
                    actor=request.user,
                    narrative=narrative,
                    activities=activities,
                    expected_version=_posted_version(request),
                )
                if request.FILES.get("file"):
                    attachment_add(
                        report=report,
                        actor=request.user,
                        uploaded_file=request.FILES["file"],
                        expected_version=updated.version,
                    )
        except ReportChangedError as exc:
            # What was typed stays on the page; the form now carries the current version, so
            # saving again (after a look at the report) replaces the other person's change.
            messages.error(
                request,
                _(
                    "Nothing was saved: this report was changed by someone else since you "
                    "opened it. Check the report, then save again to replace their change."
                ),
            )
            report.refresh_from_db()
            return self._render(
                request,
                report,
                rows,
                narrative=narrative,
                version=exc.version,
                status=409,
                conflict=True,
            )
        except ValidationError as exc:
            for message in _errors(exc):
                messages.error(request, message)
            return self._render(
                request,
                report,
                rows,
                narrative=narrative,
                version=request.POST.get("version"),
                status=400,
            )
        except ReportStateError as exc:
            messages.error(request, str(exc))
            return redirect("cbms:report_detail", report.pk)
        messages.success(request, _("Report on %(cbm)s, cycle %(cycle)s, saved.") % _what(report))
        return redirect("cbms:report_detail", report.pk)


class ReportAction(PolicyMixin, View):
    """POST submit / accept / return; the services decide who may and when."""

    action: str = ""

    def post(self, request, pk: int):
        report = get_object_or_404(_visible(request), pk=pk)
        comment = request.POST.get("comment", "")
        fresh = {"expected_version": _posted_version(request)}
        try:
            if self.action == "submit":
                report_submit(report=report, actor=request.user, **fresh)
            elif self.action == "accept":
                report_accept(report=report, actor=request.user, comment=comment, **fresh)
            else:
                report_return(report=report, actor=request.user, comment=comment, **fresh)
        except ReportChangedError:
            messages.error(
                request,
                _(
                    "Nothing was done: this report was changed by someone else since you "
                    "opened it. Check it below and try again."
                ),
            )
        except ReportStateError as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            for message in _errors(exc):
                messages.error(request, message)
        else:
            messages.success(request, self._confirmation() % _what(report))
        return redirect("cbms:report_detail", report.pk)

    def _confirmation(self) -> str:
        if self.action == "submit":
            return _("Report on %(cbm)s, cycle %(cycle)s, submitted to the secretariat.")
        if self.action == "accept":
            return _("Report of %(country)s on %(cbm)s, cycle %(cycle)s, accepted.")
        return _(
            "Report of %(country)s on %(cbm)s, cycle %(cycle)s, returned to %(country)s "
            "with your comment."
        )


class ReportSubmit(ReportAction):
    """GET asks whether to submit (a page, so it works without JavaScript); POST submits."""

    action = "submit"

    def get(self, request, pk: int):
        report = get_object_or_404(_visible(request), pk=pk)
        if not can_write_report(request.user, report):
            raise PermissionDenied
        if report.state not in EDITABLE_STATES:
            messages.error(request, _("This report is not a draft: there is nothing to submit."))
            return redirect("cbms:report_detail", report.pk)
        # The version the person read on the page that led here: if someone writes the report
        # meanwhile, confirming is refused as stale rather than submitting what they never saw.
        read = request.GET.get("version", "")
        version = int(read) if read.isdecimal() else report.version
        return render(
            request, "cbms/reports/submit_confirm.html", {"report": report, "version": version}
        )


class ReportOverviewPage(PolicyMixin, View):
    """The secretariat: every CBM × cycle, each leading country's report state and who acts."""

    policy = staticmethod(is_secretariat)

    def get(self, request):
        return render(request, "cbms/reports/overview.html", {"overview": report_overview()})


class AttachmentRemove(PolicyMixin, View):
    """POST: take a file off a draft (the edit page's button next to each removable file)."""

    def post(self, request, pk: int, attachment_id: int):
        report = get_object_or_404(_visible(request), pk=pk)
        attachment = get_object_or_404(ReportAttachment, pk=attachment_id, report=report)
        try:
            attachment_remove(
                report=report,
                actor=request.user,
                attachment_id=attachment.pk,
                expected_version=_posted_version(request),
            )
        except ReportChangedError:
            messages.error(
                request,
                _(
                    "Nothing was removed: this report was changed by someone else since you "
                    "opened it. Check the files below and try again."
                ),
            )
        except ReportStateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s removed from the report on %(cbm)s, cycle %(cycle)s.")
                % {"name": attachment.original_name, **_what(report)},
            )
        return redirect("cbms:report_edit", report.pk)


class AttachmentDownload(PolicyMixin, View):
    """Always a download (never rendered inline) and never sniffed; 404 outside the caller's
    scope, as for the report itself."""

    def get(self, request, pk: int, attachment_id: int):
        report = get_object_or_404(ProgressReport.objects.visible_to(request.user), pk=pk)
        attachment = get_object_or_404(ReportAttachment, pk=attachment_id, report=report)
        try:
            stream, size = attachment_open(attachment)
        except FileNotFoundError as exc:
            raise Http404 from exc
        response = FileResponse(
            stream,
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
        response["Content-Length"] = size  # a stream from object storage cannot tell it
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
