from rest_framework import serializers

from ..models import Obligation, ObligationKind, ObligationStatus


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
    kind = serializers.ChoiceField(choices=ObligationKind.choices)
    window_start = serializers.DateField()
    deadline = serializers.DateField()
    estimated = serializers.BooleanField()
    status = serializers.ChoiceField(choices=ObligationStatus.choices)
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
