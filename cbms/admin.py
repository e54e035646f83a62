from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from hoa_portal.admin import ReadOnlyAdmin

from .compliance.reminders import reminder_policy_update
from .models import (
    CBM,
    Activity,
    CBMName,
    CBMRole,
    ComplianceOutbox,
    ImplementationPlanVersion,
    Invitation,
    InvitationDelivery,
    Obligation,
    PlanStatus,
    PriorityArea,
    ProgressReport,
    Reminder,
    ReminderPolicy,
    ReportActivityUpdate,
    ReportAttachment,
    ReportReview,
    ReportSubmission,
    SpreadsheetImport,
)
from .models.plans import plan_content_editable

# --- Implementation plans: a published version is frozen (cbms.models.plans) -------------------
#
# Its own content is read-only, its areas and activities are shown, not edited; their pages are
# view-only and refuse deletion. Deleting the whole version (or its CBM) still takes them along.

FROZEN_CONTENT = _("priority areas and activities of a published plan version (frozen)")


def _plan_of(obj):
    """The plan version an admin row belongs to (itself, its area's, its activity's)."""
    if isinstance(obj, ImplementationPlanVersion):
        return obj
    if isinstance(obj, PriorityArea):
        return obj.plan
    if isinstance(obj, Activity):
        return obj.priority_area.plan
    return None


def _frozen(obj) -> bool:
    plan = _plan_of(obj)
    return plan is not None and plan.pk is not None and not plan_content_editable(plan.status)


class PlanVersionAdminForm(forms.ModelForm):
    """A published version's content fields are shown disabled (rows of the CBM's inline) and
    its status cannot go back to draft."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not _frozen(self.instance):
            return
        for name in ImplementationPlanVersion.CONTENT_FIELDS:
            if name in self.fields:
                self.fields[name].disabled = True
        if "status" in self.fields:
            status = self.fields["status"]
            status.choices = [(v, label) for v, label in status.choices if v != PlanStatus.DRAFT]


class FrozenContentInline(admin.TabularInline):
    """Read-only under a published version (the parent page's object is `obj`)."""

    def has_add_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_delete_permission(request, obj)


class FrozenContentAdmin(SimpleHistoryAdmin):
    """An area's or an activity's own page: view-only once its version is published.

    Deletion is refused where it is asked for (its delete page, the bulk action), not through
    has_delete_permission: that one is also asked when its version or CBM is deleted, which
    takes it along."""

    def has_change_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(_frozen(obj) for obj in objs):
            perms_needed = {*perms_needed, FROZEN_CONTENT}
        return deleted, counts, perms_needed, protected

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and _frozen(obj):
            extra_context = {**(extra_context or {}), "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)


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
    form = PlanVersionAdminForm
    fields = ("version", "title", "status", "adopted_on")
    extra = 0
    show_change_link = True


class PriorityAreaInline(FrozenContentInline):
    model = PriorityArea
    fields = ("number", "title")
    extra = 0
    show_change_link = True


class ActivityInline(FrozenContentInline):
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
    form = PlanVersionAdminForm
    inlines = [PriorityAreaInline]
    history_list_display = ["status", "adopted_on"]

    def get_queryset(self, request):
        # __str__ reads cbm.code: autocomplete results and the history page need it joined.
        return super().get_queryset(request).select_related("cbm")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if _frozen(obj):
            return (*fields, *ImplementationPlanVersion.CONTENT_FIELDS)
        return fields


@admin.register(PriorityArea)
class PriorityAreaAdmin(FrozenContentAdmin):
    list_display = ("plan", "number", "title")
    list_filter = ("plan__cbm",)
    search_fields = ("title", "plan__title", "plan__cbm__code")
    ordering = ("plan__cbm__code", "plan__version", "number")
    list_select_related = ("plan__cbm",)
    inlines = [ActivityInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "plan":
            # Content goes to drafts only.
            kwargs["queryset"] = ImplementationPlanVersion.objects.select_related("cbm").filter(
                status=PlanStatus.DRAFT
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("plan__cbm")


@admin.register(Activity)
class ActivityAdmin(FrozenContentAdmin):
    list_display = ("priority_area__plan", "priority_area", "number", "title")
    list_filter = ("priority_area__plan__cbm",)
    search_fields = ("title", "description", "priority_area__title")
    ordering = ("priority_area__plan__cbm__code", "priority_area__number", "number")
    list_select_related = ("priority_area__plan__cbm",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "priority_area":
            kwargs["queryset"] = PriorityArea.objects.select_related("plan__cbm").filter(
                plan__status=PlanStatus.DRAFT
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("priority_area__plan__cbm")


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


@admin.register(SpreadsheetImport)
class SpreadsheetImportAdmin(ReadOnlyAdmin):
    """What each import sent and did; the portal's import pages make them, nobody edits them."""

    list_display = ("pk", "kind", "file_name", "created_by", "created_at", "status", "errors")
    list_filter = ("kind", "status", "source")
    search_fields = ("file_name", "created_by__username")
    list_select_related = ("created_by",)
    exclude = ("content",)
    ordering = ("-created_at", "-id")


@admin.register(ComplianceOutbox)
class ComplianceOutboxAdmin(ReadOnlyAdmin):
    """CBMs waiting for re-evaluation; the sweep consumes them, so they are not deleted here."""

    list_display = ("cbm_pk", "created_at")
    search_fields = ("=cbm_pk",)
    ordering = ("created_at", "id")


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(SimpleHistoryAdmin):
    """The one reminder schedule; the secretariat edits it in the portal too."""

    list_display = ("__str__",)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ReminderPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service, as the portal's page saves it: unsent reminders re-planned at once.
        saved = reminder_policy_update(
            days_before=obj.days_before,
            escalate_within_days=obj.escalate_within_days,
            actor=request.user,
        )
        obj.pk = saved.pk


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    """Reminders the evaluation planned; sending marks them, so they are not edited here."""

    list_display = ("obligation", "days_before", "due_on", "escalate", "sent_at", "superseded")
    list_filter = ("escalate", "superseded", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("obligation__cbm__code",)
    ordering = ("due_on", "id")
    list_select_related = ("obligation__cbm", "obligation__conference")


class InvitationDeliveryInline(admin.TabularInline):
    model = InvitationDelivery
    fields = ("recipient", "sent_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Calendar invitations to RTGs as they were sent: the record of what each person got."""

    list_display = ("meeting_pk", "sequence", "method", "created_at")
    list_filter = ("method",)
    search_fields = ("=meeting_pk",)
    ordering = ("-created_at", "-id")
    inlines = [InvitationDeliveryInline]


@admin.register(InvitationDelivery)
class InvitationDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("invitation", "recipient", "sent_at")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    search_fields = ("recipient__username",)
    ordering = ("-id",)
    list_select_related = ("invitation", "recipient")


class ReportHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Reports move only through their workflow (cbms.reports.services), which the admin would
    bypass: staff read them and their history here, and act on them from the portal's pages."""


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
    """The stored file is linked through the portal's download (checked scope, always a
    download, never sniffed), not by its storage URL: /media/ is not served."""

    list_display = ("report", "original_name", "size", "download")
    search_fields = ("report__cbm__code", "original_name")
    list_select_related = ("report__cbm", "report__conference", "report__country")
    fields = (
        "report",
        "download",
        "original_name",
        "size",
        "content_type",
        "uploaded_by",
        "uploaded_at",
    )
    readonly_fields = ("download", "uploaded_at")

    @admin.display(description=_("file"))
    def download(self, attachment):
        url = reverse("cbms:report_attachment", args=[attachment.report_id, attachment.pk])
        return format_html('<a href="{}">{}</a>', url, attachment.original_name)
