from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    CBM,
    Activity,
    CBMName,
    CBMRole,
    ComplianceOutbox,
    ImplementationPlanVersion,
    Obligation,
    PriorityArea,
    ProgressReport,
    ReportActivityUpdate,
    ReportAttachment,
    ReportReview,
    ReportSubmission,
)


class CBMRoleInline(admin.TabularInline):
    model = CBMRole
    fields = ("role", "country", "organization", "since", "until")
    autocomplete_fields = ("country", "organization")
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cbm", "country", "organization")


class CBMNameInline(admin.TabularInline):
    model = CBMName
    fields = ("code", "name", "since", "until", "decided_at")
    autocomplete_fields = ("decided_at",)
    extra = 0


class ImplementationPlanVersionInline(admin.TabularInline):
    model = ImplementationPlanVersion
    fields = ("version", "title", "status", "adopted_on")
    extra = 0
    show_change_link = True


class PriorityAreaInline(admin.TabularInline):
    model = PriorityArea
    fields = ("number", "title")
    extra = 0
    show_change_link = True


class ActivityInline(admin.TabularInline):
    model = Activity
    fields = ("number", "title", "description")
    extra = 0


class ObligationInline(admin.TabularInline):
    """The Article 25 obligations of each cycle, as the last evaluation stored them."""

    model = Obligation
    fields = ("conference", "kind", "window_start", "deadline", "estimated", "status", "met_by")
    readonly_fields = fields
    ordering = ("conference__number", "kind")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("conference", "met_by__cbm")


@admin.register(CBM)
class CBMAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "approved_on", "approved_at", "desk_officer")
    search_fields = ("code", "name", "names__code", "names__name")
    ordering = ("approved_on", "code")
    autocomplete_fields = ("approved_at",)
    list_select_related = ("approved_at", "desk_officer")
    inlines = [CBMRoleInline, CBMNameInline, ImplementationPlanVersionInline, ObligationInline]
    history_list_display = ["code", "name"]


@admin.register(CBMName)
class CBMNameAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "cbm", "since", "until", "decided_at")
    list_filter = ("cbm",)
    search_fields = ("code", "name", "cbm__code", "cbm__name")
    ordering = ("cbm__code", "since")
    autocomplete_fields = ("cbm", "decided_at")
    list_select_related = ("cbm", "decided_at")
    history_list_display = ["code", "name", "since", "until"]


@admin.register(CBMRole)
class CBMRoleAdmin(SimpleHistoryAdmin):
    list_display = ("cbm", "role", "country", "organization", "since", "until")
    list_filter = ("role", "cbm")
    search_fields = (
        "cbm__code",
        "cbm__name",
        "country__name",
        "country__code",
        "organization__acronym",
        "organization__name",
    )
    ordering = ("cbm__code", "role", "since")
    autocomplete_fields = ("cbm", "country", "organization")
    list_select_related = ("cbm", "country", "organization")
    history_list_display = ["role", "since", "until"]


@admin.register(ImplementationPlanVersion)
class ImplementationPlanVersionAdmin(SimpleHistoryAdmin):
    list_display = ("cbm", "version", "title", "status", "adopted_on")
    list_filter = ("status", "cbm")
    search_fields = ("title", "notes", "cbm__code", "cbm__name")
    ordering = ("cbm__code", "version")
    autocomplete_fields = ("cbm",)
    list_select_related = ("cbm",)
    inlines = [PriorityAreaInline]
    history_list_display = ["status", "adopted_on"]

    def get_queryset(self, request):
        # __str__ reads cbm.code: autocomplete results and the history page need it joined.
        return super().get_queryset(request).select_related("cbm")


@admin.register(PriorityArea)
class PriorityAreaAdmin(SimpleHistoryAdmin):
    list_display = ("plan", "number", "title")
    list_filter = ("plan__cbm",)
    search_fields = ("title", "plan__title", "plan__cbm__code")
    ordering = ("plan__cbm__code", "plan__version", "number")
    list_select_related = ("plan__cbm",)
    inlines = [ActivityInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "plan":
            kwargs["queryset"] = ImplementationPlanVersion.objects.select_related("cbm")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ("priority_area__plan", "priority_area", "number", "title")
    list_filter = ("priority_area__plan__cbm",)
    search_fields = ("title", "description", "priority_area__title")
    ordering = ("priority_area__plan__cbm__code", "priority_area__number", "number")
    list_select_related = ("priority_area__plan__cbm",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "priority_area":
            kwargs["queryset"] = PriorityArea.objects.select_related("plan__cbm")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows the system writes: staff may look, nobody adds, edits or deletes by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdmin):
    """Computed by the compliance sweep: shown, never edited by hand."""

    list_display = (
        "cbm",
        "conference",
        "kind",
        "window_start",
        "deadline",
        "estimated",
        "status",
        "met_by",
        "evaluated_on",
    )
    list_filter = ("status", "kind", "estimated", "cbm")
    search_fields = ("cbm__code", "cbm__name")
    ordering = ("cbm__code", "conference__number", "kind")
    list_select_related = ("cbm", "conference", "met_by__cbm")
    date_hierarchy = "deadline"


@admin.register(ComplianceOutbox)
class ComplianceOutboxAdmin(ReadOnlyAdmin):
    """CBMs waiting for re-evaluation; the sweep consumes them, so they are not deleted here."""

    list_display = ("cbm_pk", "created_at")
    search_fields = ("=cbm_pk",)
    ordering = ("created_at", "id")


class ReportHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Reports move only through their workflow (cbms.reports), which the admin would bypass:
    staff read them and their history here, and act on them from the portal's pages."""


@admin.register(ProgressReport)
class ProgressReportAdmin(ReportHistoryAdmin):
    list_display = ("cbm", "conference", "country", "state", "updated_at")
    list_filter = ("state", "cbm")
    search_fields = ("cbm__code", "country__name", "narrative")
    list_select_related = ("cbm", "conference", "country")


@admin.register(ReportSubmission)
class ReportSubmissionAdmin(ReportHistoryAdmin):
    list_display = ("report", "number", "submitted_by", "submitted_at")
    search_fields = ("report__cbm__code", "report__country__name", "narrative")
    list_select_related = ("report__cbm", "report__conference", "report__country", "submitted_by")


@admin.register(ReportReview)
class ReportReviewAdmin(ReportHistoryAdmin):
    list_display = ("submission", "decision", "reviewer")
    search_fields = ("submission__report__cbm__code", "comment")
    list_filter = ("decision",)
    list_select_related = (
        "submission__report__cbm",
        "submission__report__conference",
        "submission__report__country",
        "reviewer",
    )


@admin.register(ReportActivityUpdate)
class ReportActivityUpdateAdmin(ReportHistoryAdmin):
    list_display = ("report", "activity", "status", "percent")
    search_fields = ("report__cbm__code", "activity__title", "note")
    list_filter = ("status",)
    list_select_related = (
        "report__cbm",
        "report__conference",
        "report__country",
        "activity__priority_area",
    )


@admin.register(ReportAttachment)
class ReportAttachmentAdmin(ReportHistoryAdmin):
    list_display = ("report", "original_name", "size")
    search_fields = ("report__cbm__code", "original_name")
    list_select_related = ("report__cbm", "report__conference", "report__country")
