import django_filters

from members.models import Country

from .models import Meeting, MeetingKind, MeetingStatus


class MeetingFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices)
    cbm = django_filters.ModelChoiceFilter(
        queryset=Meeting._meta.get_field("cbm").related_model.objects.all(), to_field_name="code"
    )
    status = django_filters.ChoiceFilter(choices=MeetingStatus.choices)
    date = django_filters.DateFromToRangeFilter()
    host = django_filters.ModelChoiceFilter(queryset=Country.objects.all(), to_field_name="code")
    city = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Meeting
        fields = ["kind", "cbm", "status", "date", "host", "city"]
