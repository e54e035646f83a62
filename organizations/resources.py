"""Organizations as rows of a spreadsheet (hoa_portal.spreadsheets)."""

from import_export import fields

from hoa_portal.spreadsheets import (
    ChoiceWidget,
    FlagWidget,
    NumberWidget,
    PortalResource,
    revision_field,
    text,
)

from .models import Organization, OrganizationKind


class OrganizationResource(PortalResource):
    """Matched by id, or by acronym."""

    natural_key = ("acronym",)
    bulk_columns = ("kind", "supports_process", "source")

    id = fields.Field(attribute="id", column_name="id", widget=NumberWidget(), readonly=True)
    acronym = text("acronym")
    name = text("name")
    kind = fields.Field(attribute="kind", column_name="kind", widget=ChoiceWidget(OrganizationKind))
    supports_process = fields.Field(
        attribute="supports_process", column_name="supports_process", widget=FlagWidget()
    )
    source = text("source")
    revision = revision_field()

    class Meta(PortalResource.Meta):
        model = Organization
        fields = ("id", "acronym", "name", "kind", "supports_process", "source", "revision")
