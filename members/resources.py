"""Countries' participation in the process as rows of a spreadsheet (hoa_portal.spreadsheets)."""

from django.utils.translation import gettext_lazy as _
from import_export import fields

from hoa_portal.spreadsheets import (
    ChoiceWidget,
    CodeWidget,
    DayWidget,
    NumberWidget,
    PortalResource,
    revision_field,
    text,
)

from .models import Country, Participation, ParticipationKind


class ParticipationResource(PortalResource):
    """Matched by id, or by country, capacity and start."""

    natural_key = ("country", "kind", "since")
    bulk_columns = ("until", "source")

    id = fields.Field(attribute="id", column_name="id", widget=NumberWidget(), readonly=True)
    country = fields.Field(
        attribute="country",
        column_name="country",
        widget=CodeWidget(Country, "code", label=_("country")),
    )
    kind = fields.Field(
        attribute="kind", column_name="kind", widget=ChoiceWidget(ParticipationKind)
    )
    since = fields.Field(attribute="since", column_name="since", widget=DayWidget())
    until = fields.Field(attribute="until", column_name="until", widget=DayWidget())
    source = text("source")
    note = text("note")
    revision = revision_field()

    class Meta(PortalResource.Meta):
        model = Participation
        fields = ("id", "country", "kind", "since", "until", "source", "note", "revision")

    def permitted(self, queryset):
        return super().permitted(queryset).select_related("country")
