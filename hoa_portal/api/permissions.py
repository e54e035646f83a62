"""DRF permission classes: thin adapters over the predicates in members/ and cbms/permissions."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from members.permissions import can_edit_records, can_manage_users, can_see_compliance


class SecretariatWritesOthersRead(BasePermission):
    """Anyone reads published records; only the secretariat writes. Anonymous writes are 401."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or can_edit_records(request.user)


class SecretariatOnly(BasePermission):
    def has_permission(self, request, view):
        return can_manage_users(request.user)


class SignedInReads(BasePermission):
    """Compliance and obligations: any signed-in user reads; nobody writes (they are computed)."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS and can_see_compliance(request.user)
