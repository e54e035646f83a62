import django_filters
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from hoa_portal.api.filters import StrictBooleanFilter
from members.models import Country
from organizations.models import Organization

from ..models import CBM, CBMRole, RoleKind


@extend_schema_field(OpenApiTypes.STR)
class CountryCodeFilter(django_filters.ModelChoiceFilter):
    """A country by its code, for a filter that is not a path to a country field."""


class CBMFilter(django_filters.FilterSet):
    """`leads` and `supporting` match the parties of today, as the fields show them."""

    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    approved_on = django_filters.DateFromToRangeFilter()
    leads = CountryCodeFilter(
        queryset=Country.objects.all(),
        to_field_name="code",
        method="filter_leads",
        label=_("Code of a country leading the CBM today."),
    )
    supporting = django_filters.CharFilter(
        method="filter_supporting",
        label=_("Code of a country, or acronym of an organization, supporting the CBM today."),
    )

    class Meta:
        model = CBM
        fields = ["code", "name", "approved_on", "leads", "supporting"]

    def filter_leads(self, queryset, name, country):
        return queryset.filter(pk__in=_roles_today(RoleKind.LEAD, country=country))

    def filter_supporting(self, queryset, name, value):
        country = Country.objects.filter(code=value).first()
        organization = None if country else Organization.objects.filter(acronym=value).first()
        if country is None and organization is None:
            unknown = gettext("No country or organization is known as “%(value)s”.")
            raise ValidationError({name: [unknown % {"value": value}]})
        party = {"country": country} if country else {"organization": organization}
        return queryset.filter(pk__in=_roles_today(RoleKind.SUPPORTING, **party))


def _roles_today(role: str, **party):
    return (
        CBMRole.objects.filter(role=role, **party).current_on(timezone.localdate()).values("cbm_id")
    )


class CBMRoleFilter(django_filters.FilterSet):
    """`?on=YYYY-MM-DD` keeps the roles in force that day; `?ongoing=true` those with no end."""

    cbm = django_filters.ModelChoiceFilter(queryset=CBM.objects.all(), to_field_name="code")
    country = django_filters.ModelChoiceFilter(queryset=Country.objects.all(), to_field_name="code")
    organization = django_filters.ModelChoiceFilter(
        queryset=Organization.objects.all(), to_field_name="acronym"
    )
    role = django_filters.ChoiceFilter(choices=RoleKind.choices, label=_("Role"))
    since = django_filters.DateFromToRangeFilter()
    until = django_filters.DateFromToRangeFilter()
    ongoing = StrictBooleanFilter(field_name="until", lookup_expr="isnull")
    on = django_filters.DateFilter(method="filter_on", label=_("Roles in force on this day."))

    class Meta:
        model = CBMRole
        fields = ["cbm", "country", "organization", "role", "since", "until", "ongoing", "on"]

    def filter_on(self, queryset, name, day):
        return queryset.current_on(day)
