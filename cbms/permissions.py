"""Row-level predicates about CBMs: pure functions of a user and the records, no request."""

from datetime import date

from django.utils import timezone

from members.permissions import is_focal_point

from .models import CBMRole


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
