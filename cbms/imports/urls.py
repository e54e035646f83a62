from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.ImportList.as_view(), name="list"),
    path("imports/new/<str:kind>/", views.ImportUpload.as_view(), name="upload"),
    path(
        "imports/templates/<str:kind>.<str:file_format>",
        views.ImportTemplate.as_view(),
        name="template",
    ),
    path("imports/<int:pk>/", views.ImportDetail.as_view(), name="detail"),
    path("imports/<int:pk>/confirm/", views.ImportConfirm.as_view(), name="confirm"),
    path("imports/bulk-edit/<str:kind>/", views.BulkEdit.as_view(), name="bulk_edit"),
]
