import django_filters

from .models import Country, ParticipationKind, Role, User


class CountryFilter(django_filters.FilterSet):
    """`participation`, `since_after`/`since_before` and `until_after`/`until_before` filter on
    the period the country is shown with (the queryset's annotations)."""

    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    participation = django_filters.ChoiceFilter(choices=ParticipationKind.choices)
    since = django_filters.DateFromToRangeFilter()
    until = django_filters.DateFromToRangeFilter()
    ongoing = django_filters.BooleanFilter(
        method="filter_ongoing", label="The country is shown with a period that has no end."
    )

    class Meta:
        model = Country
        fields = ["code", "name", "participation", "since", "until", "ongoing"]

    def filter_ongoing(self, queryset, name, value):
        ongoing = {"participation__isnull": False, "until__isnull": True}
        return queryset.filter(**ongoing) if value else queryset.exclude(**ongoing)


class UserFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(lookup_expr="iexact")
    email = django_filters.CharFilter(lookup_expr="iexact")
    role = django_filters.ChoiceFilter(choices=Role.choices)
    country = django_filters.ModelChoiceFilter(queryset=Country.objects.all(), to_field_name="code")

    class Meta:
        model = User
        fields = ["username", "email", "role", "country"]
