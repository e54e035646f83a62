"""Every /api/v1/ route, so the API's surface reads in one place."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
