"""Every /api/v1/ route, so the API's surface reads in one place."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from cbms.compliance.api import CBMComplianceViewSet, ObligationViewSet
from cbms.records.api import CBMRoleViewSet
from cbms.reports.api import ProgressReportViewSet
from conferences.api import ConferenceViewSet, MeetingViewSet
from members.api import CountryViewSet, NotificationViewSet, UserViewSet
from organizations.api import OrganizationViewSet

from .api.auth import LogoutAllView, LogoutView, TokenView

router = DefaultRouter()
router.register("countries", CountryViewSet, basename="country")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("conferences", ConferenceViewSet, basename="conference")
router.register("cbms", CBMComplianceViewSet, basename="cbm")
router.register("cbm-roles", CBMRoleViewSet, basename="cbm-role")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("obligations", ObligationViewSet, basename="obligation")
router.register("users", UserViewSet, basename="user")
router.register("reports", ProgressReportViewSet, basename="report")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", LogoutAllView.as_view(), name="api-logout-all"),
    *router.urls,
]
