import django_filters
from django.utils.translation import gettext_lazy as _

from hoa_portal.api.filters import StrictBooleanFilter

from .models import Country, Notification, ParticipationKind, Role, User


class CountryFilter(django_filters.FilterSet):
    """`participation`, `since_after`/`since_before` and `until_after`/`until_before` filter on
    the period the country is shown with (the queryset's annotations)."""

    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    # Labelled here: these are annotations, not model fields, so django-filter finds no name.
    participation = django_filters.ChoiceFilter(
        label=_("Participation"), choices=ParticipationKind.choices
    )
    since = django_filters.DateFromToRangeFilter(label=_("Since"))
    until = django_filters.DateFromToRangeFilter(label=_("Until"))
    ongoing = StrictBooleanFilter(
        method="filter_ongoing", label=_("The country is shown with a period that has no end.")
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
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Role"))
    country = django_filters.ModelChoiceFilter(queryset=Country.objects.all(), to_field_name="code")

    class Meta:
        model = User
        fields = ["username", "email", "role", "country"]


class NotificationFilter(django_filters.FilterSet):
    """`unread=true` (or `read=false`) for what the caller has not read yet."""

    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull")
    read = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull", exclude=True)
    subject = django_filters.CharFilter(lookup_expr="icontains")
    body = django_filters.CharFilter(lookup_expr="icontains")
    link = django_filters.CharFilter()
    # By calendar day in Kabul (`created_at_after=2026-03-01`): dates, as every list filters.
    created_at = django_filters.DateFromToRangeFilter(
        field_name="created_at__date", label=_("Created on")
    )

    class Meta:
        model = Notification
        fields = ["unread", "read", "subject", "body", "link", "created_at"]
