"""Implementation plans: the versions of a CBM's plan, their priority areas and activities.

A version is written while it is a draft; publishing it (cbms.records.services.plan_version_publish)
freezes its content, because progress reports are written against its activities. The rule is
`plan_content_editable`; the models' clean() apply it, the portal's views and the admin ask it
before offering an edit, and on PostgreSQL the database holds to it too (the triggers of
migration cbms 0006).
"""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connections, models
from django.db.models import Q
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    IN_FORCE = "in_force", _("in force")
    SUPERSEDED = "superseded", _("superseded")


# --- The rule -----------------------------------------------------------------------------------


def plan_content_editable(status: str) -> bool:
    """Whether the content of a plan version in this status may change: its own CBM, number,
    title and notes, and its priority areas and activities (added, changed or deleted).

    Only a draft's. A published version (in force or superseded) is frozen, since progress
    reports speak of its activities; its status still moves on (draft → in force → superseded)
    and its adoption date may be recorded. To change a published plan, the secretariat creates
    a new draft version from it and publishes that.
    """
    return status == PlanStatus.DRAFT


PLAN_FROZEN = _(
    "Version %(version)s of this implementation plan is %(status)s: its content can no longer "
    "change. Create a new draft version from it, edit the draft, then publish it."
)
PLAN_NO_RETURN_TO_DRAFT = _("A published implementation plan version cannot return to draft.")


def plan_frozen_error(*, version: int, status: str) -> ValidationError:
    return ValidationError(
        PLAN_FROZEN,
        code="plan_frozen",
        params={"version": version, "status": PlanStatus(status).label},
    )


def plan_content_check(*, plans: Q) -> None:
    """Raise the rule's ValidationError if one of the versions `plans` selects is published:
    the versions as stored, in one query, whatever the instances in memory say."""
    for version, status in ImplementationPlanVersion._base_manager.filter(plans).values_list(
        "version", "status"
    ):
        if not plan_content_editable(status):
            raise plan_frozen_error(version=version, status=status)


# The triggers let a transaction change the content of the versions this setting lists (ids,
# comma-separated), so that deleting a published version can take its areas and activities
# with it: Django deletes those first, while the version still stands (see below).
UNFROZEN_PLANS_SETTING = "cbms.unfrozen_plans"


def plans_unfreeze_for_transaction(plan_ids: Iterable[int], *, using: str = "default") -> None:
    """Lift the database's guard on these versions until the transaction ends (PostgreSQL)."""
    connection = connections[using]
    ids = ",".join(str(int(pk)) for pk in plan_ids if pk is not None)
    if connection.vendor != "postgresql" or not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, concat_ws(',', NULLIF(current_setting(%s, true), ''), %s), "
            "true)",
            [UNFROZEN_PLANS_SETTING, UNFROZEN_PLANS_SETTING, ids],
        )


# --- The records --------------------------------------------------------------------------------


class ImplementationPlanVersion(models.Model):
    """One version of a CBM's Implementation Plan. A revision supersedes it; none is erased."""

    cbm = models.ForeignKey(
        "cbms.CBM", verbose_name=_("CBM"), on_delete=models.CASCADE, related_name="plan_versions"
    )
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

    # What a version says, frozen once it is published; its status and adoption date are not.
    CONTENT_FIELDS = ("cbm", "version", "title", "notes")

    class Meta:
        ordering = ["cbm", "version"]
        verbose_name = _("implementation plan version")
        verbose_name_plural = _("implementation plan versions")
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
        return gettext("%(cbm)s IP v%(version)s (%(status)s)") % {
            "cbm": self.cbm.code,
            "version": self.version,
            "status": self.get_status_display(),
        }

    @property
    def content_editable(self) -> bool:
        """The rule, for this version as it was read."""
        return plan_content_editable(self.status)

    def full_clean(self, exclude=None, validate_unique=True, validate_constraints=True):
        # clean() says which field is refused; a form that does not show it (the admin's
        # read-only fields) gets the message above the form instead of a ValueError.
        self._not_validated = set(exclude or ())
        try:
            super().full_clean(exclude, validate_unique, validate_constraints)
        finally:
            del self._not_validated

    def clean(self):
        super().clean()
        if self._state.adding:
            return  # a version is recorded in the state it is in (an old plan: superseded)
        attnames = [self._meta.get_field(name).attname for name in self.CONTENT_FIELDS]
        stored = type(self)._base_manager.filter(pk=self.pk).values("status", *attnames).first()
        if stored is None or plan_content_editable(stored["status"]):
            return
        refused = [
            name
            for name, attname in zip(self.CONTENT_FIELDS, attnames, strict=True)
            if getattr(self, attname) != stored[attname]
        ]
        errors = {}
        if refused:
            frozen = plan_frozen_error(version=stored["version"], status=stored["status"])
            for name in refused:
                errors.setdefault(self._error_key(name), []).append(frozen)
        if plan_content_editable(self.status):
            back = ValidationError(PLAN_NO_RETURN_TO_DRAFT, code="plan_published")
            errors.setdefault(self._error_key("status"), []).append(back)
        if errors:
            # One message once, however many fields it is about.
            raise ValidationError({key: list(dict.fromkeys(v)) for key, v in errors.items()})

    def _error_key(self, name: str) -> str:
        return NON_FIELD_ERRORS if name in getattr(self, "_not_validated", ()) else name


def version_in_force_on(
    versions: Iterable[ImplementationPlanVersion], day: dt.date
) -> ImplementationPlanVersion | None:
    """Which of a CBM's published versions was in force on `day`, or None.

    Versions follow one another in number order, each superseding the one before. An adoption
    date, where recorded, says a version was not yet in force before it; a version without one
    (the sources date none) is taken to have been adopted when its number came. So the version
    in force is the last one before the first version known to have been adopted after `day`.
    """
    chosen = None
    for version in sorted(versions, key=lambda v: v.version):
        if version.status == PlanStatus.DRAFT:
            continue
        if version.adopted_on is not None and version.adopted_on > day:
            break
        chosen = version
    return chosen


@receiver(pre_delete, sender=ImplementationPlanVersion)
def _deleting_a_plan_takes_its_content(sender, instance, using, **kwargs):
    """Plumbing: deleting a version (or its CBM) deletes its areas and activities with it, even
    once it is published. Django deletes those first, in the same transaction, after sending
    this signal; the database's guard is told the version is going."""
    plans_unfreeze_for_transaction([instance.pk], using=using)


class PriorityArea(models.Model):
    plan = models.ForeignKey(
        ImplementationPlanVersion,
        verbose_name=_("plan version"),
        on_delete=models.CASCADE,
        related_name="priority_areas",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = _("priority area")
        verbose_name_plural = _("priority areas")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="priorityarea_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    def clean(self):
        super().clean()
        stored = _stored_if_changed(self)
        if stored is False:
            return  # saved as it is: nothing changes
        # The version it goes to and, if it is moved, the version it leaves.
        plans = Q(pk=self.plan_id) if self.plan_id else Q(pk__in=[])
        if stored:
            plans |= Q(pk=stored["plan_id"])
        plan_content_check(plans=plans)


class Activity(models.Model):
    priority_area = models.ForeignKey(
        PriorityArea,
        verbose_name=_("priority area"),
        on_delete=models.CASCADE,
        related_name="activities",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["priority_area", "number"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(
                fields=["priority_area", "number"], name="activity_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority_area.number}.{self.number} {self.title}"

    def clean(self):
        super().clean()
        stored = _stored_if_changed(self)
        if stored is False:
            return  # saved as it is: nothing changes
        # The version it goes to and, if it is moved, the version it leaves.
        plans = Q(priority_areas=self.priority_area_id) if self.priority_area_id else Q(pk__in=[])
        if stored:
            plans |= Q(priority_areas=stored["priority_area_id"])
        plan_content_check(plans=plans)


def _stored_if_changed(obj: models.Model) -> dict | None | bool:
    """A row's stored values if saving it would change them; None if it is new (or gone);
    False if it is saved unchanged, which changes no content: a published version's rows
    validate as they are."""
    if obj._state.adding:
        return None
    attnames = [f.attname for f in obj._meta.concrete_fields if not f.primary_key]
    stored = type(obj)._base_manager.filter(pk=obj.pk).values(*attnames).first()
    if stored is not None and all(getattr(obj, name) == stored[name] for name in attnames):
        return False
    return stored
