from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Membership, Organization


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("country", "status", "since", "until", "source")
    autocomplete_fields = ("country",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("country", "organization")


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ("acronym", "name", "kind", "supports_process")
    list_filter = ("kind", "supports_process")
    search_fields = ("acronym", "name")
    ordering = ("acronym",)
    inlines = [MembershipInline]
    history_list_display = ["kind", "supports_process"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ("organization", "country", "status", "since", "until")
    list_filter = ("status", "organization")
    search_fields = ("organization__acronym", "organization__name", "country__name", "source")
    ordering = ("organization__acronym", "country__name")
    autocomplete_fields = ("organization", "country")
    list_select_related = ("organization", "country")
    history_list_display = ["status", "since", "until"]
