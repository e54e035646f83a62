"""Every /api/v1/ route, so the API's surface reads in one place."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from cbms.api import CBMViewSet, ObligationViewSet
from conferences.api import MeetingViewSet

from .api.auth import TokenView

router = DefaultRouter()
router.register("cbms", CBMViewSet, basename="cbm")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("obligations", ObligationViewSet, basename="obligation")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    *router.urls,
]
