from django.urls import path

from . import views

app_name = "conferences"


urlpatterns = [
    path("conferences/", views.ConferenceList.as_view(), name="conference_list"),
    path("conferences/new/", views.ConferenceCreate.as_view(), name="conference_create"),
    path("conferences/<int:pk>/", views.ConferenceDetail.as_view(), name="conference_detail"),
    path("conferences/<int:pk>/edit/", views.ConferenceUpdate.as_view(), name="conference_update"),
    path(
        "conferences/<int:pk>/delete/", views.ConferenceDelete.as_view(), name="conference_delete"
    ),
    path(
        "conferences/<int:pk>/history/",
        views.ConferenceHistory.as_view(),
        name="conference_history",
    ),
    path(
        "conferences/<int:parent>/declaration/new/",
        views.DeclarationCreate.as_view(),
        name="declaration_create",
    ),
    path("declarations/", views.DeclarationList.as_view(), name="declaration_list"),
    path(
        "declarations/<int:pk>/edit/",
        views.DeclarationUpdate.as_view(),
        name="declaration_update",
    ),
    path(
        "declarations/<int:pk>/delete/",
        views.DeclarationDelete.as_view(),
        name="declaration_delete",
    ),
    path(
        "declarations/<int:pk>/history/",
        views.DeclarationHistory.as_view(),
        name="declaration_history",
    ),
    path(
        "declarations/<int:parent>/articles/new/",
        views.ArticleCreate.as_view(),
        name="article_create",
    ),
    path("articles/", views.ArticleList.as_view(), name="article_list"),
    path("articles/<int:pk>/edit/", views.ArticleUpdate.as_view(), name="article_update"),
    path("articles/<int:pk>/delete/", views.ArticleDelete.as_view(), name="article_delete"),
    path("articles/<int:pk>/history/", views.ArticleHistory.as_view(), name="article_history"),
    path("meetings/", views.MeetingList.as_view(), name="meeting_list"),
    path("meetings/new/", views.MeetingCreate.as_view(), name="meeting_create"),
    path("meetings/<int:pk>/", views.MeetingDetail.as_view(), name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.MeetingUpdate.as_view(), name="meeting_update"),
    path("meetings/<int:pk>/delete/", views.MeetingDelete.as_view(), name="meeting_delete"),
    path("meetings/<int:pk>/history/", views.MeetingHistory.as_view(), name="meeting_history"),
]
