"""Forms of the portal's pages for conferences, declarations, articles and meetings."""

from django import forms
from django.utils.translation import gettext_lazy as _

from members.forms import DateInput, PortalModelForm

from .models import Article, Declaration, Meeting, MeetingKind, MinisterialConference


class ConferenceForm(PortalModelForm):
    class Meta:
        model = MinisterialConference
        fields = ["number", "date", "year", "city", "host", "status"]
        widgets = {"date": DateInput()}
        help_texts = {
            "date": _("Empty while planned without a date."),
            "year": _("Only while the date is not set: a date gives its own year."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].required = False

    def clean(self):
        cleaned_data = super().clean()
        day = cleaned_data.get("date")
        if day:
            # The year follows from the date, so a person never has to give it twice.
            cleaned_data["year"] = day.year
            self.errors.pop("year", None)
        elif cleaned_data.get("year") is None and "year" not in self.errors:
            self.add_error("year", _("Give the date, or the year while the date is not known."))
        return cleaned_data


class DeclarationForm(PortalModelForm):
    fixed_fields = ("conference",)

    class Meta:
        model = Declaration
        fields = ["title", "summary", "source"]


class ArticleForm(PortalModelForm):
    fixed_fields = ("declaration",)

    class Meta:
        model = Article
        fields = ["number", "text", "is_rtg_rule", "effective_from"]
        widgets = {"effective_from": DateInput(), "text": forms.Textarea(attrs={"rows": 5})}


class MeetingForm(PortalModelForm):
    """The secretariat's form: any kind of meeting."""

    class Meta:
        model = Meeting
        fields = ["kind", "cbm", "date", "status", "city", "host", "notes"]
        widgets = {"date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # CBMs are chosen by code everywhere; the model's own order is by approval date.
        self.fields["cbm"].queryset = self.fields["cbm"].queryset.order_by("code")


class RtgForm(PortalModelForm):
    """A focal point's form: an RTG of one of the CBMs its country leads, and nothing else."""

    fixed_fields = ("kind",)

    class Meta:
        model = Meeting
        fields = ["cbm", "date", "status", "city", "host", "notes"]
        widgets = {"date": DateInput()}

    def __init__(self, *args, cbms, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.kind = MeetingKind.RTG
        self.fields["cbm"].queryset = cbms
        self.fields["cbm"].required = True
        self.fields["cbm"].empty_label = None
