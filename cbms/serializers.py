from django.utils import timezone
from rest_framework import serializers

from .models import CBM, Obligation


class CBMOut(serializers.ModelSerializer):
    leads = serializers.SerializerMethodField()
    supporting = serializers.SerializerMethodField()

    class Meta:
        model = CBM
        fields = ["code", "name", "approved_on", "leads", "supporting"]

    def get_leads(self, cbm: CBM) -> list[str]:
        today = timezone.localdate()
        return sorted(
            role.country.code
            for role in cbm.roles.all()
            if role.role == "lead" and _current(role, today)
        )

    def get_supporting(self, cbm: CBM) -> list[str]:
        today = timezone.localdate()
        return sorted(
            role.party.code if role.country_id else role.party.acronym
            for role in cbm.roles.all()
            if role.role == "supporting" and _current(role, today)
        )


def _current(role, day) -> bool:
    return role.since <= day and (role.until is None or role.until >= day)


class ObligationOut(serializers.ModelSerializer):
    cbm = serializers.SlugRelatedField(slug_field="code", read_only=True)
    conference = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = Obligation
        fields = [
            "id",
            "cbm",
            "conference",
            "kind",
            "window_start",
            "deadline",
            "estimated",
            "status",
            "met_by",
            "evaluated_on",
        ]


class ObligationOnDayOut(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    cbm = serializers.CharField()
    conference = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["prioritisation", "review"])
    window_start = serializers.DateField()
    deadline = serializers.DateField()
    estimated = serializers.BooleanField()
    status = serializers.CharField()
    met_by = serializers.IntegerField(allow_null=True)
    evaluated_on = serializers.DateField()


class AnnualCountOut(serializers.Serializer):
    year = serializers.IntegerField()
    held = serializers.IntegerField()
    required = serializers.IntegerField()


class ComplianceOut(serializers.Serializer):
    cbm = serializers.CharField()
    on = serializers.DateField()
    obligations = ObligationOnDayOut(many=True)
    annual = AnnualCountOut(many=True)


class ComplianceQuery(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="The day to evaluate; today in Kabul.")
