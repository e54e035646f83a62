"""Pages for CBMs, the names they carried and their lead and supporting countries."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from conferences.models import Meeting
from hoa_portal.views import (
    Column,
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
    is_secretariat,
)

from ...models import (
    CBM,
    CBMName,
    CBMRole,
    ImplementationPlanVersion,
    PlanStatus,
    RoleKind,
)
from ..forms import (
    CBMCreateForm,
    CBMForm,
    CBMNameForm,
    CBMRoleEndForm,
    CBMRoleForm,
)
from ..permissions import (
    led_cbm_ids,
)
from ..resources import CBMRoleResource
from .inline import ROLES_BLOCK, Block, InlineFormMixin, asks_for

# --- CBMs ---------------------------------------------------------------------------------------


def _parties(cbm, role: str, *, on: dt.date) -> list:
    return [
        r.party
        for r in cbm.roles.all()
        if r.role == role and r.since <= on and (r.until is None or r.until >= on)
    ]


def party_names(parties) -> str:
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
            lambda c: party_names(_parties(c, RoleKind.LEAD, on=timezone.localdate())),
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


def cbm_page(obj) -> str:
    return reverse("cbms:cbm_detail", args=[obj.pk])


class CBMPages:
    """The model and the page to go back to, for every view of a CBM."""

    model = CBM
    page_url_name = "cbms:cbm_detail"


class CBMCreate(CBMPages, PortalCreateView):
    form_class = CBMCreateForm
    cancel_url_name = "cbms:cbm_list"


class CBMUpdate(CBMPages, PortalUpdateView):
    form_class = CBMForm


class CBMDelete(CBMPages, PortalDeleteView):
    list_url_name = "cbms:cbm_list"


class CBMHistoryView(CBMPages, PortalHistoryView):
    pass


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
    import_resource = CBMRoleResource
    import_kind = "cbm-roles"
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
    page_url_name = "cbms:cbm_detail"
    page_of = "cbm_id"

    def inline_id(self) -> str:
        return "cbm-role-add"

    def page_url(self) -> str:
        return cbm_page(self.get_parent())


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
    page_url_name = "cbms:cbm_detail"
    page_of = "cbm_id"


class RoleEnd(RoleScoped, RoleRow, InlineFormMixin, PortalUpdateView):
    """End a role on a day: it stays on record, with its last day."""

    form_class = CBMRoleEndForm
    page_url_name = "cbms:cbm_detail"
    page_of = "cbm_id"

    def get_initial(self):
        return {"until": self.object.until or timezone.localdate()}

    def heading(self) -> str:
        return _("End: %(role)s") % {"role": self.object}


class RoleDelete(RoleScoped, PortalDeleteView):
    page_url_name = "cbms:cbm_detail"
    page_of = "cbm_id"


class RoleHistory(RoleScoped, PortalHistoryView):
    page_url_name = "cbms:cbm_detail"
    page_of = "cbm_id"
