"""Who may do what, by role: pure predicates shared by the API, the pages and the services.

Row-level rules that need a CBM's leadership are in cbms.permissions.
"""

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


def can_edit_records(user) -> bool:
    """Countries, organizations, conferences, CBMs, roles, plans: the secretariat's to edit."""
    return is_secretariat(user)


def can_manage_users(user) -> bool:
    return is_secretariat(user)


def can_see_compliance(user) -> bool:
    """Analysts, focal points and staff; the public reads published records only (SPEC §5)."""
    return bool(user and user.is_authenticated and user.is_active)
