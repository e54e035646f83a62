"""The portal's page machinery, shared by every app's views.

One mixin decides who may open a page (`PolicyMixin`, asking the same predicates as the API); the
generic list, detail, form, delete and history views below keep each app's views to a few lines
of declarations. Scope is the queryset's business: a row outside a user's scope is a 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import models, router
from django.db.models import ProtectedError, Q, QuerySet, RestrictedError
from django.forms.widgets import (
    CheckboxInput,
    DateInput,
    MultiWidget,
    Select,
    SelectMultiple,
)
from django.http import HttpResponseBadRequest, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found
from django.views.generic import DetailView, ListView
from django.views.generic.edit import CreateView, DeleteView, UpdateView
from django_htmx.http import HttpResponseClientRedirect

from hoa_portal.api.renderers import (
    EXPORT_CHUNK,
    EXPORT_FORMATS,
    ExportColumn,
    Table,
    export_response,
)
from hoa_portal.spreadsheets import PortalResource, resource_table
from members.permissions import can_edit_records, can_see_compliance, is_focal_point, is_secretariat

SEARCH_MAX_LENGTH = 100


# --- Who may open a page ------------------------------------------------------------------------


class PolicyMixin:
    """Ask a predicate (members/permissions.py & co.) before anything else runs.

    Signed-in users the predicate refuses get 403; anonymous users are sent to sign in. Rows
    outside a user's scope are not this mixin's business: the view's queryset leaves them out,
    so they are 404.
    """

    policy: Callable[[Any], bool] | None = None

    def dispatch(self, request, *args, **kwargs):
        # PostgreSQL cannot store or compare a NUL byte: refuse it up front, never a 500.
        for values in (*request.GET.lists(), *request.POST.lists()):
            key, items = values
            if "\x00" in key or any("\x00" in item for item in items if isinstance(item, str)):
                return HttpResponseBadRequest(_("Null characters are not allowed."))
        if self.policy is not None and not self.policy(request.user):
            if not request.user.is_authenticated:
                return _to_sign_in(request)
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _to_sign_in(request):
    """The sign-in page, then back. An htmx request (its session expired while the page stayed
    open) would swap the sign-in page into a table row: the whole window goes there instead, and
    comes back to the page the fragment belongs to."""
    if request.htmx:
        back = request.htmx.current_url_abs_path or request.get_full_path()
        return HttpResponseClientRedirect(redirect_to_login(back).url)
    return redirect_to_login(request.get_full_path())


def safe_next(request) -> str:
    """Where to go once a step is done: `next` if it stays on this site, else home."""
    target = request.POST.get("next") or request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else reverse("home")


def anyone(user) -> bool:
    return True


def signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def secretariat_or_focal_point(user) -> bool:
    """Who may reach the meeting forms at all; each meeting is then checked one by one."""
    return is_secretariat(user) or is_focal_point(user)


# --- Displaying values --------------------------------------------------------------------------


def display(value) -> str:
    """A value as a person reads it: dates as 9 Dec 2015, booleans as yes/no, nothing as —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        # Templates shift aware datetimes to TIME_ZONE themselves; Python formatting does not,
        # so without localtime() a list would show the stored UTC.
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return date_format(value, "j M Y H:i")
    if isinstance(value, dt.date):
        return date_format(value, "j M Y")
    return str(value)


def resolve(obj, path: str):
    """`host.name`-style attribute paths; a field with choices gives its label."""
    *parents, last = path.split(".")
    for part in parents:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    getter = getattr(obj, f"get_{last}_display", None)
    return getter() if getter else getattr(obj, last, None)


@dataclass(frozen=True)
class Column:
    """One column of a list page and of its CSV and XLSX exports (`raw`: dates, numbers and
    booleans stay themselves in a workbook)."""

    key: str  # the exports' header
    label: str
    value: str | Callable[[Any], Any]  # an attribute path or a function of the row
    sort: str | None = None  # the ordering expression, if the column sorts
    link: bool = False  # the cell links to the row's page
    shown: Callable[[Any], str] | None = None  # how the page writes the value, if not display()

    def raw(self, obj):
        return self.value(obj) if callable(self.value) else resolve(obj, self.value)

    def html(self, obj) -> str:
        value = self.raw(obj)
        return self.shown(value) if self.shown and value else display(value)


@dataclass(frozen=True)
class Row:
    obj: Any
    url: str | None
    cells: list[tuple[str, bool]]  # (text, links to the row's page)


# --- Lists --------------------------------------------------------------------------------------


class PortalPage(Page):
    NEARBY = 2  # pages linked either side of this one

    @property
    def links(self) -> list[int | None]:
        """The page numbers templates/portal/_pagination.html shows, None for the gap between
        two: the first, the last and NEARBY either side of this one. Asked of the page, not
        looped over every page in the template: a list of 120,000 rows has 4,800 pages."""
        last = self.paginator.num_pages
        nearby = range(max(1, self.number - self.NEARBY), min(last, self.number + self.NEARBY) + 1)
        links: list[int | None] = []
        for number in sorted({1, last, *nearby}):
            if links and number != links[-1] + 1:
                links.append(None)
            links.append(number)
        return links


class PortalPaginator(Paginator):
    """Pages that know which page numbers to link (PortalPage.links)."""

    def _get_page(self, *args, **kwargs):
        return PortalPage(*args, **kwargs)


class PortalListView(PolicyMixin, ListView):
    """Filter (a FilterSet), search (`?q=`), sort (`?sort=`), paginate (`?page=`), export
    (`?format=csv`, streamed, or `?format=xlsx`: every matching row, through the API's writers).
    htmx requests aimed at the results get only the results, so a filter change costs no page
    load."""

    policy = staticmethod(anyone)
    template_name = "portal/list.html"
    results_template_name = "portal/_list_results.html"
    paginate_by = 25
    columns: list[Column] = []
    filterset_class = None
    search_fields: list[str] = []
    default_sort: str = ""
    title = ""
    intro = ""
    detail_url_name: str | None = None
    create_url_name: str | None = None
    csv_filename = "export"  # of both exports, and the workbook's sheet
    # The records this list edits in a spreadsheet, if any (hoa_portal.spreadsheets): for those
    # who may import them, the list exports the rows it shows in the import's columns
    # (`?format=xlsx&for=import`) and offers to set a column on the rows chosen (a bulk edit).
    import_resource: type[PortalResource] | None = None
    import_kind = ""  # the kind's name in the import pages' addresses

    def base_queryset(self) -> QuerySet:
        """The rows this user may see, with what the columns need joined in."""
        return self.model._default_manager.all()

    def get_queryset(self):
        queryset = self.base_queryset()
        self.filterset = (
            self.filterset_class(self.request.GET or None, queryset=queryset, request=self.request)
            if self.filterset_class
            else None
        )
        if self.filterset is not None and self.filterset.is_bound:
            # An invalid filter value is shown on the form and filters nothing.
            queryset = self.filterset.qs if self.filterset.is_valid() else queryset
        self.query = self.request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
        if self.query and self.search_fields:
            condition = Q()
            for field in self.search_fields:
                condition |= Q(**{f"{field}__icontains": self.query})
            queryset = queryset.filter(condition)
        return queryset.order_by(*self.ordering_for(self.current_sort()), "pk")

    def sortable(self) -> dict[str, str]:
        return {column.key: column.sort for column in self.columns if column.sort}

    def current_sort(self) -> str:
        requested = self.request.GET.get("sort", "")
        return requested if requested.lstrip("-") in self.sortable() else self.default_sort

    def ordering_for(self, sort: str) -> list[str]:
        if not sort:
            return []
        expression = self.sortable()[sort.lstrip("-")]
        return [f"-{expression}" if sort.startswith("-") else expression]

    def paginate_queryset(self, queryset, page_size):
        # A page past the end (or not a number) shows the nearest page, never an error.
        paginator = PortalPaginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def detail_url(self, obj) -> str | None:
        return reverse(self.detail_url_name, args=[obj.pk]) if self.detail_url_name else None

    def rows(self, objects: Iterable) -> list[Row]:
        rows = []
        for obj in objects:
            url = self.detail_url(obj)
            cells = [(column.html(obj), column.link and bool(url)) for column in self.columns]
            rows.append(Row(obj, url, cells))
        return rows

    def headers(self) -> list[dict]:
        current = self.current_sort()
        headers = []
        for column in self.columns:
            entry = {"label": column.label, "sort": None, "aria_sort": None}
            if column.sort:
                if current == column.key:
                    entry["aria_sort"], entry["sort"] = "ascending", f"-{column.key}"
                elif current == f"-{column.key}":
                    entry["aria_sort"], entry["sort"] = "descending", column.key
                else:
                    entry["sort"] = column.key
            headers.append(entry)
        return headers

    def can_create(self) -> bool:
        return bool(self.create_url_name) and can_edit_records(self.request.user)

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("format")
        if export_format in EXPORT_FORMATS:
            if request.GET.get("for") == "import":
                return self.import_export_response(export_format)
            return self.export_response(export_format)
        return super().get(request, *args, **kwargs)

    def importable(self) -> bool:
        return self.import_resource is not None and self.import_resource.importable_by(
            self.request.user
        )

    def import_export_response(self, export_format: str) -> HttpResponseBase:
        """The rows the filters and search match that the user may change, as the import
        reads them: edited and uploaded again, they update these records."""
        if not self.importable():
            raise PermissionDenied
        resource = self.import_resource(actor=self.request.user)
        shown = self.get_queryset().values("pk")
        records = resource.get_queryset().filter(pk__in=shown).order_by("pk")
        table = resource_table(resource, records, name=self.csv_filename)
        return export_response(export_format, [table], filename=f"{self.csv_filename}-to-edit")

    def spreadsheet_actions(self) -> dict | None:
        """The import and bulk edit links the list offers, to those who may use them."""
        if not self.importable():
            return None
        query = self.request.GET.copy()
        for name in ("page", "format", "for"):
            query.pop(name, None)
        upload = reverse("imports:upload", args=[self.import_kind])
        return {
            "upload_url": f"{upload}?{query.urlencode()}" if query else upload,
            "bulk_edit_url": reverse("imports:bulk_edit", args=[self.import_kind]),
            "bulk_columns": self.import_resource.bulk_columns,
        }

    def export_response(self, export_format: str) -> HttpResponseBase:
        """Every row the filters and search match, in the page's order."""
        queryset = self.get_queryset()
        columns = self.columns

        def rows():
            for obj in queryset.iterator(chunk_size=EXPORT_CHUNK):
                yield {column.key: column.raw(obj) for column in columns}

        table = Table(self.csv_filename, [ExportColumn(column.key) for column in columns], rows())
        return export_response(export_format, [table], filename=self.csv_filename)

    def get_template_names(self):
        htmx = getattr(self.request, "htmx", None)
        if htmx and htmx.target == "results":
            return [self.results_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title,
            intro=self.intro,
            headers=self.headers(),
            rows=self.rows(context["object_list"]),
            filter_form=style_filters(self.filterset.form) if self.filterset is not None else None,
            searchable=bool(self.search_fields),
            query=self.query,
            sort=self.current_sort(),
            create_url=reverse(self.create_url_name) if self.can_create() else None,
            spreadsheet=self.spreadsheet_actions(),
        )
        return context


class QuickSelect(Select):
    """A single-choice <select> that writes its options itself, as Django's templates would:
    Django renders each option through a template of its own, 18 ms of a page for the 500 CBMs
    of a long history. Option groups fall back to Django's rendering."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)  # a model's choices are a query: read them once
        if self.allow_multiple_selected or any(
            isinstance(label, list | tuple) for _value, label in choices
        ):
            return super().render(name, value, attrs, renderer)
        chosen = set(self.format_value(value))
        options, found = [], False
        for option_value, label in choices:
            text = "" if option_value is None else str(option_value)
            selected = not found and text in chosen
            found = found or selected
            options.append(
                f'\n  <option value="{escape(text)}"{" selected" if selected else ""}>'
                f"{escape(label)}</option>\n"
            )
        attributes = _attributes(self.build_attrs(self.attrs, attrs))
        opening = f'<select name="{escape(name)}"{attributes}>'
        return mark_safe(f"{opening}{''.join(options)}\n</select>")  # every value is escaped


def _attributes(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: True is a bare name, False leaves the attribute out."""
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def style_filters(form):
    """Bootstrap classes on a FilterSet's form (its widgets are django-filter's own)."""
    for field in form.fields.values():
        widget = field.widget
        parts = widget.widgets if isinstance(widget, MultiWidget) else [widget]
        for part in parts:
            if isinstance(part, CheckboxInput):
                part.attrs["class"] = "form-check-input"
            elif isinstance(part, Select | SelectMultiple):
                part.attrs["class"] = "form-select"
            else:
                part.attrs["class"] = "form-control"
            if isinstance(part, DateInput):
                part.input_type = "date"
    return form


# --- One record ---------------------------------------------------------------------------------


class PortalDetailView(PolicyMixin, DetailView):
    policy = staticmethod(anyone)

    def visible(self) -> QuerySet:
        return self.model._default_manager.all()

    def get_queryset(self):
        return self.visible()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = can_edit_records(self.request.user)
        context["can_see_compliance"] = can_see_compliance(self.request.user)
        return context


class ParentMixin:
    """A record created under another (a role under its CBM): the parent comes from the URL."""

    parent_model: type[models.Model] | None = None
    parent_field: str | None = None
    parent_kwarg = "parent"

    def get_parent(self):
        if not hasattr(self, "_parent"):
            self._parent = get_object_or_404(
                self.parent_queryset(), pk=self.kwargs[self.parent_kwarg]
            )
        return self._parent

    def parent_queryset(self) -> QuerySet:
        return self.parent_model._default_manager.all()


class RecordPages:
    """Where a record's form, delete and history views send people: the page that shows the
    record (after a save; "back" from delete and history) and, after a delete, its list.

    `page_url_name` takes the pk of the record itself, or of the one `page_of` names (a dotted
    path such as "conference_id" or "declaration.conference_id") for rows shown on another
    record's page; those go back to that page after a delete too, unless `list_url_name` is set.
    """

    page_url_name = ""
    page_of = "pk"
    list_url_name = ""

    def record_page(self, obj) -> str:
        return reverse(self.page_url_name, args=[attrgetter(self.page_of)(obj)])


class PortalFormViewMixin(RecordPages, PolicyMixin):
    policy = staticmethod(can_edit_records)
    template_name = "portal/form.html"
    success_message = ""
    cancel_url_name: str | None = None

    def success_target(self, obj) -> str:
        return self.record_page(obj)

    def get_success_url(self):
        return self.success_target(self.object)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, self.success_message or _("Saved %s.") % self.object)
        return response

    def form_invalid(self, form):
        messages.error(self.request, _("Nothing was saved: please correct the errors below."))
        return super().form_invalid(form)

    def heading(self) -> str:
        raise NotImplementedError

    def cancel_url(self) -> str:
        return reverse("home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["heading"] = self.heading()
        context["cancel_url"] = self.cancel_url()
        return context


class PortalCreateView(ParentMixin, PortalFormViewMixin, CreateView):
    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.parent_model is not None:
            kwargs["instance"] = self.model(**{self.parent_field: self.get_parent()})
        return kwargs

    def heading(self) -> str:
        noun = self.model._meta.verbose_name
        if self.parent_model is not None:
            return _("New %(noun)s for %(parent)s") % {"noun": noun, "parent": self.get_parent()}
        return _("New %(noun)s") % {"noun": noun}

    def cancel_url(self) -> str:
        if self.parent_model is not None:
            return self.success_target_for_parent(self.get_parent())
        return reverse(self.cancel_url_name) if self.cancel_url_name else reverse("home")

    def success_target_for_parent(self, parent) -> str:
        return self.success_target(self.model(**{self.parent_field: parent}))


class PortalUpdateView(PortalFormViewMixin, UpdateView):
    def scoped(self) -> QuerySet:
        return self.model._default_manager.all()

    def get_queryset(self):
        return self.scoped()

    def heading(self) -> str:
        return _("Edit %(record)s") % {"record": self.object}

    def cancel_url(self) -> str:
        return self.success_target(self.object)


class PortalDeleteView(RecordPages, PolicyMixin, DeleteView):
    """Confirm, listing everything else the delete would remove or that prevents it."""

    policy = staticmethod(can_edit_records)
    template_name = "portal/confirm_delete.html"

    def scoped(self) -> QuerySet:
        return self.model._default_manager.all()

    def get_queryset(self):
        return self.scoped()

    def after_delete_url(self, obj) -> str:
        return reverse(self.list_url_name) if self.list_url_name else self.record_page(obj)

    def back_url(self, obj) -> str:
        return self.record_page(obj)

    def get_success_url(self):
        return self.after_delete_url(self.object)

    def collect(self):
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect([self.object])
        labels = _labels(
            [obj for objs in collector.model_objs.values() for obj in objs]
            + list(collector.protected)
        )

        def label(obj) -> str:
            return labels.get((type(obj), obj.pk)) or f"{capfirst(obj._meta.verbose_name)}: {obj}"

        nested = collector.nested(label)
        # The first entry is the record itself; what follows it is what goes with it.
        affected = nested[1] if len(nested) > 1 and isinstance(nested[1], list) else []
        counts = {
            capfirst(model._meta.verbose_name_plural): len(objs)
            for model, objs in collector.model_objs.items()
            if model is not self.model or len(objs) > 1
        }
        protected = sorted(label(obj) for obj in collector.protected)
        return _flatten(affected), counts, protected

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        affected, counts, protected = self.collect()
        context.update(
            affected=affected[:200],
            affected_more=max(0, len(affected) - 200),
            counts=counts,
            protected=protected,
            back_url=self.back_url(self.object),
            noun=self.model._meta.verbose_name,
        )
        return context

    def form_valid(self, form):
        label = str(self.object)
        success_url = self.get_success_url()
        try:
            self.object.delete()
        except (ProtectedError, RestrictedError) as error:
            names = sorted({str(obj) for obj in error.protected_objects if obj is not None})[:10]
            messages.error(
                self.request,
                _("%(record)s was not deleted: other records still refer to it (%(names)s).")
                % {"record": label, "names": ", ".join(names)},
            )
            return redirect(self.back_url(self.object))
        messages.success(self.request, _("Deleted %s.") % label)
        return redirect(success_url)


def _labels(objects) -> dict[tuple[type, Any], str]:
    """ "Country: France"-style labels, each model's rows read again with what their names need
    joined in: one query per kind of record, however many records a delete touches."""
    by_model: dict[type, set] = {}
    for obj in objects:
        by_model.setdefault(type(obj), set()).add(obj.pk)
    labels = {}
    for model, pks in by_model.items():
        joins = [f.name for f in model._meta.concrete_fields if f.is_relation]
        noun = capfirst(model._meta.verbose_name)
        for obj in model._base_manager.select_related(*joins).filter(pk__in=pks):
            labels[(model, obj.pk)] = f"{noun}: {obj}"
    return labels


# Indented by a class per level (portal.css `.depth-N`; the CSP allows no inline styles), so
# deeper levels share the last one.
DEEPEST_INDENT = 5


def _flatten(nested, depth: int = 0) -> list[tuple[int, str]]:
    flat = []
    for item in nested:
        if isinstance(item, list):
            flat.extend(_flatten(item, depth + 1))
        else:
            flat.append((min(depth, DEEPEST_INDENT), item))
    return flat


# --- History ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Version:
    when: dt.datetime
    who: str
    kind: str
    reason: str
    changes: list[Change]


HISTORY_KINDS = {
    "+": gettext_lazy("created"),
    "~": gettext_lazy("changed"),
    "-": gettext_lazy("deleted"),
}


class PortalHistoryView(RecordPages, PolicyMixin, DetailView):
    """Who changed what and when: each version against the one before it."""

    policy = staticmethod(can_edit_records)
    template_name = "portal/history.html"

    def scoped(self) -> QuerySet:
        return self.model._default_manager.all()

    def get_queryset(self):
        return self.scoped()

    def back_url(self, obj) -> str:
        return self.record_page(obj)

    def versions(self) -> list[Version]:
        records = list(
            self.object.history.select_related("history_user").order_by("history_date", "pk")
        )
        model = self.model
        labels = {f.attname: capfirst(f.verbose_name) for f in model._meta.concrete_fields}
        labels.update({f.name: capfirst(f.verbose_name) for f in model._meta.concrete_fields})
        names = _related_names(model, records)
        versions = []
        previous = None
        for record in records:
            changes = []
            if previous is not None:
                delta = record.diff_against(previous, foreign_keys_are_objs=False)
                for change in delta.changes:
                    field = model._meta.get_field(change.field)
                    changes.append(
                        Change(
                            labels.get(change.field, change.field),
                            _history_value(field, change.old, names),
                            _history_value(field, change.new, names),
                        )
                    )
            user = record.history_user
            versions.append(
                Version(
                    when=record.history_date,
                    who=(user.get_full_name() or user.username) if user else _("the system"),
                    kind=str(HISTORY_KINDS.get(record.history_type, record.history_type)),
                    reason=record.history_change_reason or "",
                    changes=changes,
                )
            )
            previous = record
        return list(reversed(versions))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["versions"] = self.versions()
        context["back_url"] = self.back_url(self.object)
        context["noun"] = self.model._meta.verbose_name
        return context


def _related_names(model, records) -> dict[tuple[type, Any], str]:
    """The current name of every record a foreign key of the history points to: one query per
    foreign key of the model, however long the history."""
    names = {}
    for field in model._meta.concrete_fields:
        if not field.is_relation:
            continue
        ids = {getattr(r, field.attname) for r in records} - {None}
        if not ids:
            continue
        related = field.related_model
        for obj in related._default_manager.filter(pk__in=ids):
            names[(related, obj.pk)] = str(obj)
    return names


def _history_value(field, value, names) -> str:
    if field.is_relation and value is not None:
        return names.get((field.related_model, value), f"#{value}")
    if field.choices and value is not None:
        return str(dict(field.flatchoices).get(value, value))
    return display(value)


def not_found(request, exception):
    """API clients get JSON for any unknown /api/ address; people get the portal's page."""
    if request.path.startswith("/api/"):
        return api_not_found(request)
    return page_not_found(request, exception)


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    # Exempt from the CSRF check: it changes nothing, and a DELETE to an unknown /api/ address
    # would otherwise be refused with Django's HTML 403 page (found by schemathesis), not a 404.
    return JsonResponse({"detail": "Not found."}, status=404)
