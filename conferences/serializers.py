from rest_framework import serializers

from hoa_portal.api.serializers import ModelCleanSerializer
from members.models import Country

from .models import Meeting, MinisterialConference


class ConferenceSerializer(ModelCleanSerializer):
    """A Ministerial Conference. Given a date and no year, the year is the date's."""

    host = serializers.SlugRelatedField(slug_field="code", queryset=Country.objects.all())
    declaration = serializers.SerializerMethodField(
        help_text="The title of the declaration it adopted, or null."
    )

    class Meta:
        model = MinisterialConference
        fields = ["number", "date", "year", "city", "host", "status", "declaration"]
        extra_kwargs = {
            "date": {"help_text": "Null while the conference is planned without a date."},
            # As the conference_number_positive and conference_year_plausible constraints.
            # The column is a smallint on PostgreSQL: say so on every database.
            "number": {"min_value": 1, "max_value": 32767},
            "year": {"required": False, "min_value": 2011, "max_value": 2100},
        }

    def get_declaration(self, conference: MinisterialConference) -> str | None:
        declaration = getattr(conference, "declaration", None)
        return declaration.title if declaration else None

    def validate(self, attrs):
        if attrs.get("date") and "year" not in attrs:
            attrs["year"] = attrs["date"].year
        if self.instance is None and attrs.get("year") is None:
            raise serializers.ValidationError({"year": ["Give the year, or the date."]})
        return super().validate(attrs)


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
