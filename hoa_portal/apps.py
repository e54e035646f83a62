from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """django.contrib.admin, serving hoa_portal.admin.PortalAdminSite as `admin.site`."""

    default_site = "hoa_portal.admin.PortalAdminSite"
