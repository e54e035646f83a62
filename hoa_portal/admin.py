"""Admin classes the apps share, and the admin site itself."""

from django.contrib import admin

from members.permissions import is_secretariat


class PortalAdminSite(admin.AdminSite):
    """Django's admin, for the secretariat alone. The role decides, not `is_staff` alone: the
    flag follows the role (members.models.User), and should it ever be set by hand on another
    account, the site still turns that account away."""

    def has_permission(self, request):
        return super().has_permission(request) and is_secretariat(request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows the system writes: staff may look, nobody adds, edits or deletes by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
