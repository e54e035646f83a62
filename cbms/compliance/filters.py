import django_filters
from django.utils.translation import gettext_lazy as _

from conferences.filters import IntegerFilter
from conferences.models import MinisterialConference
from hoa_portal.api.filters import StrictBooleanFilter

from ..models import CBM, Obligation, ObligationKind, ObligationStatus


class ObligationFilter(django_filters.FilterSet):
    cbm = django_filters.ModelChoiceFilter(
        queryset=CBM.objects.all(), to_field_name="code", field_name="cbm"
    )
    conference = django_filters.ModelChoiceFilter(
        queryset=MinisterialConference.objects.all(), to_field_name="number"
    )
    kind = django_filters.ChoiceFilter(choices=ObligationKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=ObligationStatus.choices, label=_("Status"))
    estimated = StrictBooleanFilter()
    window_start = django_filters.DateFromToRangeFilter()
    deadline = django_filters.DateFromToRangeFilter()
    met_by = IntegerFilter(label=_("Id of the meeting that met the obligation."))
    evaluated_on = django_filters.DateFromToRangeFilter()

    class Meta:
        model = Obligation
        fields = [
            "cbm",
            "conference",
            "kind",
            "status",
            "estimated",
            "window_start",
            "deadline",
            "met_by",
            "evaluated_on",
        ]
