"""Who may do what, by role: pure predicates shared by the API, the pages and the services.

Row-level rules that need a CBM's leadership are in cbms.records.permissions and
cbms.reports.permissions.
"""

from django.conf import settings

from .models import Role


def is_secretariat(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role == Role.SECRETARIAT)


def is_focal_point(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and user.role == Role.FOCAL_POINT
        and user.country_id
    )


def needs_second_factor(user) -> bool:
    """Those who can change records (the secretariat, focal points, anyone with the admin)
    finish signing in with a one-time code (RELIABILITY goal 16); MFA_REQUIRED=false turns
    this off for local demos."""
    return bool(
        settings.MFA_REQUIRED
        and user
        and user.is_authenticated
        and (user.role in (Role.SECRETARIAT, Role.FOCAL_POINT) or user.is_staff)
    )


def can_edit_records(user) -> bool:
    """Countries, organizations, conferences, CBMs, roles, plans: the secretariat's to edit."""
    return is_secretariat(user)


def can_manage_users(user) -> bool:
    return is_secretariat(user)


def can_see_compliance(user) -> bool:
    """Analysts, focal points and staff; the public reads published records only (SPEC §5)."""
    return bool(user and user.is_authenticated and user.is_active)
