from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from hoa_portal.admin import ReadOnlyAdmin

from .models import CalendarFeed, Country, Notification, Participation, TokenGrant, User


class ParticipationInline(admin.TabularInline):
    model = Participation
    fields = ("kind", "since", "until", "source", "note")
    extra = 0


@admin.register(Country)
class CountryAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")
    ordering = ("name",)
    inlines = [ParticipationInline]
    history_list_display = ["code", "name"]


@admin.register(Participation)
class ParticipationAdmin(SimpleHistoryAdmin):
    list_display = ("country", "kind", "since", "until", "source")
    list_filter = ("kind",)
    search_fields = ("country__name", "country__code", "source", "note")
    ordering = ("country__name", "kind", "since")
    autocomplete_fields = ("country",)
    list_select_related = ("country",)
    history_list_display = ["kind", "since", "until"]


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Portal role"), {"fields": ("role", "country")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Portal role"), {"classes": ("wide",), "fields": ("role", "country")}),
    )
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "country",
        "is_staff",
        "is_active",
    )
    list_filter = ("role", "country", "is_staff", "is_superuser", "is_active", "groups")
    list_select_related = ("country",)
    autocomplete_fields = ("country",)
    # Shown, not set: they follow the role (User.save), the secretariat's alone.
    readonly_fields = ("is_staff", "is_superuser")
    history_list_display = ["role", "is_active", "is_staff"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Notices the system sent; read-only, since editing one would not change what was sent."""

    list_display = ("created_at", "recipient", "channel", "subject", "sent_at", "read_at")
    list_filter = ("channel", ("sent_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("subject", "event_key", "recipient__username", "recipient__email")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
    list_select_related = ("recipient",)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    """Who has a private calendar feed, and since when; the token itself is never stored."""

    list_display = ("user", "created_at")
    fields = ("user", "created_at")
    search_fields = ("user__username",)
    ordering = ("-created_at",)
    list_select_related = ("user",)


@admin.register(TokenGrant)
class TokenGrantAdmin(ReadOnlyAdmin):
    """Whose API tokens there are and whether each was issued with the second factor. Written
    by the token endpoint; a token is revoked by its owner (`POST /api/v1/auth/logout/`), by a
    new password, or under "Auth tokens"."""

    list_display = ("token__user", "token__created", "token__expiry", "second_factor")
    list_filter = ("second_factor",)
    fields = ("token_user", "token_created", "token_expiry", "second_factor")
    readonly_fields = fields
    search_fields = ("token__user__username",)
    ordering = ("-token__created",)
    list_select_related = ("token__user",)

    @admin.display(description=_("user"))
    def token_user(self, grant):
        return grant.token.user

    @admin.display(description=_("issued at"))
    def token_created(self, grant):
        return grant.token.created

    @admin.display(description=_("expires at"))
    def token_expiry(self, grant):
        return grant.token.expiry


# django-otp's own admins show every authenticator app's secret key (with its QR code) and every
# unused recovery code. Here the second factor's devices are only listed, and deleted to reset a
# lost phone (as on the user's page); the key is shown once, to its owner, at set-up.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


class DeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "user__email")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields
    ordering = ("user__username",)
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False  # set up by its owner in the portal, who alone sees the key

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TOTPDevice)
class AuthenticatorAppAdmin(DeviceAdmin):
    """Who has set up an authenticator app; never its key."""


@admin.register(StaticDevice)
class RecoveryCodesAdmin(DeviceAdmin):
    """Who holds recovery codes, and how many are left; never the codes."""

    list_display = (*DeviceAdmin.list_display, "codes_left")
    fields = (*DeviceAdmin.fields, "codes_left")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(unused_codes=Count("token_set"))

    @admin.display(description=_("codes left"), ordering="unused_codes")
    def codes_left(self, device):
        return device.unused_codes
