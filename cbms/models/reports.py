"""Progress reports: a lead country's account of a CBM in a conference cycle (SPEC §4).

The workflow lives in cbms.reports.services; these models only hold its state. A ReportSubmission
is an immutable version: the model refuses to update or delete one, and on PostgreSQL a trigger
does too.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from members.permissions import is_focal_point, is_secretariat


class ReportState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", _("accepted")
    RETURNED = "returned", _("returned")


class ActivityStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("not started")
    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")
    DELAYED = "delayed", _("delayed")
    CANCELLED = "cancelled", _("cancelled")


class ReviewDecision(models.TextChoices):
    ACCEPTED = "accepted", _("accepted")
    RETURNED = "returned", _("returned")


class ProgressReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Secretariat: all; a focal point: their country's (any state) and accepted ones;
        everyone else: accepted only."""
        if is_secretariat(user):
            return self
        if is_focal_point(user):
            return self.filter(Q(country_id=user.country_id) | Q(state=ReportState.ACCEPTED))
        return self.filter(state=ReportState.ACCEPTED)


class ProgressReport(models.Model):
    cbm = models.ForeignKey(
        "cbms.CBM", verbose_name=_("CBM"), on_delete=models.PROTECT, related_name="reports"
    )
    conference = models.ForeignKey(
        "conferences.MinisterialConference",
        verbose_name=_("conference"),
        on_delete=models.PROTECT,
        related_name="reports",
        help_text=_("The conference that opens the cycle reported on."),
    )
    country = models.ForeignKey(
        "members.Country",
        verbose_name=_("country"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    state = models.CharField(
        _("state"), max_length=9, choices=ReportState.choices, default=ReportState.DRAFT
    )
    narrative = models.TextField(_("narrative"), blank=True)
    # Bumped by every service that writes the report (cbms.reports.services): the API's ETag and
    # the edit form's hidden field, so a write based on an older read is refused (goal 10).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="reports_created",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()
    objects = ProgressReportQuerySet.as_manager()

    class Meta:
        ordering = ["-conference__number", "cbm__code", "country__code", "id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.UniqueConstraint(
                fields=["cbm", "conference", "country"],
                name="report_unique_per_cycle_country",
                violation_error_message=_("This country already reports on this CBM and cycle."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=ReportState.values), name="report_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(cbm)s report of %(country)s for MC %(number)s") % {
            "cbm": self.cbm.code,
            "country": self.country.code,
            "number": self.conference.number,
        }


class ReportActivityUpdate(models.Model):
    report = models.ForeignKey(
        ProgressReport,
        verbose_name=_("report"),
        on_delete=models.CASCADE,
        related_name="activity_updates",
    )
    activity = models.ForeignKey(
        "cbms.Activity", verbose_name=_("activity"), on_delete=models.PROTECT, related_name="+"
    )
    plan_version = models.ForeignKey(
        "cbms.ImplementationPlanVersion",
        verbose_name=_("plan version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=11, choices=ActivityStatus.choices)
    percent = models.PositiveSmallIntegerField(_("percent complete"), default=0)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "activity__priority_area__number", "activity__number"]
        verbose_name = _("report activity update")
        verbose_name_plural = _("report activity updates")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "activity"], name="reportactivity_unique_activity"
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=0) & Q(percent__lte=100),
                name="reportactivity_percent_range",
                violation_error_message=_("Percent complete is between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActivityStatus.values), name="reportactivity_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}: {self.status} {self.percent}%"


class ImmutableRowError(Exception):
    pass


class ReportSubmission(models.Model):
    """One submitted version of a report, frozen: never updated, never deleted."""

    report = models.ForeignKey(
        ProgressReport,
        verbose_name=_("report"),
        on_delete=models.PROTECT,
        related_name="submissions",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    narrative = models.TextField(_("narrative"), blank=True)
    activities = models.JSONField(_("activities"), default=list)
    content_hash = models.CharField(_("SHA-256"), max_length=64)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"))

    # Audit of who wrote it; the row itself is never changed, so this holds one entry per version.
    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "number"]
        verbose_name = _("report submission")
        verbose_name_plural = _("report submissions")
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="submission_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="submission_number_positive"),
        ]

    def __str__(self) -> str:
        return gettext("Version %(number)s of report %(report)s") % {
            "number": self.number,
            "report": self.report_id,
        }

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise ImmutableRowError("A submitted version is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError("A submitted version is never deleted.")


class ReportReview(models.Model):
    submission = models.ForeignKey(
        ReportSubmission,
        verbose_name=_("submission"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision = models.CharField(_("decision"), max_length=8, choices=ReviewDecision.choices)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["submission", "at", "id"]
        verbose_name = _("report review")
        verbose_name_plural = _("report reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=ReviewDecision.values), name="review_decision_valid"
            ),
            models.CheckConstraint(
                condition=Q(decision=ReviewDecision.ACCEPTED) | ~Q(comment=""),
                name="review_return_has_comment",
                violation_error_message=_("Say why the report is returned."),
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(decision)s by %(reviewer)s") % {
            "decision": self.get_decision_display(),
            "reviewer": self.reviewer,
        }


def attachment_path(instance, filename: str) -> str:
    """Never the uploader's name: `reports/<uuid4>.<ext>`."""
    ext = PurePosixPath(filename).suffix.lower()
    return f"reports/{uuid.uuid4()}{ext}"


class ReportAttachment(models.Model):
    report = models.ForeignKey(
        ProgressReport,
        verbose_name=_("report"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "uploaded_at", "id"]
        verbose_name = _("report attachment")
        verbose_name_plural = _("report attachments")

    def __str__(self) -> str:
        return self.original_name
