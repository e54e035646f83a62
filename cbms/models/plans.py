from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    IN_FORCE = "in_force", _("in force")
    SUPERSEDED = "superseded", _("superseded")


class ImplementationPlanVersion(models.Model):
    """One version of a CBM's Implementation Plan. A revision supersedes it; none is erased."""

    cbm = models.ForeignKey("cbms.CBM", on_delete=models.CASCADE, related_name="plan_versions")
    version = models.PositiveSmallIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    adopted_on = models.DateField(
        _("adopted on"), null=True, blank=True, help_text=_("Empty while draft, or if unknown.")
    )
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["cbm", "version"]
        verbose_name = _("implementation plan version")
        constraints = [
            models.UniqueConstraint(fields=["cbm", "version"], name="plan_unique_version"),
            models.UniqueConstraint(
                fields=["cbm"],
                condition=Q(status="in_force"),
                name="plan_one_in_force_per_cbm",
                violation_error_message=_("This CBM already has an implementation plan in force."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="plan_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="draft") | Q(adopted_on__isnull=True),
                name="plan_draft_not_adopted",
                violation_error_message=_("A draft plan has no adoption date."),
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="plan_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.cbm.code} IP v{self.version} ({self.get_status_display()})"


class PriorityArea(models.Model):
    plan = models.ForeignKey(
        ImplementationPlanVersion, on_delete=models.CASCADE, related_name="priority_areas"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="priorityarea_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Activity(models.Model):
    priority_area = models.ForeignKey(
        PriorityArea, on_delete=models.CASCADE, related_name="activities"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["priority_area", "number"]
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(
                fields=["priority_area", "number"], name="activity_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority_area.number}.{self.number} {self.title}"
