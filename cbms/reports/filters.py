import django_filters
from django.utils.translation import gettext_lazy as _

from conferences.filters import IntegerFilter

from ..models import ProgressReport, ReportState


class ReportFilter(django_filters.FilterSet):
    id = IntegerFilter()
    cbm = django_filters.CharFilter(field_name="cbm__code", lookup_expr="iexact")
    conference = IntegerFilter(field_name="conference__number")
    country = django_filters.CharFilter(field_name="country__code", lookup_expr="iexact")
    state = django_filters.ChoiceFilter(choices=ReportState.choices, label=_("State"))
    narrative = django_filters.CharFilter(lookup_expr="icontains")
    activities = IntegerFilter(
        field_name="activity_updates__activity", label=_("Id of an activity the report updates.")
    )
    attachments = django_filters.CharFilter(
        field_name="attachments__original_name",
        lookup_expr="icontains",
        label=_("Part of an attachment's name."),
        distinct=True,
    )
    versions = IntegerFilter(label=_("Number of submissions."))

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "cbm",
            "conference",
            "country",
            "state",
            "narrative",
            "activities",
            "attachments",
            "versions",
        ]
