from django.utils import timezone
from rest_framework import serializers

from hoa_portal.api.serializers import ModelCleanSerializer
from members.models import Country
from organizations.models import Organization

from ..models import CBM, CBMRole, RoleKind


class CBMSerializer(ModelCleanSerializer):
    """A CBM; `leads` and `supporting` are read from its roles (written at /cbm-roles/)."""

    leads = serializers.SerializerMethodField(help_text="Codes of the countries leading today.")
    supporting = serializers.SerializerMethodField(
        help_text="Codes of the countries and acronyms of the organizations supporting today."
    )

    class Meta:
        model = CBM
        fields = ["code", "name", "approved_on", "leads", "supporting"]

    def get_leads(self, cbm: CBM) -> list[str]:
        today = timezone.localdate()
        return sorted(
            role.country.code
            for role in cbm.roles.all()
            if role.role == RoleKind.LEAD and _current(role, today)
        )

    def get_supporting(self, cbm: CBM) -> list[str]:
        today = timezone.localdate()
        return sorted(
            role.party.code if role.country_id else role.party.acronym
            for role in cbm.roles.all()
            if role.role == RoleKind.SUPPORTING and _current(role, today)
        )

    def validate_code(self, value: str) -> str:
        # The code is the CBM's address in the API (/cbms/{code}/, DM&EP URL-encoded).
        if "/" in value or value != value.strip():
            raise serializers.ValidationError(
                "A code cannot contain a slash or start or end with a space."
            )
        return value


def _current(role, day) -> bool:
    return role.since <= day and (role.until is None or role.until >= day)


class CBMRoleSerializer(ModelCleanSerializer):
    """A country or an organization leading or supporting a CBM over a period."""

    cbm = serializers.SlugRelatedField(slug_field="code", queryset=CBM.objects.all())
    country = serializers.SlugRelatedField(
        slug_field="code", queryset=Country.objects.all(), allow_null=True, required=False
    )
    organization = serializers.SlugRelatedField(
        slug_field="acronym",
        queryset=Organization.objects.all(),
        allow_null=True,
        required=False,
    )

    class Meta:
        model = CBMRole
        fields = ["id", "cbm", "country", "organization", "role", "since", "until"]
        extra_kwargs = {"until": {"help_text": "Null while the role is ongoing."}}
        # The unique periods are checked in validate(), with a message naming the field: DRF's
        # own validator for a conditional UniqueConstraint would make both parties required.
        validators = []

    def validate(self, attrs):
        role = self._merged(attrs)
        errors = {}
        if role["country"] and role["organization"]:
            message = "A role is held by a country or an organization, not both."
            errors = {"country": [message], "organization": [message]}
        elif not role["country"] and not role["organization"]:
            message = "Give the country or the organization that holds the role."
            errors = {"country": [message], "organization": [message]}
        elif role["role"] == RoleKind.LEAD and role["organization"]:
            errors["organization"] = ["Only a country can lead a CBM."]
        if role["since"] and role["until"] and role["until"] < role["since"]:
            errors["until"] = ["A role cannot end before it starts."]
        if not errors and self._repeats(role):
            errors["since"] = ["This party already holds this role on the CBM from this day."]
        if errors:
            raise serializers.ValidationError(errors)
        return super().validate(attrs)

    def _merged(self, attrs) -> dict:
        """The role as it will be once saved (a PATCH sends only what changes)."""
        fields = ["cbm", "country", "organization", "role", "since", "until"]
        return {f: attrs[f] if f in attrs else getattr(self.instance, f, None) for f in fields}

    def _repeats(self, role: dict) -> bool:
        if not (role["cbm"] and role["role"] and role["since"]):
            return False
        party = (
            {"country": role["country"]}
            if role["country"]
            else {"organization": role["organization"]}
        )
        same = CBMRole.objects.filter(
            cbm=role["cbm"], role=role["role"], since=role["since"], **party
        )
        return same.exclude(pk=getattr(self.instance, "pk", None)).exists()
