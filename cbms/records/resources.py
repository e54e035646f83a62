"""CBM roles and plan activities as rows of a spreadsheet (hoa_portal.spreadsheets)."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, widgets

from hoa_portal.spreadsheets import (
    ChoiceWidget,
    CodeWidget,
    DayWidget,
    NumberWidget,
    PortalResource,
    plain_text,
    revision_field,
    text,
)
from members.models import Country
from organizations.models import Organization

from ..models import CBM, Activity, CBMRole, PriorityArea, RoleKind


class CBMRoleResource(PortalResource):
    """Matched by id, or by CBM, party (country or organization) and start."""

    natural_key = ("cbm", "country", "organization", "since")
    bulk_columns = ("until", "since", "role")

    id = fields.Field(attribute="id", column_name="id", widget=NumberWidget(), readonly=True)
    cbm = fields.Field(
        attribute="cbm", column_name="cbm", widget=CodeWidget(CBM, "code", label=_("CBM"))
    )
    country = fields.Field(
        attribute="country",
        column_name="country",
        widget=CodeWidget(Country, "code", label=_("country")),
    )
    organization = fields.Field(
        attribute="organization",
        column_name="organization",
        widget=CodeWidget(Organization, "acronym", label=_("organization")),
    )
    role = fields.Field(attribute="role", column_name="role", widget=ChoiceWidget(RoleKind))
    since = fields.Field(attribute="since", column_name="since", widget=DayWidget())
    until = fields.Field(attribute="until", column_name="until", widget=DayWidget())
    revision = revision_field()

    class Meta(PortalResource.Meta):
        model = CBMRole
        fields = ("id", "cbm", "country", "organization", "role", "since", "until", "revision")

    def permitted(self, queryset):
        return super().permitted(queryset).select_related("cbm", "country", "organization")

    def touched_cbm_ids(self, instance, original) -> set[int]:
        # Who leads decides the obligations; a supporting role changes none.
        roles = [role for role in (instance, original) if role is not None]
        if not any(role.role == RoleKind.LEAD for role in roles):
            return set()
        return {role.cbm_id for role in roles} - {None}


class PriorityAreaWidget(widgets.Widget):
    """A priority area by the CBM, plan version and area number its row gives: the three
    columns together name it. The areas are read once per import."""

    def __init__(self):
        super().__init__()
        self._areas = None

    def clean(self, value, row=None, **kwargs):
        number = NumberWidget().clean(value)
        cbm = plain_text(row.get("cbm")) if row else ""
        version = NumberWidget().clean(row.get("plan_version")) if row else None
        if number is None or not cbm or version is None:
            raise ValueError(gettext("Give the CBM, the plan version and the area's number."))
        area = self.areas().get((cbm.casefold(), version, number))
        if area is None:
            raise ValueError(
                gettext("Version %(version)s of the plan of %(cbm)s has no priority area %(area)s.")
                % {"version": version, "cbm": cbm, "area": number}
            )
        return area

    def areas(self) -> dict:
        if self._areas is None:
            self._areas = {
                (area.plan.cbm.code.casefold(), area.plan.version, area.number): area
                for area in PriorityArea.objects.select_related("plan__cbm")
            }
        return self._areas

    def render(self, value, obj=None, **kwargs):
        return value.number if value is not None else None


class ActivityResource(PortalResource):
    """Matched by id, or by priority area (CBM, plan version, area number) and number. Only a
    draft version's activities change: a published plan is frozen (cbms.models.plans)."""

    natural_key = ("priority_area", "number")
    bulk_columns = ("description",)

    id = fields.Field(attribute="id", column_name="id", widget=NumberWidget(), readonly=True)
    cbm = fields.Field(attribute="priority_area__plan__cbm__code", column_name="cbm", readonly=True)
    plan_version = fields.Field(
        attribute="priority_area__plan__version", column_name="plan_version", readonly=True
    )
    priority_area = fields.Field(
        attribute="priority_area", column_name="area", widget=PriorityAreaWidget()
    )
    number = fields.Field(attribute="number", column_name="number", widget=NumberWidget())
    title = text("title")
    description = text("description")
    revision = revision_field()

    class Meta(PortalResource.Meta):
        model = Activity
        fields = (
            "id",
            "cbm",
            "plan_version",
            "priority_area",
            "number",
            "title",
            "description",
            "revision",
        )

    def permitted(self, queryset):
        return super().permitted(queryset).select_related("priority_area__plan__cbm")
