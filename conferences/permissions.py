"""Who may schedule and record meetings. Pure predicates, shared by the API and the pages."""

from collections.abc import Collection

from members.permissions import is_focal_point, is_secretariat

from .models import MeetingKind, cbm_ids_led_by


def country_leads(country_id: int, cbm) -> bool:
    """Whether the country leads the CBM today: the rule MeetingQuerySet.recordable_by applies
    to many meetings at once, asked of one."""
    return cbm_ids_led_by(country_id).filter(cbm_id=cbm.pk).exists()


def can_record_meeting(user, *, kind: str, cbm, led_cbm_ids: Collection[int] | None = None) -> bool:
    """The secretariat records any meeting; a focal point only RTGs of a CBM its country leads.
    `led_cbm_ids`, where the caller has read them for many meetings at once, saves the query."""
    if is_secretariat(user):
        return True
    if not (kind == MeetingKind.RTG and cbm is not None and is_focal_point(user)):
        return False
    if led_cbm_ids is not None:
        return cbm.pk in led_cbm_ids
    return country_leads(user.country_id, cbm)
