"""Row-level predicates about CBMs: pure functions of a user and the records, no request."""

from datetime import date

from django.utils import timezone

from members.permissions import can_edit_records, is_focal_point

from ..models import CBMRole, ImplementationPlanVersion
from ..models.plans import plan_content_editable


def led_cbm_ids(user, *, on: date | None = None) -> set[int]:
    """The CBMs a focal point's country leads on `on` (today); empty for everyone else."""
    if not is_focal_point(user):
        return set()
    return set(
        CBMRole.objects.leads()
        .current_on(on or timezone.localdate())
        .filter(country_id=user.country_id)
        .values_list("cbm_id", flat=True)
    )


def can_edit_plan_content(user, plan: ImplementationPlanVersion) -> bool:
    """Add, change or delete the priority areas and activities of a version, or change its
    title and notes: the secretariat, while the version is a draft."""
    return can_edit_records(user) and plan_content_editable(plan.status)


def can_derive_plan_version(user, plan: ImplementationPlanVersion) -> bool:
    """Start a new draft version as a copy of this one: the secretariat, from any version."""
    return can_edit_records(user)


def can_publish_plan(user, plan: ImplementationPlanVersion) -> bool:
    """Put a draft in force, superseding the version in force: the secretariat."""
    return can_edit_records(user) and plan_content_editable(plan.status)
