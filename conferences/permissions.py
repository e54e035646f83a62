"""Who may schedule and record meetings. Pure predicates, shared by the API and the pages."""

from django.db.models import Q
from django.utils import timezone

from members.permissions import is_focal_point, is_secretariat

from .models import MeetingKind


def country_leads(country_id: int, cbm) -> bool:
    """Whether the country leads the CBM today (the CBM's roles, reached without importing cbms)."""
    today = timezone.localdate()
    return (
        cbm.roles.filter(role="lead", country_id=country_id, since__lte=today)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .exists()
    )


def can_record_meeting(user, *, kind: str, cbm) -> bool:
    """The secretariat records any meeting; a focal point only RTGs of a CBM its country leads."""
    if is_secretariat(user):
        return True
    return (
        kind == MeetingKind.RTG
        and cbm is not None
        and is_focal_point(user)
        and country_leads(user.country_id, cbm)
    )
