from django.urls import path

from . import views

app_name = "organizations"

urlpatterns = [
    path("organizations/", views.OrganizationList.as_view(), name="organization_list"),
    path("organizations/new/", views.OrganizationCreate.as_view(), name="organization_create"),
    path("organizations/<int:pk>/", views.OrganizationDetail.as_view(), name="organization_detail"),
    path(
        "organizations/<int:pk>/edit/",
        views.OrganizationUpdate.as_view(),
        name="organization_update",
    ),
    path(
        "organizations/<int:pk>/delete/",
        views.OrganizationDelete.as_view(),
        name="organization_delete",
    ),
    path(
        "organizations/<int:pk>/history/",
        views.OrganizationHistory.as_view(),
        name="organization_history",
    ),
    path(
        "organizations/<int:parent>/memberships/new/",
        views.MembershipCreate.as_view(),
        name="membership_create",
    ),
    path("memberships/", views.MembershipList.as_view(), name="membership_list"),
    path("memberships/<int:pk>/edit/", views.MembershipUpdate.as_view(), name="membership_update"),
    path(
        "memberships/<int:pk>/delete/", views.MembershipDelete.as_view(), name="membership_delete"
    ),
    path(
        "memberships/<int:pk>/history/",
        views.MembershipHistory.as_view(),
        name="membership_history",
    ),
]
