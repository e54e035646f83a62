from rest_framework import serializers

from hoa_portal.api.serializers import ModelCleanSerializer

from .models import Organization


class OrganizationSerializer(ModelCleanSerializer):
    class Meta:
        model = Organization
        fields = ["acronym", "name", "kind"]

    def validate_acronym(self, value: str) -> str:
        # The acronym is the organization's address in the API (/organizations/{acronym}/).
        if "/" in value:
            raise serializers.ValidationError("An acronym cannot contain a slash.")
        return value
