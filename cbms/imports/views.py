"""The import pages: upload a file, see what it would change, confirm; the imports made; the
templates; and the bulk edit a list posts. Each asks cbms.imports.permissions and calls a
service."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from hoa_portal.api.renderers import EXPORT_FORMATS, export_response
from hoa_portal.spreadsheets import resource_table
from hoa_portal.views import PolicyMixin, PortalPaginator, signed_in

from ..models import ImportStatus, SpreadsheetImport
from .kinds import IMPORTABLE
from .permissions import can_confirm_import, can_import, can_view_import, visible_imports
from .services import bulk_edit_preview, import_confirm, import_preview

# What each column holds, for the upload page's table of the template's columns.
COLUMN_HELP = {
    "id": gettext_lazy("The record's number, as exported. Empty for a new record."),
    "revision": gettext_lazy(
        "The record's version when exported: a row whose record changed since is refused. "
        "Leave it as it is, or empty."
    ),
    "cbm": gettext_lazy("The CBM's code, e.g. CT."),
    "country": gettext_lazy("The country's three-letter code, e.g. AFG."),
    "host": gettext_lazy("The host country's three-letter code, e.g. AFG; may be empty."),
    "organization": gettext_lazy("The organization's acronym, e.g. SCO."),
    "date": gettext_lazy("YYYY-MM-DD, or a date cell."),
    "since": gettext_lazy("YYYY-MM-DD, or a date cell."),
    "until": gettext_lazy("YYYY-MM-DD, or empty while ongoing."),
    "supports_process": gettext_lazy("true or false."),
    "plan_version": gettext_lazy("The plan version's number."),
    "area": gettext_lazy("The priority area's number in that version."),
}


def importers(user) -> bool:
    return signed_in(user) and any(can_import(user, kind) for kind in IMPORTABLE)


def _importable(kind: str, user):
    importable = IMPORTABLE.get(kind)
    if importable is None:
        raise Http404
    if not can_import(user, kind):
        raise PermissionDenied
    return importable


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("An .xlsx or .csv file with the template's columns."),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.csv", "class": "form-control"}),
    )


class ImportList(PolicyMixin, ListView):
    """The imports made: all of them for the secretariat, one's own for anyone else."""

    policy = staticmethod(importers)
    template_name = "imports/import_list.html"
    paginate_by = 25
    paginator_class = PortalPaginator

    def get_queryset(self):
        imports = SpreadsheetImport.objects.select_related("created_by").defer("content", "preview")
        return visible_imports(self.request.user, imports)

    def get_context_data(self, **kwargs):
        user = self.request.user
        kinds = [
            (kind, importable.kind.label)
            for kind, importable in IMPORTABLE.items()
            if can_import(user, kind)
        ]
        return super().get_context_data(kinds=kinds, **kwargs)


class ImportUpload(PolicyMixin, FormView):
    """Step one: the template or the records to edit, then the file."""

    policy = staticmethod(importers)
    template_name = "imports/upload.html"
    form_class = UploadForm

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.kind = kwargs["kind"]

    def get_context_data(self, **kwargs):
        importable = _importable(self.kind, self.request.user)
        resource = importable.resource(actor=self.request.user)
        list_url = reverse(importable.list_url_name)
        query = self.request.GET.copy()
        query["for"] = "import"
        columns = [
            (field.column_name, COLUMN_HELP.get(field.column_name, ""))
            for field in resource.get_export_fields()
        ]
        natural_key = [resource.fields[name].column_name for name in resource.natural_key]
        return super().get_context_data(
            kind=self.kind,
            label=importable.kind.label,
            list_url=list_url,
            export_query=query,
            filtered=bool(set(self.request.GET) - {"for", "format", "page"}),
            columns=columns,
            natural_key=natural_key,
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        _importable(self.kind, request.user)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            spreadsheet_import = import_preview(
                kind=self.kind, uploaded_file=form.cleaned_data["file"], actor=self.request.user
            )
        except ValidationError as error:
            for message in error.message_dict.get("file", error.messages):
                form.add_error("file", message)
            return self.form_invalid(form)
        return redirect("imports:detail", pk=spreadsheet_import.pk)


class ImportTemplate(PolicyMixin, View):
    """The template: the import's columns and no row, as XLSX or CSV."""

    policy = staticmethod(importers)

    def get(self, request, kind: str, file_format: str):
        if file_format not in EXPORT_FORMATS:
            raise Http404
        importable = _importable(kind, request.user)
        resource = importable.resource(actor=request.user)
        table = resource_table(resource, None, name=kind)
        return export_response(file_format, [table], filename=f"{kind}-template")


class ImportDetail(PolicyMixin, DetailView):
    """The preview (what the file would change, its errors) and, once confirmed, the record of
    what it changed."""

    policy = staticmethod(signed_in)
    template_name = "imports/import_detail.html"
    context_object_name = "spreadsheet_import"

    def get_queryset(self):
        return SpreadsheetImport.objects.select_related("created_by").defer("content")

    def get_object(self, queryset=None):
        spreadsheet_import = super().get_object(queryset)
        if not can_view_import(self.request.user, spreadsheet_import):
            raise Http404
        return spreadsheet_import

    def get_context_data(self, **kwargs):
        spreadsheet_import = self.object
        importable = IMPORTABLE[spreadsheet_import.kind]
        preview = spreadsheet_import.preview or {}
        changes = preview.get("changes", [])
        errors = preview.get("errors", [])
        return super().get_context_data(
            label=importable.kind.label,
            list_url=reverse(importable.list_url_name),
            upload_url=reverse("imports:upload", args=[spreadsheet_import.kind]),
            changes=changes,
            changes_left_out=spreadsheet_import.created + spreadsheet_import.updated - len(changes),
            errors=errors,
            errors_left_out=spreadsheet_import.errors - len(errors),
            can_confirm=spreadsheet_import.status == ImportStatus.PREVIEWED
            and can_confirm_import(self.request.user, spreadsheet_import),
            **kwargs,
        )


class ImportConfirm(PolicyMixin, View):
    policy = staticmethod(signed_in)

    def post(self, request, pk: int):
        spreadsheet_import = get_object_or_404(SpreadsheetImport.objects.defer("content"), pk=pk)
        if not can_view_import(request.user, spreadsheet_import):
            raise Http404
        try:
            done = import_confirm(spreadsheet_import=spreadsheet_import, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("imports:detail", pk=pk)
        if done.status == ImportStatus.IMPORTED:
            messages.success(
                request,
                _("Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
                % {"created": done.created, "updated": done.updated, "unchanged": done.unchanged},
            )
        else:
            messages.error(
                request,
                _(
                    "Nothing was imported: records changed since the preview. The errors below "
                    "say which rows; export again and redo the change there."
                ),
            )
        return redirect("imports:detail", pk=pk)


class BulkEdit(PolicyMixin, View):
    """A list's chosen rows and the value of one column: previewed as an import."""

    policy = staticmethod(importers)

    def post(self, request, kind: str):
        importable = _importable(kind, request.user)
        ids = [value for value in request.POST.getlist("ids") if value.isdigit()]
        try:
            spreadsheet_import = bulk_edit_preview(
                kind=kind,
                ids=[int(value) for value in ids],
                column=request.POST.get("column", ""),
                value=request.POST.get("value", ""),
                actor=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            back = request.POST.get("back", "")
            list_url = reverse(importable.list_url_name)
            return redirect(back if back.startswith(list_url) else list_url)
        return redirect("imports:detail", pk=spreadsheet_import.pk)
