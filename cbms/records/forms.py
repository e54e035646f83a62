"""Forms of the portal's pages for CBMs, their roles and implementation plans, and the
compliance dashboard's filters."""

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from conferences.models import MinisterialConference
from members.forms import DateInput, PortalModelForm
from members.models import Country, Role, User

from ..models import (
    CBM,
    Activity,
    CBMName,
    CBMRole,
    ImplementationPlanVersion,
    PlanStatus,
    PriorityArea,
    RoleKind,
)
from ..models.plans import plan_content_editable


class CBMForm(PortalModelForm):
    class Meta:
        model = CBM
        fields = ["code", "name", "approved_on", "approved_at", "desk", "desk_officer", "notes"]
        widgets = {"approved_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approved_at"].queryset = MinisterialConference.objects.select_related("host")
        self.fields["desk_officer"].queryset = User.objects.filter(
            role=Role.SECRETARIAT, is_active=True
        ).order_by("username")


class CBMCreateForm(CBMForm):
    """A new CBM, and optionally its first lead country, in one step."""

    lead_country = forms.ModelChoiceField(
        label=_("Lead country"),
        queryset=Country.objects.all(),
        required=False,
        help_text=_("Optional: the country that leads the CBM; add co-leads on its page."),
    )
    lead_since = forms.DateField(
        label=_("Leading since"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: from the approval date."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("lead_country", "lead_since"):
            widget = self.fields[name].widget
            widget.attrs["class"] = (
                "form-select" if isinstance(widget, forms.Select) else "form-control"
            )

    def clean(self):
        cleaned = super().clean()
        since, approved = cleaned.get("lead_since"), cleaned.get("approved_on")
        if since and not cleaned.get("lead_country"):
            self.add_error("lead_country", _("Choose the country that leads since this date."))
        if since and approved and since < approved:
            self.add_error("lead_since", _("A country cannot lead a CBM before it is approved."))
        return cleaned

    @transaction.atomic
    def save(self, commit=True):
        cbm = super().save(commit=commit)
        country = self.cleaned_data.get("lead_country")
        if commit and country is not None:
            role = CBMRole(
                cbm=cbm,
                country=country,
                role=RoleKind.LEAD,
                since=self.cleaned_data.get("lead_since") or cbm.approved_on,
            )
            role.full_clean()
            role.save()
        return cbm


class CBMRoleForm(PortalModelForm):
    fixed_fields = ("cbm",)

    class Meta:
        model = CBMRole
        fields = ["role", "country", "organization", "since", "until"]
        widgets = {"since": DateInput(), "until": DateInput()}
        help_texts = {"country": _("A country or an organization, not both.")}


class CBMRoleEndForm(PortalModelForm):
    """The last day of a role, inclusive. The role's other fields take part in the model's
    checks (a role cannot end before it starts) without being typed again."""

    fixed_fields = ("cbm", "country", "organization", "role", "since")

    class Meta:
        model = CBMRole
        fields = ["until"]
        widgets = {"until": DateInput()}
        labels = {"until": _("Last day")}
        help_texts = {"until": _("The last day the role is held.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["until"].required = True


class CBMNameForm(PortalModelForm):
    """A name the CBM carried (or carries): e.g. DM, Disaster Management, until 8 Dec 2019."""

    fixed_fields = ("cbm",)

    class Meta:
        model = CBMName
        fields = ["code", "name", "since", "until", "decided_at"]
        widgets = {"since": DateInput(), "until": DateInput()}
        labels = {
            "code": _("Code"),
            "name": _("Name"),
            "since": _("Since"),
            "until": _("Until"),
            "decided_at": _("Decided at"),
        }
        help_texts = {
            "since": _("The first day the CBM carried this name."),
            "until": _("The last day it carried this name; empty for its present name."),
            "decided_at": _("The conference that adopted this name, if known."),
        }
        error_messages = {
            "since": {"unique_together": _("The CBM already has a name from this day.")}
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_at"].queryset = MinisterialConference.objects.select_related("host")


class PlanVersionForm(PortalModelForm):
    """A version of a plan. Once published, its content is frozen (plan_content_editable): the
    form shows it read-only, and the model refuses a change typed in anyway; its status and
    adoption date still move on."""

    fixed_fields = ("cbm",)

    class Meta:
        model = ImplementationPlanVersion
        fields = ["version", "title", "status", "adopted_on", "notes"]
        widgets = {"adopted_on": DateInput()}
        help_texts = {
            "status": _(
                "Add the priority areas and activities while the version is a draft: "
                "publishing it freezes them."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plan = self.instance
        if plan.pk is None or plan_content_editable(plan.status):
            return
        for name in ImplementationPlanVersion.CONTENT_FIELDS:
            if name in self.fields:
                self.fields[name].widget.attrs["readonly"] = True
                self.fields[name].help_text = _(
                    "Published: frozen. To change it, create a new draft version from this one."
                )
        status = self.fields["status"]
        status.choices = [(v, label) for v, label in status.choices if v != PlanStatus.DRAFT]
        status.help_text = _("A published version moves on to superseded; never back to draft.")


class PlanPublishForm(forms.Form):
    """Put a draft in force: the day it was adopted, if known."""

    adopted_on = forms.DateField(
        label=_("Adopted on"),
        required=False,
        widget=DateInput(attrs={"class": "form-control"}),
        help_text=_("The day the plan was adopted; empty if unknown."),
    )

    def full_clean(self):
        super().full_clean()
        if "adopted_on" in self._errors:
            self.fields["adopted_on"].widget.attrs["class"] += " is-invalid"


class PriorityAreaForm(PortalModelForm):
    fixed_fields = ("plan",)

    class Meta:
        model = PriorityArea
        fields = ["number", "title"]
        error_messages = {
            "number": {"unique_together": _("The plan already has a priority area so numbered.")}
        }


class ActivityForm(PortalModelForm):
    fixed_fields = ("priority_area",)

    class Meta:
        model = Activity
        fields = ["number", "title", "description"]
        error_messages = {
            "number": {
                "unique_together": _("The priority area already has an activity so numbered.")
            }
        }
