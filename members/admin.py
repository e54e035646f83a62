from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from hoa_portal.admin import ReadOnlyAdmin

from .models import CalendarFeed, Country, Notification, Participation, User


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
