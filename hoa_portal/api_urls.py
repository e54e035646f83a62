"""Every /api/v1/ route, so the API's surface reads in one place."""

from rest_framework.routers import DefaultRouter

from cbms.api import CBMViewSet, ObligationViewSet

router = DefaultRouter()
router.register("cbms", CBMViewSet, basename="cbm")
router.register("obligations", ObligationViewSet, basename="obligation")

urlpatterns = router.urls
