from django import forms
from django.utils.translation import gettext_lazy as _

from members.forms import DateInput
from members.models import Country

from ..models import CBM, RoleKind


class DashboardFilterForm(forms.Form):
    """The compliance dashboard's filters: one CBM, the CBMs a country led, a day to replay."""

    cbm = forms.ModelChoiceField(
        label=_("CBM"), queryset=CBM.objects.order_by("code"), required=False, empty_label=_("all")
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
