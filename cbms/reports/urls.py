from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.ReportList.as_view(), name="report_list"),
    path("reports/new/", views.ReportStart.as_view(), name="report_start"),
    path("reports/overview/", views.ReportOverviewPage.as_view(), name="report_overview"),
    path("reports/<int:pk>/", views.ReportDetail.as_view(), name="report_detail"),
    path("reports/<int:pk>/edit/", views.ReportEdit.as_view(), name="report_edit"),
    path("reports/<int:pk>/submit/", views.ReportSubmit.as_view(), name="report_submit"),
    *[
        path(
            f"reports/<int:pk>/{action}/",
            views.ReportAction.as_view(action=action),
            name=f"report_{action}",
        )
        for action in ("accept", "return")
    ],
    path(
        "reports/<int:pk>/attachments/<int:attachment_id>/",
        views.AttachmentDownload.as_view(),
        name="report_attachment",
    ),
    path(
        "reports/<int:pk>/attachments/<int:attachment_id>/remove/",
        views.AttachmentRemove.as_view(),
        name="report_attachment_remove",
    ),
]
