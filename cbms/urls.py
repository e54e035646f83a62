from django.urls import path

from . import report_views, views

app_name = "cbms"


def record_routes(prefix: str, name: str, edit, delete, history) -> list:
    """The edit, delete and history routes every record has."""
    return [
        path(f"{prefix}/<int:pk>/edit/", edit.as_view(), name=f"{name}_update"),
        path(f"{prefix}/<int:pk>/delete/", delete.as_view(), name=f"{name}_delete"),
        path(f"{prefix}/<int:pk>/history/", history.as_view(), name=f"{name}_history"),
    ]


urlpatterns = [
    path("cbms/", views.CBMList.as_view(), name="cbm_list"),
    path("cbms/new/", views.CBMCreate.as_view(), name="cbm_create"),
    path("cbms/<int:pk>/", views.CBMDetail.as_view(), name="cbm_detail"),
    *record_routes("cbms", "cbm", views.CBMUpdate, views.CBMDelete, views.CBMHistoryView),
    path("cbms/<int:parent>/names/new/", views.NameCreate.as_view(), name="name_create"),
    *record_routes("names", "name", views.NameUpdate, views.NameDelete, views.NameHistory),
    path("cbms/<int:parent>/roles/new/", views.RoleCreate.as_view(), name="role_create"),
    path("roles/", views.RoleList.as_view(), name="role_list"),
    *record_routes("roles", "role", views.RoleUpdate, views.RoleDelete, views.RoleHistory),
    path("roles/<int:pk>/end/", views.RoleEnd.as_view(), name="role_end"),
    path("cbms/<int:parent>/plans/new/", views.PlanCreate.as_view(), name="plan_create"),
    path("plans/", views.PlanList.as_view(), name="plan_list"),
    path("plans/<int:pk>/", views.PlanDetail.as_view(), name="plan_detail"),
    *record_routes("plans", "plan", views.PlanUpdate, views.PlanDelete, views.PlanHistory),
    path("plans/<int:pk>/new-version/", views.PlanDerive.as_view(), name="plan_derive"),
    path("plans/<int:pk>/publish/", views.PlanPublish.as_view(), name="plan_publish"),
    path("plans/<int:parent>/areas/new/", views.AreaCreate.as_view(), name="area_create"),
    path("priority-areas/", views.AreaList.as_view(), name="area_list"),
    *record_routes("priority-areas", "area", views.AreaUpdate, views.AreaDelete, views.AreaHistory),
    path(
        "priority-areas/<int:parent>/activities/new/",
        views.ActivityCreate.as_view(),
        name="activity_create",
    ),
    path("activities/", views.ActivityList.as_view(), name="activity_list"),
    *record_routes(
        "activities",
        "activity",
        views.ActivityUpdate,
        views.ActivityDelete,
        views.ActivityHistory,
    ),
    path("reports/", report_views.ReportList.as_view(), name="report_list"),
    path("reports/new/", report_views.ReportStart.as_view(), name="report_start"),
    path("reports/<int:pk>/", report_views.ReportDetail.as_view(), name="report_detail"),
    path("reports/<int:pk>/edit/", report_views.ReportEdit.as_view(), name="report_edit"),
    *[
        path(
            f"reports/<int:pk>/{action}/",
            report_views.ReportAction.as_view(action=action),
            name=f"report_{action}",
        )
        for action in ("submit", "accept", "return")
    ],
    path(
        "reports/<int:pk>/attachments/<int:attachment_id>/",
        report_views.AttachmentDownload.as_view(),
        name="report_attachment",
    ),
]
