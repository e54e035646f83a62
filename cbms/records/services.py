"""Writes for the CBM records: deriving and publishing implementation plan versions."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from members.models import User
from members.permissions import can_edit_records

from ..models import Activity, ImplementationPlanVersion, PlanStatus, PriorityArea
from .permissions import can_derive_plan_version, can_publish_plan

# A published version is frozen (cbms.models.plans.plan_content_editable). The secretariat changes
# a plan by deriving a new draft from a version, editing the draft, then publishing it: the
# version in force is superseded in the same transaction.

PLAN_NOT_DRAFT = _("Only a draft is published: this version already is.")


def _record(obj, *, actor: User, reason: str) -> None:
    obj._change_reason = reason  # read by django-simple-history
    obj._history_user = actor
    obj.full_clean()
    obj.save()


@transaction.atomic
def plan_version_derive(
    *, plan: ImplementationPlanVersion, actor: User
) -> ImplementationPlanVersion:
    """A new draft version of the CBM's plan, numbered after its latest, with this version's
    title, notes, priority areas and activities: the secretariat edits it, then publishes it."""
    if not can_derive_plan_version(actor, plan):
        raise PermissionDenied
    # The CBM's versions are locked so two drafts started at once do not take the same number.
    versions = ImplementationPlanVersion.objects.select_for_update().filter(cbm_id=plan.cbm_id)
    latest = versions.aggregate(latest=Max("version"))["latest"] or 0
    source = versions.prefetch_related("priority_areas__activities").get(pk=plan.pk)
    reason = f"Derived from version {source.version}"
    draft = ImplementationPlanVersion(
        cbm_id=source.cbm_id,
        version=latest + 1,
        title=source.title,
        notes=source.notes,
        status=PlanStatus.DRAFT,
    )
    _record(draft, actor=actor, reason=reason)
    for area in source.priority_areas.all():
        copy = PriorityArea(plan=draft, number=area.number, title=area.title)
        _record(copy, actor=actor, reason=reason)
        for activity in area.activities.all():
            _record(
                Activity(
                    priority_area=copy,
                    number=activity.number,
                    title=activity.title,
                    description=activity.description,
                ),
                actor=actor,
                reason=reason,
            )
    return draft


@transaction.atomic
def plan_version_publish(
    *, plan: ImplementationPlanVersion, actor: User, adopted_on: date | None = None
) -> ImplementationPlanVersion:
    """Put a draft in force, adopted on `adopted_on` (None: unknown), and supersede the version
    in force, all at once: the CBM never has two plans in force, nor none for a moment."""
    versions = {
        v.pk: v
        for v in ImplementationPlanVersion.objects.select_for_update()
        .select_related("cbm")
        .filter(cbm_id=plan.cbm_id)
    }
    plan = versions[plan.pk]
    if not can_edit_records(actor):
        raise PermissionDenied
    if not can_publish_plan(actor, plan):
        raise ValidationError(PLAN_NOT_DRAFT, code="plan_published")
    # First the version in force steps down: one in force per CBM, checked row by row.
    for other in versions.values():
        if other.status == PlanStatus.IN_FORCE:
            other.status = PlanStatus.SUPERSEDED
            _record(other, actor=actor, reason=f"Superseded by version {plan.version}")
    plan.status = PlanStatus.IN_FORCE
    plan.adopted_on = adopted_on
    _record(plan, actor=actor, reason="Published")
    return plan
