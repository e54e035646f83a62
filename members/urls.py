from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("countries/", views.CountryList.as_view(), name="country_list"),
    path("countries/new/", views.CountryCreate.as_view(), name="country_create"),
    path("countries/<int:pk>/", views.CountryDetail.as_view(), name="country_detail"),
    path("countries/<int:pk>/edit/", views.CountryUpdate.as_view(), name="country_update"),
    path("countries/<int:pk>/delete/", views.CountryDelete.as_view(), name="country_delete"),
    path("countries/<int:pk>/history/", views.CountryHistory.as_view(), name="country_history"),
    path(
        "countries/<int:parent>/participations/new/",
        views.ParticipationCreate.as_view(),
        name="participation_create",
    ),
    path("participations/", views.ParticipationList.as_view(), name="participation_list"),
    path(
        "participations/<int:pk>/edit/",
        views.ParticipationUpdate.as_view(),
        name="participation_update",
    ),
    path(
        "participations/<int:pk>/delete/",
        views.ParticipationDelete.as_view(),
        name="participation_delete",
    ),
    path(
        "participations/<int:pk>/history/",
        views.ParticipationHistory.as_view(),
        name="participation_history",
    ),
    path("notifications/", views.NotificationList.as_view(), name="notifications"),
    path(
        "notifications/read-all/",
        views.NotificationsReadAll.as_view(),
        name="notifications_read_all",
    ),
    path(
        "notifications/<int:pk>/read/", views.NotificationRead.as_view(), name="notification_read"
    ),
    path(
        "notifications/<int:pk>/open/", views.NotificationOpen.as_view(), name="notification_open"
    ),
    path("account/", views.Account.as_view(), name="account"),
    path("account/password/", views.PasswordChange.as_view(), name="password_change"),
    path(
        "account/recovery-codes/", views.AccountRecoveryCodes.as_view(), name="recovery_codes_new"
    ),
    path("users/", views.UserList.as_view(), name="user_list"),
    path("users/new/", views.UserCreate.as_view(), name="user_create"),
    path("users/<int:pk>/", views.UserDetail.as_view(), name="user_detail"),
    path("users/<int:pk>/edit/", views.UserUpdate.as_view(), name="user_update"),
    path("users/<int:pk>/password/", views.UserPassword.as_view(), name="user_password"),
    path(
        "users/<int:pk>/deactivate/",
        views.UserActive.as_view(active=False),
        name="user_deactivate",
    ),
    path(
        "users/<int:pk>/reactivate/",
        views.UserActive.as_view(active=True),
        name="user_reactivate",
    ),
    path("users/<int:pk>/unlock/", views.UserUnlock.as_view(), name="user_unlock"),
    path(
        "users/<int:pk>/invitation/",
        views.UserInvitationResend.as_view(),
        name="user_invitation_resend",
    ),
    path(
        "users/<int:pk>/two-factor-reset/",
        views.UserSecondFactorReset.as_view(),
        name="user_second_factor_reset",
    ),
    path("users/<int:pk>/delete/", views.UserDelete.as_view(), name="user_delete"),
    path("users/<int:pk>/history/", views.UserHistory.as_view(), name="user_history"),
]
