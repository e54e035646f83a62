"""Forms of the portal's pages for organizations and memberships."""

from members.forms import DateInput, PortalModelForm

from .models import Membership, Organization


class OrganizationForm(PortalModelForm):
    class Meta:
        model = Organization
        fields = ["acronym", "name", "kind", "supports_process", "source"]


class MembershipForm(PortalModelForm):
    fixed_fields = ("organization",)

    class Meta:
        model = Membership
        fields = ["country", "status", "since", "until", "source"]
        widgets = {"since": DateInput(), "until": DateInput()}
