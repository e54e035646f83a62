"""Meetings as rows of a spreadsheet: the columns of the API's meetings, plus notes and the
revision a stale row is recognised by (hoa_portal.spreadsheets)."""

from django.utils.translation import gettext
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
from members.models import Country
from members.permissions import is_focal_point, is_secretariat

from .models import Meeting, MeetingKind, MeetingStatus, cbm_ids_led_by
from .permissions import can_record_meeting

CBM = Meeting._meta.get_field("cbm").related_model


class MeetingResource(PortalResource):
    """Matched by id, or by CBM, kind, date and city. A focal point's file holds the RTGs of the
    CBMs its country leads and nothing else (MeetingQuerySet.recordable_by)."""

    natural_key = ("date", "kind", "cbm", "city")
    bulk_columns = ("status", "date", "city", "host")
    # Meeting.clean() says what the check constraints say (an RTG has a CBM, plausible dates)
    # and the choices are validated as fields: ten thousand rows need not cost forty thousand
    # queries for it. The database holds to the constraints all the same.
    validate_constraints = False
    validate_unique = False  # no unique field besides the id

    id = fields.Field(attribute="id", column_name="id", widget=NumberWidget(), readonly=True)
    kind = fields.Field(attribute="kind", column_name="kind", widget=ChoiceWidget(MeetingKind))
    cbm = fields.Field(
        attribute="cbm", column_name="cbm", widget=CodeWidget(CBM, "code", label=_("CBM"))
    )
    date = fields.Field(attribute="date", column_name="date", widget=DayWidget())
    status = fields.Field(
        attribute="status", column_name="status", widget=ChoiceWidget(MeetingStatus)
    )
    city = text("city")
    host = fields.Field(
        attribute="host", column_name="host", widget=CodeWidget(Country, "code", label=_("country"))
    )
    notes = text("notes")
    revision = revision_field()

    class Meta(PortalResource.Meta):
        model = Meeting
        fields = ("id", "kind", "cbm", "date", "status", "city", "host", "notes", "revision")

    @classmethod
    def importable_by(cls, user) -> bool:
        return is_secretariat(user) or is_focal_point(user)

    def permitted(self, queryset):
        return queryset.recordable_by(self.actor).select_related("cbm", "host")

    def refusal(self, instance):
        cbm = instance.cbm if instance.cbm_id else None
        if can_record_meeting(
            self.actor, kind=instance.kind, cbm=cbm, led_cbm_ids=self.led_cbm_ids()
        ):
            return None
        if instance.kind != MeetingKind.RTG:
            return "kind", gettext("You may import RTGs only.")
        return "cbm", gettext(
            "Your country does not lead %(cbm)s: its RTGs are not yours to record."
        ) % {"cbm": cbm.code if cbm else "—"}

    def led_cbm_ids(self) -> set[int]:
        if not hasattr(self, "_led"):
            country = getattr(self.actor, "country_id", None)
            self._led = set(cbm_ids_led_by(country).values_list("cbm_id", flat=True))
        return self._led

    def touched_cbm_ids(self, instance, original) -> set[int]:
        return {instance.cbm_id, getattr(original, "cbm_id", None)} - {None}
