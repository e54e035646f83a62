import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Organization, OrganizationKind


class OrganizationFilter(django_filters.FilterSet):
    acronym = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(choices=OrganizationKind.choices, label=_("Kind"))

    class Meta:
        model = Organization
        fields = ["acronym", "name", "kind"]
