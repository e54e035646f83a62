"""Pages for CBMs, their roles and implementation plans; the compliance dashboard; a focal
point's "my country"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import django_filters
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, ProtectedError, RestrictedError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from django_htmx.http import reswap, retarget

from conferences.models import Meeting, MeetingKind, MinisterialConference
from hoa_portal.views import (
    Column,
    PolicyMixin,
    PortalCreateView,
    PortalDeleteView,
    PortalDetailView,
    PortalHistoryView,
    PortalListView,
    PortalUpdateView,
)
from members.models import Country
from members.permissions import (
    can_edit_records,
    can_see_compliance,
    is_focal_point,
    is_secretariat,
)

from . import compliance
from .forms import (
    ActivityForm,
    CBMCreateForm,
    CBMForm,
    CBMNameForm,
    CBMRoleEndForm,
    CBMRoleForm,
    DashboardFilterForm,
    PlanPublishForm,
    PlanVersionForm,
    PriorityAreaForm,
)
from .models import (
    CBM,
    Activity,
    CBMName,
    CBMRole,
    ImplementationPlanVersion,
    ObligationStatus,
    PlanStatus,
    PriorityArea,
    RoleKind,
)
from .models.plans import PLAN_FROZEN
from .permissions import (
    can_derive_plan_version,
    can_edit_plan_content,
    can_publish_plan,
    led_cbm_ids,
)
from .services import (
    PLAN_NOT_DRAFT,
    CBMHistory,
    Timeline,
    cbm_compliance,
    cbm_histories_read,
    plan_version_derive,
    plan_version_publish,
    timeline_read,
)

# --- Rows edited in place (htmx) ----------------------------------------------------------------
#
# A row's Edit, Delete or Add link is a plain link to the form page, which saves and redirects
# back: that is the page without JavaScript. With htmx, the same URL answers with the row's form
# (or its delete question) in place of the row; once saved, with the part of the page the row
# belongs to, re-rendered (so the order and the numbering stay right), and a status message out
# of band. Refused input comes back as the row's form with the errors and what was typed.

PLAN_BLOCK = "plan-body"
ROLES_BLOCK = "cbm-roles"


def is_inline(request) -> bool:
    """An htmx request from a row of a page (a boosted link wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def asks_for(request, dom_id: str) -> bool:
    """An htmx request for one part of a page only (a Cancel puts that part back as it was)."""
    return is_inline(request) and request.htmx.target == dom_id


@dataclass(frozen=True)
class Block:
    """A part of a page, by its element id, as HTML."""

    dom_id: str
    html: str


def inline_done(request, block: Block, message: str) -> HttpResponse:
    """The part of the page a row belongs to, re-rendered in place of the form that changed it,
    and a message in the page's status region."""
    status = render_to_string(
        "portal/_inline_status.html", {"message": message, "oob": True}, request=request
    )
    response = HttpResponse(block.html + status)
    return reswap(retarget(response, f"#{block.dom_id}"), "outerHTML")


class InlineRowMixin:
    inline_tag = "div"  # the element the form takes the place of: a list item, a div
    inline_class = ""
    block_id = ""

    def inline_id(self) -> str:
        raise NotImplementedError

    def page_url(self) -> str:
        """The page the row is on: where Cancel goes, with or without JavaScript."""
        raise NotImplementedError

    def block(self, obj) -> Block:
        raise NotImplementedError

    def inline_context(self) -> dict:
        return {
            "inline_id": self.inline_id(),
            "inline_tag": self.inline_tag,
            "inline_class": self.inline_class,
            "form_action": self.request.path,
            "cancel_url": self.page_url(),
            "cancel_target": f"#{self.block_id}",
        }


class InlineFormMixin(InlineRowMixin):
    """A create or update view that also answers htmx with the row's form."""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if is_inline(self.request):
            # Several forms may be open on one page: their fields' ids must differ.
            kwargs["auto_id"] = f"id_{self.inline_id()}_%s"
        return kwargs

    def render_to_response(self, context, **response_kwargs):
        if not is_inline(self.request):
            return super().render_to_response(context, **response_kwargs)
        form = context["form"]
        first = next((n for n in form.fields if n in form.errors), next(iter(form.fields), None))
        if first is not None:
            form.fields[first].widget.attrs["autofocus"] = True
        context.update(self.inline_context())
        return TemplateResponse(self.request, "portal/_inline_form.html", context)

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = form.save()
        except IntegrityError:
            # A constraint no validator foresaw (two people saving at once): refused, not a 500.
            form.add_error(
                None, _("This change conflicts with the records already stored: please retry.")
            )
            return self.form_invalid(form)
        message = self.success_message or _("Saved %s.") % self.object
        if is_inline(self.request):
            return inline_done(self.request, self.block(self.object), message)
        messages.success(self.request, message)
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        if is_inline(self.request):
            return self.render_to_response(self.get_context_data(form=form))
        return super().form_invalid(form)


class InlineDeleteMixin(InlineRowMixin):
    """A delete view that also answers htmx: the question in the row, then the row gone."""

    def get(self, request, *args, **kwargs):
        if not is_inline(request):
            return super().get(request, *args, **kwargs)
        self.object = self.get_object()
        return self.inline_question()

    def inline_question(self, error: str = "") -> TemplateResponse:
        context = self.get_context_data(object=self.object)
        context.update(self.inline_context(), error=error)
        return TemplateResponse(self.request, "portal/_inline_delete.html", context)

    def form_valid(self, form):
        if not is_inline(self.request):
            return super().form_valid(form)
        label = str(self.object)
        try:
            with transaction.atomic():
                self.object.delete()
        except (ProtectedError, RestrictedError):
            return self.inline_question(
                error=_("%(record)s was not deleted: other records still refer to it.")
                % {"record": label}
            )
        return inline_done(self.request, self.block(self.object), _("Deleted %s.") % label)


# --- CBMs ---------------------------------------------------------------------------------------


def _parties(cbm, role: str, *, on: dt.date) -> list:
    return [
        r.party
        for r in cbm.roles.all()
        if r.role == role and r.since <= on and (r.until is None or r.until >= on)
    ]


def _names(parties) -> str:
    return ", ".join(str(getattr(p, "code", None) or p) for p in parties)


class CBMFilter(django_filters.FilterSet):
    lead = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Led by"),
        queryset=Country.objects.filter(cbm_roles__role=RoleKind.LEAD).distinct(),
        method="filter_lead",
        empty_label=gettext_lazy("any"),
    )
    supporter = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Supported by"),
        queryset=Country.objects.filter(cbm_roles__role=RoleKind.SUPPORTING).distinct(),
        method="filter_supporter",
        empty_label=gettext_lazy("any"),
    )

    class Meta:
        model = CBM
        fields = ["lead", "supporter"]

    def _current(self, role: str, country):
        return CBMRole.objects.current_on(timezone.localdate()).filter(role=role, country=country)

    def filter_lead(self, queryset, name, value):
        return queryset.filter(pk__in=self._current(RoleKind.LEAD, value).values("cbm_id"))

    def filter_supporter(self, queryset, name, value):
        return queryset.filter(pk__in=self._current(RoleKind.SUPPORTING, value).values("cbm_id"))


class CBMList(PortalListView):
    model = CBM
    title = gettext_lazy("Confidence Building Measures")
    intro = gettext_lazy(
        "Each CBM has lead countries, which convene its Regional Technical Group meetings, "
        "supporting countries and organizations, and an implementation plan."
    )
    filterset_class = CBMFilter
    search_fields = ["code", "name", "names__name", "names__code"]
    default_sort = "code"
    detail_url_name = "cbms:cbm_detail"
    create_url_name = "cbms:cbm_create"
    csv_filename = "cbms"
    columns = [
        Column("code", gettext_lazy("Code"), "code", sort="code", link=True),
        Column("name", gettext_lazy("Name"), "name", sort="name"),
        Column("approved_on", gettext_lazy("Approved on"), "approved_on", sort="approved_on"),
        Column(
            "leads",
            gettext_lazy("Lead countries"),
            lambda c: _names(_parties(c, RoleKind.LEAD, on=timezone.localdate())),
        ),
        Column(
            "supporting",
            gettext_lazy("Supporters"),
            lambda c: len(_parties(c, RoleKind.SUPPORTING, on=timezone.localdate())) or None,
        ),
    ]

    def base_queryset(self):
        return CBM.objects.with_parties().distinct()


def visible_plans(user):
    """Drafts are the secretariat's; everyone else reads plans in force or superseded."""
    plans = ImplementationPlanVersion.objects.all()
    return plans if is_secretariat(user) else plans.exclude(status=PlanStatus.DRAFT)


def _roles_prefetch() -> Prefetch:
    return Prefetch("roles", queryset=CBMRole.objects.select_related("country", "organization"))


def roles_context(cbm: CBM, user) -> dict:
    """What the roles section of a CBM's page and its "Led by" line show."""
    today = timezone.localdate()
    roles = list(cbm.roles.all())
    return {
        "object": cbm,
        "today": today,
        "leads": [r for r in roles if r.role == RoleKind.LEAD],
        "supporters": [r for r in roles if r.role == RoleKind.SUPPORTING],
        "current_leads": _parties(cbm, RoleKind.LEAD, on=today),
        "can_edit": can_edit_records(user),
    }


def roles_block(request, cbm_id: int, *, focus_role: int | None = None) -> Block:
    """The roles section, and, out of band, the "Led by" line a change of lead alters."""
    cbm = get_object_or_404(CBM.objects.prefetch_related(_roles_prefetch()), pk=cbm_id)
    context = {**roles_context(cbm, request.user), "focus_role": focus_role, "oob": True}
    html = render_to_string("cbms/_roles_block.html", context, request=request)
    html += render_to_string("cbms/_leads.html", context, request=request)
    return Block(ROLES_BLOCK, html)


class CBMDetail(PortalDetailView):
    model = CBM
    template_name = "cbms/cbm_detail.html"

    def get(self, request, *args, **kwargs):
        if asks_for(request, ROLES_BLOCK):
            return HttpResponse(roles_block(request, kwargs["pk"]).html)
        return super().get(request, *args, **kwargs)

    def visible(self):
        user = self.request.user
        plans = visible_plans(user).prefetch_related("priority_areas__activities")
        meetings = Meeting.objects.visible_to(user).select_related("host").order_by("-date")
        return CBM.objects.select_related("approved_at", "desk_officer").prefetch_related(
            _roles_prefetch(),
            Prefetch("names", queryset=CBMName.objects.select_related("decided_at__host")),
            Prefetch("plan_versions", queryset=plans.order_by("-version")),
            Prefetch("meetings", queryset=meetings, to_attr="visible_meetings"),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cbm, user = self.object, self.request.user
        plans = list(cbm.plan_versions.all())
        names = list(cbm.names.all())
        context.update(
            roles_context(cbm, user),
            plans=plans,
            current_plan=next((p for p in plans if p.status == PlanStatus.IN_FORCE), None),
            meetings=cbm.visible_meetings,
            names=names,
            # "Formerly known as": the names the CBM carried before its present one.
            former_names=[n for n in names if n.code != cbm.code or n.name != cbm.name],
            can_record_rtg=is_secretariat(user) or cbm.pk in led_cbm_ids(user),
            show_desk_officer=can_see_compliance(user),
        )
        return context


def _cbm_page(obj) -> str:
    return reverse("cbms:cbm_detail", args=[obj.pk])


class CBMCreate(PortalCreateView):
    model = CBM
    form_class = CBMCreateForm
    cancel_url_name = "cbms:cbm_list"

    def success_target(self, obj):
        return _cbm_page(obj)


class CBMUpdate(PortalUpdateView):
    model = CBM
    form_class = CBMForm

    def success_target(self, obj):
        return _cbm_page(obj)


class CBMDelete(PortalDeleteView):
    model = CBM

    def after_delete_url(self, obj):
        return reverse("cbms:cbm_list")

    def back_url(self, obj):
        return _cbm_page(obj)


class CBMHistoryView(PortalHistoryView):
    model = CBM

    def back_url(self, obj):
        return _cbm_page(obj)


# --- Names a CBM carried ------------------------------------------------------------------------


def _names_section(obj) -> str:
    return reverse("cbms:cbm_detail", args=[obj.cbm_id]) + "#names"


class NameCreate(PortalCreateView):
    model = CBMName
    form_class = CBMNameForm
    parent_model = CBM
    parent_field = "cbm"

    def heading(self) -> str:
        return _("A name of %(cbm)s") % {"cbm": self.get_parent()}

    def success_target(self, obj):
        return _names_section(obj)


class NameScoped:
    model = CBMName

    def scoped(self):
        return CBMName.objects.select_related("cbm")


class NameUpdate(NameScoped, PortalUpdateView):
    form_class = CBMNameForm

    def heading(self) -> str:
        return _("Edit the name %(name)s of %(cbm)s") % {
            "name": self.object,
            "cbm": self.object.cbm.code,
        }

    def success_target(self, obj):
        return _names_section(obj)


class NameDelete(NameScoped, PortalDeleteView):
    def after_delete_url(self, obj):
        return _names_section(obj)

    def back_url(self, obj):
        return _names_section(obj)


class NameHistory(NameScoped, PortalHistoryView):
    def back_url(self, obj):
        return _names_section(obj)


# --- Roles --------------------------------------------------------------------------------------


class RoleFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(
        label=gettext_lazy("Role"), choices=RoleKind.choices, empty_label=gettext_lazy("any")
    )
    cbm = django_filters.ModelChoiceFilter(
        label=gettext_lazy("CBM"),
        queryset=CBM.objects.order_by("code"),
        empty_label=gettext_lazy("any"),
    )

    class Meta:
        model = CBMRole
        fields = ["role", "cbm"]


def _role_page(obj) -> str:
    return reverse("cbms:cbm_detail", args=[obj.cbm_id])


class RoleList(PortalListView):
    model = CBMRole
    title = gettext_lazy("Lead and supporting roles")
    intro = gettext_lazy("Which country or organization leads or supports which CBM, and when.")
    filterset_class = RoleFilter
    search_fields = ["cbm__code", "country__name", "country__code", "organization__acronym"]
    default_sort = "cbm"
    csv_filename = "cbm-roles"
    columns = [
        Column("cbm", gettext_lazy("CBM"), "cbm.code", sort="cbm__code", link=True),
        Column("party", gettext_lazy("Country or organization"), "party"),
        Column("role", gettext_lazy("Role"), "role", sort="role"),
        Column("since", gettext_lazy("Since"), "since", sort="since"),
        Column("until", gettext_lazy("Until"), "until", sort="until"),
    ]

    def base_queryset(self):
        return CBMRole.objects.select_related("cbm", "country", "organization")

    def detail_url(self, obj):
        return _role_page(obj)


class RoleInline:
    block_id = ROLES_BLOCK

    def block(self, obj) -> Block:
        return roles_block(self.request, obj.cbm_id, focus_role=obj.pk)


class RoleCreate(RoleInline, InlineFormMixin, PortalCreateView):
    model = CBMRole
    form_class = CBMRoleForm
    parent_model = CBM
    parent_field = "cbm"

    def inline_id(self) -> str:
        return "cbm-role-add"

    def page_url(self) -> str:
        return _cbm_page(self.get_parent())

    def success_target(self, obj):
        return _role_page(obj)


class RoleScoped:
    model = CBMRole

    def scoped(self):
        return CBMRole.objects.select_related("cbm", "country", "organization")


class RoleRow(RoleInline):
    inline_tag = "li"
    inline_class = "list-group-item"

    def inline_id(self) -> str:
        return f"role-{self.object.pk}"

    def page_url(self) -> str:
        return _role_page(self.object)


class RoleUpdate(RoleScoped, RoleRow, InlineFormMixin, PortalUpdateView):
    form_class = CBMRoleForm

    def success_target(self, obj):
        return _role_page(obj)


class RoleEnd(RoleScoped, RoleRow, InlineFormMixin, PortalUpdateView):
    """End a role on a day: it stays on record, with its last day."""

    form_class = CBMRoleEndForm

    def get_initial(self):
        return {"until": self.object.until or timezone.localdate()}

    def heading(self) -> str:
        return _("End: %(role)s") % {"role": self.object}

    def success_target(self, obj):
        return _role_page(obj)


class RoleDelete(RoleScoped, PortalDeleteView):
    def after_delete_url(self, obj):
        return _role_page(obj)

    def back_url(self, obj):
        return _role_page(obj)


class RoleHistory(RoleScoped, PortalHistoryView):
    def back_url(self, obj):
        return _role_page(obj)


# --- Implementation plans, priority areas, activities -------------------------------------------


def _plan_page(plan_id: int) -> str:
    return reverse("cbms:plan_detail", args=[plan_id])


class PlanFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=PlanStatus.choices, empty_label=gettext_lazy("any")
    )
    cbm = django_filters.ModelChoiceFilter(
        label=gettext_lazy("CBM"),
        queryset=CBM.objects.order_by("code"),
        empty_label=gettext_lazy("any"),
    )

    class Meta:
        model = ImplementationPlanVersion
        fields = ["status", "cbm"]


class PlanList(PortalListView):
    model = ImplementationPlanVersion
    title = gettext_lazy("Implementation plans")
    intro = gettext_lazy(
        "Every version of each CBM's Implementation Plan; a revision supersedes the earlier "
        "version without erasing it."
    )
    filterset_class = PlanFilter
    search_fields = ["cbm__code", "title", "notes"]
    default_sort = "cbm"
    detail_url_name = "cbms:plan_detail"
    csv_filename = "implementation-plans"
    columns = [
        Column("cbm", gettext_lazy("CBM"), "cbm.code", sort="cbm__code"),
        Column("version", gettext_lazy("Version"), "version", sort="version"),
        Column("title", gettext_lazy("Title"), "title", sort="title", link=True),
        Column("status", gettext_lazy("Status"), "status", sort="status"),
        Column("adopted_on", gettext_lazy("Adopted on"), "adopted_on", sort="adopted_on"),
    ]

    def base_queryset(self):
        return visible_plans(self.request.user).select_related("cbm")


def plan_block(request, plan_id: int, **focus) -> Block:
    """A plan's priority areas and activities, as its page shows them to this user: with the
    Edit, Delete and Add links while it is a draft, for the secretariat."""
    plans = visible_plans(request.user).prefetch_related("priority_areas__activities")
    plan = get_object_or_404(plans, pk=plan_id)
    context = {
        "plan": plan,
        "manage": can_edit_plan_content(request.user, plan),
        "history": can_edit_records(request.user),
        **focus,
    }
    return Block(PLAN_BLOCK, render_to_string("cbms/_plan_block.html", context, request=request))


def frozen_message(plan: ImplementationPlanVersion) -> str:
    return PLAN_FROZEN % {"version": plan.version, "status": plan.get_status_display()}


class FrozenPlanGuard:
    """The priority areas and activities of a published version are frozen: their add, edit
    and delete forms refuse, shown or posted, and change nothing.

    Asked after the role (PolicyMixin): whoever may not edit at all is refused as before. Without
    htmx the answer is a 403 page saying why, with the way to change the plan; with htmx, the
    plan's part of the page comes back as it now is (no Edit links) with the reason beside it.
    """

    def guarded_plan(self) -> ImplementationPlanVersion:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return self.refusal() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.refusal() or super().post(request, *args, **kwargs)

    def get_object(self, queryset=None):
        # Read once: the guard and the view share it.
        if queryset is not None:
            return super().get_object(queryset)
        if not hasattr(self, "_guarded_object"):
            self._guarded_object = super().get_object()
        return self._guarded_object

    def refusal(self) -> HttpResponse | None:
        plan = self.guarded_plan()
        if can_edit_plan_content(self.request.user, plan):
            return None
        message = frozen_message(plan)
        if is_inline(self.request):
            status = render_to_string(
                "cbms/_plan_refused_status.html", {"message": message}, request=self.request
            )
            response = HttpResponse(plan_block(self.request, plan.pk).html + status)
            return reswap(retarget(response, f"#{PLAN_BLOCK}"), "outerHTML")
        context = {
            "plan": plan,
            "message": message,
            "can_derive": can_derive_plan_version(self.request.user, plan),
        }
        return TemplateResponse(self.request, "cbms/plan_frozen.html", context, status=403)


class PlanDetail(PortalDetailView):
    model = ImplementationPlanVersion
    template_name = "cbms/plan_detail.html"

    def get(self, request, *args, **kwargs):
        if asks_for(request, PLAN_BLOCK):
            return HttpResponse(plan_block(request, kwargs["pk"]).html)
        return super().get(request, *args, **kwargs)

    def visible(self):
        return (
            visible_plans(self.request.user)
            .select_related("cbm")
            .prefetch_related("priority_areas__activities")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan, user = self.object, self.request.user
        context.update(
            can_edit_content=can_edit_plan_content(user, plan),
            can_publish=can_publish_plan(user, plan),
            can_derive=can_derive_plan_version(user, plan),
        )
        return context


class PlanDerive(PolicyMixin, View):
    """A new draft version, a copy of this one (POST): the way to change a published plan."""

    policy = staticmethod(can_edit_records)

    def post(self, request, pk: int):
        plan = get_object_or_404(visible_plans(request.user).select_related("cbm"), pk=pk)
        draft = plan_version_derive(plan=plan, actor=request.user)
        messages.success(
            request,
            _(
                "Version %(draft)s is a new draft, a copy of version %(source)s: edit it, then "
                "publish it."
            )
            % {"draft": draft.version, "source": plan.version},
        )
        return redirect(_plan_page(draft.pk))


class PlanPublish(PolicyMixin, FormView):
    """Put a draft in force: the version in force, if any, is superseded in the same step."""

    policy = staticmethod(can_edit_records)
    form_class = PlanPublishForm
    template_name = "cbms/plan_publish.html"

    @cached_property
    def plan(self) -> ImplementationPlanVersion:
        plans = visible_plans(self.request.user).select_related("cbm")
        return get_object_or_404(plans, pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        if not can_publish_plan(request.user, self.plan):
            messages.error(request, PLAN_NOT_DRAFT)
            return redirect(_plan_page(self.plan.pk))
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        return {"adopted_on": timezone.localdate()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            plan=self.plan,
            in_force=self.plan.cbm.plan_versions.filter(status=PlanStatus.IN_FORCE)
            .exclude(pk=self.plan.pk)
            .first(),
            areas=self.plan.priority_areas.count(),
            activities=Activity.objects.filter(priority_area__plan=self.plan).count(),
            cancel_url=_plan_page(self.plan.pk),
        )
        return context

    def form_valid(self, form):
        try:
            plan = plan_version_publish(
                plan=self.plan,
                actor=self.request.user,
                adopted_on=form.cleaned_data["adopted_on"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Version %(version)s is in force; its content is now frozen.")
            % {"version": plan.version},
        )
        return redirect(_plan_page(plan.pk))

    def form_invalid(self, form):
        messages.error(self.request, _("Nothing was published: please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PlanCreate(PortalCreateView):
    model = ImplementationPlanVersion
    form_class = PlanVersionForm
    parent_model = CBM
    parent_field = "cbm"

    def get_initial(self):
        versions = [p.version for p in self.get_parent().plan_versions.all()]
        return {"version": max(versions, default=0) + 1}

    def success_target(self, obj):
        return _plan_page(obj.pk) if obj.pk else _cbm_page(obj.cbm)


class PlanScoped:
    model = ImplementationPlanVersion

    def scoped(self):
        return ImplementationPlanVersion.objects.select_related("cbm")


class PlanUpdate(PlanScoped, PortalUpdateView):
    form_class = PlanVersionForm

    def success_target(self, obj):
        return _plan_page(obj.pk)


class PlanDelete(PlanScoped, PortalDeleteView):
    def after_delete_url(self, obj):
        return _cbm_page(obj.cbm)

    def back_url(self, obj):
        return _plan_page(obj.pk)


class PlanHistory(PlanScoped, PortalHistoryView):
    def back_url(self, obj):
        return _plan_page(obj.pk)


class AreaList(PortalListView):
    model = PriorityArea
    title = gettext_lazy("Priority areas")
    intro = gettext_lazy("The priority areas of every implementation plan version.")
    search_fields = ["title", "plan__cbm__code"]
    default_sort = "plan"
    csv_filename = "priority-areas"
    columns = [
        Column("cbm", gettext_lazy("CBM"), "plan.cbm.code", sort="plan__cbm__code"),
        Column("plan", gettext_lazy("Plan version"), "plan.version", sort="plan__version"),
        Column("number", gettext_lazy("No."), "number", sort="number"),
        Column("title", gettext_lazy("Title"), "title", sort="title", link=True),
    ]

    def base_queryset(self):
        plans = visible_plans(self.request.user)
        return PriorityArea.objects.filter(plan__in=plans).select_related("plan__cbm")

    def detail_url(self, obj):
        return _plan_page(obj.plan_id)


class AreaInline:
    block_id = PLAN_BLOCK

    def block(self, obj) -> Block:
        return plan_block(self.request, obj.plan_id, focus_area=obj.pk)


class AreaCreate(FrozenPlanGuard, AreaInline, InlineFormMixin, PortalCreateView):
    model = PriorityArea
    form_class = PriorityAreaForm
    parent_model = ImplementationPlanVersion
    parent_field = "plan"

    def guarded_plan(self):
        return self.get_parent()

    def get_initial(self):
        numbers = [a.number for a in self.get_parent().priority_areas.all()]
        return {"number": max(numbers, default=0) + 1}

    def inline_id(self) -> str:
        return "plan-area-add"

    def page_url(self) -> str:
        return _plan_page(self.get_parent().pk)

    def success_target(self, obj):
        return _plan_page(obj.plan_id)


class AreaScoped:
    model = PriorityArea

    def scoped(self):
        return PriorityArea.objects.select_related("plan__cbm")


class AreaRow(FrozenPlanGuard, AreaInline):
    def guarded_plan(self):
        return self.get_object().plan

    def inline_id(self) -> str:
        return f"area-{self.object.pk}-head"

    def page_url(self) -> str:
        return _plan_page(self.object.plan_id)


class AreaUpdate(AreaScoped, AreaRow, InlineFormMixin, PortalUpdateView):
    form_class = PriorityAreaForm

    def success_target(self, obj):
        return _plan_page(obj.plan_id)


class AreaDelete(AreaScoped, AreaRow, InlineDeleteMixin, PortalDeleteView):
    def after_delete_url(self, obj):
        return _plan_page(obj.plan_id)

    def back_url(self, obj):
        return _plan_page(obj.plan_id)


class AreaHistory(AreaScoped, PortalHistoryView):
    def back_url(self, obj):
        return _plan_page(obj.plan_id)


class ActivityList(PortalListView):
    model = Activity
    title = gettext_lazy("Activities")
    intro = gettext_lazy("The projects and activities of every implementation plan version.")
    search_fields = ["title", "description", "priority_area__title"]
    default_sort = "area"
    csv_filename = "activities"
    columns = [
        Column(
            "cbm", gettext_lazy("CBM"), "priority_area.plan.cbm.code", sort="priority_area__plan"
        ),
        Column("area", gettext_lazy("Priority area"), "priority_area", sort="priority_area"),
        Column("number", gettext_lazy("No."), "number", sort="number"),
        Column("title", gettext_lazy("Title"), "title", sort="title", link=True),
    ]

    def base_queryset(self):
        plans = visible_plans(self.request.user)
        return Activity.objects.filter(priority_area__plan__in=plans).select_related(
            "priority_area__plan__cbm"
        )

    def detail_url(self, obj):
        return _plan_page(obj.priority_area.plan_id)


class ActivityInline:
    block_id = PLAN_BLOCK

    def block(self, obj) -> Block:
        return plan_block(self.request, obj.priority_area.plan_id, focus_activity=obj.pk)


class ActivityCreate(FrozenPlanGuard, ActivityInline, InlineFormMixin, PortalCreateView):
    model = Activity
    form_class = ActivityForm
    parent_model = PriorityArea
    parent_field = "priority_area"

    def parent_queryset(self):
        return PriorityArea.objects.select_related("plan")

    def guarded_plan(self):
        return self.get_parent().plan

    def get_initial(self):
        numbers = [a.number for a in self.get_parent().activities.all()]
        return {"number": max(numbers, default=0) + 1}

    def inline_id(self) -> str:
        return f"area-{self.get_parent().pk}-activity-add"

    def page_url(self) -> str:
        return _plan_page(self.get_parent().plan_id)

    def success_target(self, obj):
        return _plan_page(obj.priority_area.plan_id)


class ActivityScoped:
    model = Activity

    def scoped(self):
        return Activity.objects.select_related("priority_area__plan__cbm")


class ActivityRow(FrozenPlanGuard, ActivityInline):
    inline_tag = "li"

    def guarded_plan(self):
        return self.get_object().priority_area.plan

    def inline_id(self) -> str:
        return f"activity-{self.object.pk}"

    def page_url(self) -> str:
        return _plan_page(self.object.priority_area.plan_id)


class ActivityUpdate(ActivityScoped, ActivityRow, InlineFormMixin, PortalUpdateView):
    form_class = ActivityForm

    def success_target(self, obj):
        return _plan_page(obj.priority_area.plan_id)


class ActivityDelete(ActivityScoped, ActivityRow, InlineDeleteMixin, PortalDeleteView):
    def after_delete_url(self, obj):
        return _plan_page(obj.priority_area.plan_id)

    def back_url(self, obj):
        return _plan_page(obj.priority_area.plan_id)


class ActivityHistory(ActivityScoped, PortalHistoryView):
    def back_url(self, obj):
        return _plan_page(obj.priority_area.plan_id)


# --- Compliance: what the dashboard and "my country" show ----------------------------------------

STATUS_SYMBOLS = {
    "met": "✓",
    "late": "!",
    "scheduled": "◷",
    "open": "○",
    "at_risk": "⚠",
    "missed": "✗",
    "infeasible": "∅",
    "no_lead": "–",
    "not_in_force": "·",
}
STATUS_MEANINGS = {
    "met": gettext_lazy("an RTG was held within the window"),
    "late": gettext_lazy("no RTG in the window; one was held later in the same cycle"),
    "scheduled": gettext_lazy("the window is open and an RTG is planned within it"),
    "open": gettext_lazy("the window is open; nothing is held or planned yet"),
    "at_risk": gettext_lazy("the deadline is within 30 days and nothing is held or planned"),
    "missed": gettext_lazy("the window closed with no RTG held in it"),
    "infeasible": gettext_lazy("the cycle is too short for a review window"),
    "no_lead": gettext_lazy("no country led the CBM during the cycle"),
    "not_in_force": gettext_lazy("the cycle began before the RTG rule took effect"),
}
OPEN_STATUSES = {"open", "at_risk", "scheduled"}


def day(value: dt.date | None) -> str:
    return date_format(value, "j M Y") if value else "—"


@dataclass(frozen=True)
class StatusInfo:
    code: str
    label: str
    symbol: str
    meaning: str


def status_info(code: str) -> StatusInfo:
    return StatusInfo(
        code=code,
        label=str(ObligationStatus(code).label),
        symbol=STATUS_SYMBOLS[code],
        meaning=str(STATUS_MEANINGS[code]),
    )


def legend() -> list[StatusInfo]:
    return [status_info(code) for code in STATUS_SYMBOLS]


@dataclass
class ObligationView:
    cbm: CBM
    cycle: compliance.Cycle
    conference_label: str
    kind: str
    kind_label: str
    status: StatusInfo
    window_start: dt.date
    deadline: dt.date
    estimated: bool
    met_by: compliance.Meeting | None
    explanation: str
    days_left: int | None = None

    @property
    def anchor(self) -> str:
        return f"cbm-{self.cbm.pk}-mc-{self.cycle.conference}"


@dataclass
class CycleCell:
    cycle: compliance.Cycle
    prioritisation: ObligationView | None = None
    review: ObligationView | None = None


@dataclass
class CBMCompliance:
    cbm: CBM
    leads: str
    cells: list[CycleCell]
    obligations: list[ObligationView]
    annual: dict[int, compliance.AnnualCount]
    timeline: dict = field(default_factory=dict)


def _window_words(item, cycle: compliance.Cycle) -> str:
    if item.kind == compliance.Kind.PRIORITISATION:
        return _("between %(start)s and %(end)s") % {
            "start": day(item.window_start),
            "end": day(item.deadline),
        }
    return _("after %(start)s and by %(end)s") % {
        "start": day(item.window_start),
        "end": day(item.deadline),
    }


def explain(item, cycle: compliance.Cycle, meeting, rule_from: dt.date | None, on: dt.date) -> str:
    """One obligation's status in words, with its dates."""
    window = _window_words(item, cycle)
    status = item.status
    words = {
        "met": lambda: (
            _("met: RTG held on %(held)s, %(window)s.")
            % {"held": day(meeting.date), "window": window}
        ),
        "late": lambda: (
            _("late: no RTG held %(window)s; the RTG of %(held)s came after the window closed.")
            % {"held": day(meeting.date), "window": window}
        ),
        "scheduled": lambda: _("scheduled: an RTG is planned %(window)s.") % {"window": window},
        "open": lambda: (
            _("open: no RTG held or planned yet; the window runs %(window)s.") % {"window": window}
        ),
        "at_risk": lambda: (
            _(
                "at risk: the deadline, %(deadline)s, is %(days)s days away and no RTG is held or "
                "planned %(window)s."
            )
            % {"deadline": day(item.deadline), "days": (item.deadline - on).days, "window": window}
        ),
        "missed": lambda: _("missed: no RTG held %(window)s.") % {"window": window},
        "infeasible": lambda: (
            _(
                "infeasible: the cycle is too short; the review deadline, %(deadline)s, falls "
                "before the prioritisation window closes."
            )
            % {"deadline": day(item.deadline)}
        ),
        "no_lead": lambda: (
            _(
                "no lead: no country led the CBM between %(start)s and %(end)s, so no country owed "
                "this RTG."
            )
            % {"start": day(cycle.start), "end": day(cycle.end)}
        ),
        "not_in_force": lambda: (
            _(
                "not in force: the cycle began on %(start)s, before the RTG rule took effect on "
                "%(rule)s."
            )
            % {"start": day(cycle.start), "rule": day(rule_from)}
            if rule_from
            else _("not in force: no RTG rule is recorded.")
        ),
    }
    text = words[status]()
    if item.estimated:
        text += " " + _(
            "The next conference has no date yet: it is estimated at %(end)s, so the deadline is "
            "estimated."
        ) % {"end": day(cycle.end)}
    return text


def _conference_labels() -> dict[int, str]:
    labels = {}
    for number, city, year in MinisterialConference.objects.values_list("number", "city", "year"):
        labels[number] = f"MC{number} {city} {year}".replace("  ", " ")
    return labels


def compliance_for(
    cbms: list[CBM], *, on: dt.date, timeline: Timeline | None = None
) -> tuple[list[CBMCompliance], Timeline, dict[int, str]]:
    """Every given CBM's obligations and annual counts on `on`, in a number of queries that
    does not grow with the CBMs, the cycles or the meetings: the timeline is read once and the
    histories in one call."""
    timeline = timeline or timeline_read()
    labels = _conference_labels()
    histories: dict[int, CBMHistory] = {
        h.cbm_id: h for h in cbm_histories_read([c.pk for c in cbms])
    }
    results = []
    for cbm in cbms:
        history = histories[cbm.pk]
        result = cbm_compliance(history=history, timeline=timeline, on=on)
        meetings = {m.id: m for m in history.meetings}
        cycles = {c.conference: c for c in timeline.cycles}
        cells = {c.conference: CycleCell(c) for c in timeline.cycles}
        obligations = []
        for item in result.obligations:
            cycle = cycles[item.conference]
            meeting = meetings.get(item.met_by)
            view = ObligationView(
                cbm=cbm,
                cycle=cycle,
                conference_label=labels.get(item.conference, f"MC{item.conference}"),
                kind=item.kind,
                kind_label=(
                    _("prioritisation RTG")
                    if item.kind == compliance.Kind.PRIORITISATION
                    else _("review RTG")
                ),
                status=status_info(item.status),
                window_start=item.window_start,
                deadline=item.deadline,
                estimated=item.estimated,
                met_by=meeting,
                explanation=explain(item, cycle, meeting, timeline.rule_effective_from, on),
                days_left=(item.deadline - on).days,
            )
            obligations.append(view)
            setattr(cells[item.conference], str(item.kind), view)
        results.append(
            CBMCompliance(
                cbm=cbm,
                leads=_names(
                    dict.fromkeys(r.country for r in cbm.roles.all() if r.role == RoleKind.LEAD)
                ),
                cells=[cells[c.conference] for c in timeline.cycles],
                obligations=obligations,
                annual={count.year: count for count in result.annual},
                timeline=timeline_picture(cbm, obligations, history, on),
            )
        )
    return results, timeline, labels


# --- The timeline picture -----------------------------------------------------------------------

SVG_WIDTH = 1000
SVG_LEFT = 120
SVG_RIGHT = 20
LANES = {"prioritisation": 58, "review": 100, "rtg": 150}


def timeline_picture(cbm, obligations: list[ObligationView], history: CBMHistory, on) -> dict:
    """Coordinates for the server-rendered SVG: cycles' windows, RTGs, what each RTG met."""
    if not obligations:
        return {}
    meetings = sorted(history.meetings, key=lambda m: (m.date, m.id))
    start = min(o.cycle.start for o in obligations) - dt.timedelta(days=45)
    end = max([o.cycle.end for o in obligations] + [m.date for m in meetings])
    end += dt.timedelta(days=45)
    span = max((end - start).days, 1)

    def x(value: dt.date) -> float:
        return round(SVG_LEFT + (value - start).days * (SVG_WIDTH - SVG_LEFT - SVG_RIGHT) / span, 1)

    met_labels: dict[int, list[str]] = {}
    windows = []
    for o in obligations:
        letter = "P" if o.kind == compliance.Kind.PRIORITISATION else "R"
        x1, x2 = x(o.window_start), x(o.deadline)
        windows.append(
            {
                "x": x1,
                "width": max(x2 - x1, 3),
                "y": LANES[o.kind],
                "mid": round((x1 + x2) / 2, 1),
                "status": o.status,
                "title": f"{o.kind_label}, {o.conference_label}: {o.explanation}",
            }
        )
        if o.met_by is not None:
            met_labels.setdefault(o.met_by.id, []).append(f"{letter}{o.cycle.conference}")
    conferences = []
    for o in obligations:
        if o.kind == compliance.Kind.PRIORITISATION:
            conferences.append({"x": x(o.cycle.start), "label": f"MC{o.cycle.conference}"})
    last = max(obligations, key=lambda o: o.cycle.start).cycle
    conferences.append(
        {
            "x": x(last.end),
            "label": f"MC{last.conference + 1}" + ("?" if last.estimated else ""),
        }
    )
    rtgs = []
    for m in meetings:
        held = m.status == compliance.MeetingStatus.HELD and m.date <= on
        planned = not held and m.status != compliance.MeetingStatus.CANCELLED
        met = met_labels.get(m.id, [])
        kind = "held" if held else "planned" if planned else "cancelled"
        label = " ".join(met)
        rtgs.append(
            {
                "x": x(m.date),
                "kind": kind,
                "label": label,
                "title": _("RTG %(state)s on %(date)s%(met)s")
                % {
                    "state": {
                        "held": _("held"),
                        "planned": _("planned"),
                        "cancelled": _("cancelled"),
                    }[kind],
                    "date": day(m.date),
                    "met": (" — " + _("met %s") % ", ".join(met)) if met else "",
                },
            }
        )
    years = [
        {"x": x(dt.date(year, 1, 1)), "label": year} for year in range(start.year + 1, end.year + 1)
    ]
    today = x(on) if start <= on <= end else None
    return {
        "width": SVG_WIDTH,
        "height": 190,
        "left": SVG_LEFT,
        "right": SVG_WIDTH - SVG_RIGHT,
        "lanes": LANES,
        "windows": windows,
        "conferences": conferences,
        "rtgs": rtgs,
        "years": years,
        "today": today,
        "title": _("Timeline of %(code)s: windows of each cycle, RTGs, and what each RTG met")
        % {"code": cbm.code},
        "summary": _("%(held)s RTGs held, %(planned)s planned; %(met)s obligations met or late.")
        % {
            "held": sum(1 for r in rtgs if r["kind"] == "held"),
            "planned": sum(1 for r in rtgs if r["kind"] == "planned"),
            "met": sum(1 for o in obligations if o.status.code in ("met", "late")),
        },
    }


# --- The dashboard ------------------------------------------------------------------------------


def _cbms_with_leads():
    return CBM.objects.order_by("code").prefetch_related(
        Prefetch(
            "roles",
            queryset=CBMRole.objects.filter(role=RoleKind.LEAD).select_related("country"),
        )
    )


class ComplianceDashboard(PolicyMixin, TemplateView):
    """Every CBM × every conference cycle, coloured by obligation status and said in words."""

    policy = staticmethod(can_see_compliance)
    template_name = "cbms/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = DashboardFilterForm(self.request.GET or None)
        chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
        on = chosen.get("on") or timezone.localdate()
        cbms = list(_cbms_with_leads())
        if chosen.get("cbm"):
            cbms = [c for c in cbms if c.pk == chosen["cbm"].pk]
        if chosen.get("country"):
            country_id = chosen["country"].pk
            cbms = [c for c in cbms if any(r.country_id == country_id for r in c.roles.all())]
        rows, timeline, labels = compliance_for(cbms, on=on)
        # Cycles no CBM is bound to (before the first approval) would be empty columns.
        bound = [
            i
            for i, cycle in enumerate(timeline.cycles)
            if any(row.cells[i].prioritisation for row in rows)
        ]
        for row in rows:
            row.cells = [row.cells[i] for i in bound]
        years = sorted({year for row in rows for year in row.annual})
        context.update(
            form=form,
            on=on,
            rows=rows,
            cycles=[
                {"cycle": c, "label": labels.get(c.conference, f"MC{c.conference}")}
                for c in (timeline.cycles[i] for i in bound)
            ],
            years=years,
            annual_rows=[
                (row, [row.annual.get(year) for year in years]) for row in rows if row.annual
            ],
            legend=legend(),
            rule_from=timeline.rule_effective_from,
            filtered=bool(chosen.get("cbm") or chosen.get("country")),
        )
        return context


# --- My country ---------------------------------------------------------------------------------


class MyCountry(PolicyMixin, TemplateView):
    """A focal point's country: the CBMs it leads, their open obligations, their RTGs."""

    policy = staticmethod(is_focal_point)
    template_name = "cbms/my_country.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, today = self.request.user, timezone.localdate()
        led = led_cbm_ids(user)
        cbms = list(_cbms_with_leads().filter(pk__in=led))
        rows, _timeline, _labels = compliance_for(cbms, on=today)
        open_items = sorted(
            (o for row in rows for o in row.obligations if o.status.code in OPEN_STATUSES),
            key=lambda o: o.deadline,
        )
        recent = sorted(
            (
                o
                for row in rows
                for o in row.obligations
                if o.status.code in ("missed", "late") and o.deadline.year >= today.year - 2
            ),
            key=lambda o: o.deadline,
            reverse=True,
        )
        meetings = (
            Meeting.objects.filter(kind=MeetingKind.RTG, cbm__in=led)
            .select_related("cbm", "host")
            .order_by("-date")
        )
        context.update(
            country=user.country,
            today=today,
            rows=rows,
            open_items=open_items,
            recent=recent,
            meetings=meetings,
            legend=legend(),
        )
        return context
