import django_filters

from conferences.models import MinisterialConference

from .models import CBM, Obligation, ObligationKind, ObligationStatus


class ObligationFilter(django_filters.FilterSet):
    cbm = django_filters.ModelChoiceFilter(
        queryset=CBM.objects.all(), to_field_name="code", field_name="cbm"
    )
    conference = django_filters.ModelChoiceFilter(
        queryset=MinisterialConference.objects.all(), to_field_name="number"
    )
    kind = django_filters.ChoiceFilter(choices=ObligationKind.choices)
    status = django_filters.ChoiceFilter(choices=ObligationStatus.choices)
    deadline = django_filters.DateFromToRangeFilter()

    class Meta:
        model = Obligation
        fields = ["cbm", "conference", "kind", "status", "estimated", "deadline"]
