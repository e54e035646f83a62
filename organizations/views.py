"""Pages for organizations and regional mechanisms, and countries' memberships of them."""

import django_filters
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from hoa_portal.views import (
    Column,
    PortalCreateView,
    PortalDeleteView,
    PortalDetailView,
    PortalHistoryView,
    PortalListView,
    PortalUpdateView,
)
from members.views import cbm_roles_by_code

from .forms import MembershipForm, OrganizationForm
from .models import Membership, MembershipStatus, Organization, OrganizationKind
from .resources import OrganizationResource


class OrganizationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=OrganizationKind.choices, empty_label=_("any")
    )
    supports_process = django_filters.BooleanFilter(
        label=_("Supports the process"),
        widget=BooleanWidget,  # made per page, so its choices are in the page's language
    )

    class Meta:
        model = Organization
        fields = ["kind", "supports_process"]


class OrganizationList(PortalListView):
    import_resource = OrganizationResource
    import_kind = "organizations"
    model = Organization
    title = _("Organizations")
    intro = _(
        "The organizations that support the process, and the regional mechanisms it works with."
    )
    filterset_class = OrganizationFilter
    search_fields = ["acronym", "name"]
    default_sort = "acronym"
    detail_url_name = "organizations:organization_detail"
    create_url_name = "organizations:organization_create"
    csv_filename = "organizations"
    columns = [
        Column("acronym", _("Acronym"), "acronym", sort="acronym", link=True),
        Column("name", _("Name"), "name", sort="name"),
        Column("kind", _("Kind"), "kind", sort="kind"),
        Column("supports_process", _("Supports the process"), "supports_process"),
    ]


class OrganizationDetail(PortalDetailView):
    model = Organization
    template_name = "organizations/organization_detail.html"

    def visible(self):
        return Organization.objects.prefetch_related(
            "memberships__country", cbm_roles_by_code(Organization)
        )


class OrganizationPages:
    """The model and the page to go back to, for every view of an organization."""

    model = Organization
    page_url_name = "organizations:organization_detail"


class OrganizationCreate(OrganizationPages, PortalCreateView):
    form_class = OrganizationForm
    cancel_url_name = "organizations:organization_list"


class OrganizationUpdate(OrganizationPages, PortalUpdateView):
    form_class = OrganizationForm


class OrganizationDelete(OrganizationPages, PortalDeleteView):
    list_url_name = "organizations:organization_list"


class OrganizationHistory(OrganizationPages, PortalHistoryView):
    pass


# --- Memberships --------------------------------------------------------------------------------


class MembershipFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=MembershipStatus.choices, empty_label=_("any")
    )

    class Meta:
        model = Membership
        fields = ["status"]


def _membership_page(obj) -> str:
    return reverse("organizations:organization_detail", args=[obj.organization_id])


class MembershipList(PortalListView):
    model = Membership
    title = _("Memberships and observer statuses")
    intro = _("Countries' standing in regional organizations and mechanisms.")
    filterset_class = MembershipFilter
    search_fields = ["organization__acronym", "organization__name", "country__name"]
    default_sort = "organization"
    csv_filename = "memberships"
    columns = [
        Column(
            "organization",
            _("Organization"),
            "organization.acronym",
            sort="organization__acronym",
            link=True,
        ),
        Column("country", _("Country"), "country.name", sort="country__name"),
        Column("status", _("Status"), "status", sort="status"),
        Column("since", _("Since"), "since", sort="since"),
        Column("until", _("Until"), "until", sort="until"),
    ]

    def base_queryset(self):
        return Membership.objects.select_related("organization", "country")

    def detail_url(self, obj):
        return _membership_page(obj)


class MembershipPages:
    """The model and the page to go back to, for every view of a membership."""

    model = Membership
    page_url_name = "organizations:organization_detail"
    page_of = "organization_id"


class MembershipCreate(MembershipPages, PortalCreateView):
    form_class = MembershipForm
    parent_model = Organization
    parent_field = "organization"


class MembershipUpdate(MembershipPages, PortalUpdateView):
    form_class = MembershipForm


class MembershipDelete(MembershipPages, PortalDeleteView):
    pass


class MembershipHistory(MembershipPages, PortalHistoryView):
    pass
