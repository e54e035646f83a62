from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from hoa_portal.admin import ReadOnlyAdmin

from .models import Article, Declaration, Meeting, MeetingTally, MinisterialConference


class DeclarationInline(admin.StackedInline):
    model = Declaration
    fields = ("title", "summary", "source")
    extra = 0
    show_change_link = True


class ArticleInline(admin.TabularInline):
    model = Article
    fields = ("number", "text", "is_rtg_rule", "effective_from")
    extra = 0


@admin.register(MinisterialConference)
class MinisterialConferenceAdmin(SimpleHistoryAdmin):
    list_display = ("number", "date", "year", "city", "host", "status")
    list_filter = ("status",)
    search_fields = ("number__exact", "year__exact", "city", "host__name")
    ordering = ("number",)
    autocomplete_fields = ("host",)
    list_select_related = ("host",)
    inlines = [DeclarationInline]
    history_list_display = ["status", "date"]


@admin.register(Declaration)
class DeclarationAdmin(SimpleHistoryAdmin):
    list_display = ("title", "conference")
    search_fields = ("title", "summary", "conference__city")
    ordering = ("conference__number",)
    autocomplete_fields = ("conference",)
    list_select_related = ("conference",)
    inlines = [ArticleInline]


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = ("number", "declaration", "is_rtg_rule", "effective_from")
    list_filter = ("is_rtg_rule", "declaration")
    search_fields = ("text", "declaration__title")
    ordering = ("declaration__conference__number", "number")
    list_select_related = ("declaration",)
    history_list_display = ["is_rtg_rule", "effective_from"]


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin):
    list_display = ("date", "kind", "cbm", "status", "city", "host")
    list_filter = ("kind", "status", "cbm")
    search_fields = ("city", "notes", "cbm__code", "cbm__name", "host__name")
    ordering = ("-date", "id")
    date_hierarchy = "date"
    autocomplete_fields = ("cbm", "host")
    list_select_related = ("cbm", "host")
    history_list_display = ["status", "date"]


@admin.register(MeetingTally)
class MeetingTallyAdmin(ReadOnlyAdmin):
    """Kept by database triggers on the meetings: shown, never edited by hand."""

    list_display = ("status", "meetings")
    ordering = ("status",)
