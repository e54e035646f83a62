from django.urls import path

from .views import plans, records


def record_routes(prefix: str, name: str, edit, delete, history) -> list:
    """The edit, delete and history routes every record has."""
    return [
        path(f"{prefix}/<int:pk>/edit/", edit.as_view(), name=f"{name}_update"),
        path(f"{prefix}/<int:pk>/delete/", delete.as_view(), name=f"{name}_delete"),
        path(f"{prefix}/<int:pk>/history/", history.as_view(), name=f"{name}_history"),
    ]


urlpatterns = [
    path("cbms/", records.CBMList.as_view(), name="cbm_list"),
    path("cbms/new/", records.CBMCreate.as_view(), name="cbm_create"),
    path("cbms/<int:pk>/", records.CBMDetail.as_view(), name="cbm_detail"),
    *record_routes("cbms", "cbm", records.CBMUpdate, records.CBMDelete, records.CBMHistoryView),
    path("cbms/<int:parent>/names/new/", records.NameCreate.as_view(), name="name_create"),
    *record_routes("names", "name", records.NameUpdate, records.NameDelete, records.NameHistory),
    path("cbms/<int:parent>/roles/new/", records.RoleCreate.as_view(), name="role_create"),
    path("roles/", records.RoleList.as_view(), name="role_list"),
    *record_routes("roles", "role", records.RoleUpdate, records.RoleDelete, records.RoleHistory),
    path("roles/<int:pk>/end/", records.RoleEnd.as_view(), name="role_end"),
    path("cbms/<int:parent>/plans/new/", plans.PlanCreate.as_view(), name="plan_create"),
    path("plans/", plans.PlanList.as_view(), name="plan_list"),
    path("plans/<int:pk>/", plans.PlanDetail.as_view(), name="plan_detail"),
    *record_routes("plans", "plan", plans.PlanUpdate, plans.PlanDelete, plans.PlanHistory),
    path("plans/<int:pk>/new-version/", plans.PlanDerive.as_view(), name="plan_derive"),
    path("plans/<int:pk>/publish/", plans.PlanPublish.as_view(), name="plan_publish"),
    path("plans/<int:parent>/areas/new/", plans.AreaCreate.as_view(), name="area_create"),
    path("priority-areas/", plans.AreaList.as_view(), name="area_list"),
    *record_routes("priority-areas", "area", plans.AreaUpdate, plans.AreaDelete, plans.AreaHistory),
    path(
        "priority-areas/<int:parent>/activities/new/",
        plans.ActivityCreate.as_view(),
        name="activity_create",
    ),
    path("activities/", plans.ActivityList.as_view(), name="activity_list"),
    *record_routes(
        "activities",
        "activity",
        plans.ActivityUpdate,
        plans.ActivityDelete,
        plans.ActivityHistory,
    ),
]
