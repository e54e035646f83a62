import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Country

from .models import ConferenceStatus, Meeting, MeetingKind, MeetingStatus, MinisterialConference

WHOLE_NUMBER = re.compile(r"-?[0-9]+", re.ASCII)


class WholeNumberField(forms.IntegerField):
    """A whole number as written in the schema's `integer`: ASCII digits, a sign allowed.
    Django's IntegerField also reads `1.0`, ` 1` and `١` as 1."""

    def to_python(self, value):
        if value not in self.empty_values and not WHOLE_NUMBER.fullmatch(str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IntegerFilter(django_filters.NumberFilter):
    """Whole numbers only: `?number=1.5` (or `1.0`) is a 400, not silently the first
    conference."""

    field_class = WholeNumberField


class ConferenceFilter(django_filters.FilterSet):
    """`?date_after=&date_before=` on the date; `declaration` matches part of the title."""

    number = IntegerFilter()
    date = django_filters.DateFromToRangeFilter()
    year = IntegerFilter()
    city = django_filters.CharFilter(lookup_expr="iexact")
    host = django_filters.ModelChoiceFilter(queryset=Country.objects.all(), to_field_name="code")
    status = django_filters.ChoiceFilter(choices=ConferenceStatus.choices, label=_("Status"))
    declaration = django_filters.CharFilter(
        field_name="declaration__title", lookup_expr="icontains"
    )

    class Meta:
        model = MinisterialConference
        fields = ["number", "date", "year", "city", "host", "status", "declaration"]


class MeetingFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices, label=_("Kind"))
    cbm = django_filters.ModelChoiceFilter(
        queryset=Meeting._meta.get_field("cbm").related_model.objects.all(), to_field_name="code"
    )
    status = django_filters.ChoiceFilter(choices=MeetingStatus.choices, label=_("Status"))
    date = django_filters.DateFromToRangeFilter()
    host = django_filters.ModelChoiceFilter(queryset=Country.objects.all(), to_field_name="code")
    city = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Meeting
        fields = ["kind", "cbm", "status", "date", "host", "city"]
