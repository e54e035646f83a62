from rest_framework import serializers

from hoa_portal.api.serializers import ModelCleanSerializer
from members.models import Country

from .models import Meeting


class MeetingSerializer(ModelCleanSerializer):
    cbm = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Meeting._meta.get_field("cbm").related_model.objects.all(),
        allow_null=True,
        required=False,
    )
    host = serializers.SlugRelatedField(
        slug_field="code", queryset=Country.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Meeting
        fields = ["id", "kind", "cbm", "date", "status", "city", "host"]
