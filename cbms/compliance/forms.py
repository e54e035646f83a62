import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hoa_portal.views import QuickSelect
from members.forms import DateInput, PortalModelForm
from members.models import Country

from ..models import CBM, ReminderPolicy, RoleKind
from ..models.reminders import MAX_REMINDER_DAYS


class DashboardFilterForm(forms.Form):
    """The compliance dashboard's filters: one CBM, the CBMs a country led, a day to replay."""

    cbm = forms.ModelChoiceField(
        label=_("CBM"),
        queryset=CBM.objects.order_by("code"),
        required=False,
        empty_label=_("all"),
        widget=QuickSelect,  # every CBM, hundreds of them
    )
    country = forms.ModelChoiceField(
        label=_("Lead country"),
        queryset=Country.objects.filter(cbm_roles__role=RoleKind.LEAD).distinct(),
        required=False,
        empty_label=_("any"),
    )
    on = forms.DateField(
        label=_("As on"),
        required=False,
        widget=DateInput(),
        help_text=_("Replay the rule on a past day; empty for today."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css
            if name in self.errors:
                field.widget.attrs["class"] += " is-invalid"


class ReminderScheduleForm(PortalModelForm):
    """The secretariat's reminder schedule: the days as one text field ("60, 30, 14, 7")."""

    days_before = forms.CharField(
        label=_("Reminders, days before the deadline"),
        max_length=200,
        help_text=_(
            "Whole numbers of days from 1 to 365, separated by commas, from the earliest "
            "reminder to the latest, e.g. 60, 30, 14, 7."
        ),
    )
    escalate_within_days = forms.IntegerField(
        label=_("Escalate to the CBM's desk from"),
        min_value=0,
        max_value=MAX_REMINDER_DAYS,
        help_text=_(
            "Days before the deadline from which a reminder also goes to the CBM's desk "
            "officer (0: never)."
        ),
    )

    class Meta:
        model = ReminderPolicy
        fields = ["days_before", "escalate_within_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = self.initial.get("days_before")
        if isinstance(days, list):
            self.initial["days_before"] = ", ".join(str(d) for d in days)

    def clean_days_before(self) -> list[int]:
        text = self.cleaned_data["days_before"].strip()
        # Latin or Arabic commas (a Dari keyboard types ،); any script's digits (int() reads them).
        parts = [part for part in re.split(r"[\s,;\u060c]+", text) if part]
        if not parts:
            raise ValidationError(_("Give at least one reminder, e.g. 60, 30, 14, 7."))
        wrong = [part for part in parts if not re.fullmatch(r"[+-]?\d{1,4}", part)]
        if wrong:
            raise ValidationError(
                _("Not a whole number of days: %(values)s."),
                params={"values": ", ".join(wrong)},
                code="not_a_number",
            )
        days = [int(part) for part in parts]
        if any(d < 1 or d > MAX_REMINDER_DAYS for d in days):
            raise ValidationError(
                _("Each reminder is from 1 to 365 days before the deadline."), code="range"
            )
        if len(set(days)) != len(days):
            raise ValidationError(_("Give each day once."), code="repeated")
        if days != sorted(days, reverse=True):
            raise ValidationError(
                _("List the days from the earliest reminder to the latest (e.g. 60, 30, 14, 7)."),
                code="unordered",
            )
        return days
