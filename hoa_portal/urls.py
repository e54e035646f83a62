from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cbms.compliance.schedule_views import ReminderSchedule
from cbms.compliance.views import ComplianceDashboard, MyCountry
from cbms.records.views.home import HomeView, RecordsIndex
from hoa_portal import health, metrics
from hoa_portal.views import api_not_found
from members import views as accounts
from members.views import SecondFactorRecoveryCodes, SecondFactorSetup, SecondFactorVerify

urlpatterns = [
    # For the load balancer and Prometheus: these addresses are their contract, so they have no
    # name to reverse and stay as they are (hoa_portal.health, hoa_portal.metrics).
    path("health/live", health.live),
    path("health/ready", health.ready),
    path("metrics", metrics.metrics),
    # First: the resolver tries patterns in order, and API clients call most often.
    path("api/v1/", include("hoa_portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        # Swagger UI: its start-up script is a file of its own (the split view), but it styles
        # itself inline, so this one page allows inline styles.
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    # Any other /api/ address is a JSON 404, with DEBUG on too (handler404 serves only without).
    re_path(r"^api/", api_not_found),
    path("", HomeView.as_view(), name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Forgotten passwords and invitations: a one-time link by email (members.invitations).
    path("accounts/password-reset/", accounts.PasswordReset.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        accounts.PasswordResetDone.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        accounts.PasswordResetComplete.as_view(),
        name="password_reset_complete",
    ),
    path(
        "accounts/invitation/<uidb64>/<token>/",
        accounts.InvitationAccept.as_view(),
        name="invitation_accept",
    ),
    path("accounts/two-factor/", SecondFactorVerify.as_view(), name="second_factor"),
    path("accounts/two-factor/setup/", SecondFactorSetup.as_view(), name="second_factor_setup"),
    path(
        "accounts/two-factor/recovery-codes/",
        SecondFactorRecoveryCodes.as_view(),
        name="second_factor_recovery",
    ),
    # set_language: the navbar's language switcher posts here.
    path("i18n/", include("django.conf.urls.i18n")),
    path("records/", RecordsIndex.as_view(), name="records"),
    path("dashboard/", ComplianceDashboard.as_view(), name="dashboard"),
    path("my-country/", MyCountry.as_view(), name="my_country"),
    path("reminder-schedule/", ReminderSchedule.as_view(), name="reminder_schedule"),
    path("", include("members.urls")),
    path("", include("organizations.urls")),
    path("", include("conferences.urls")),
    path("", include("cbms.urls")),
    path("", include("cbms.compliance.urls")),
    path("", include("cbms.imports.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "hoa_portal.views.not_found"
