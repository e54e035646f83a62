from rest_framework import serializers

from hoa_portal.api.serializers import ModelCleanSerializer
from members.models import Country

from .models import Meeting, MeetingParticipant, MinisterialConference


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


class ParticipantSerializer(serializers.ModelSerializer):
    """A country (its code) or an organization (its acronym) at a meeting; the other is null."""

    country = serializers.SlugRelatedField(slug_field="code", read_only=True)
    organization = serializers.SlugRelatedField(slug_field="acronym", read_only=True)

    class Meta:
        model = MeetingParticipant
        fields = ["country", "organization", "attended", "delegates"]
        read_only_fields = fields


# The columns of a meeting's row, in the lists (read as `.values()`) and their exports; the
# detail adds who took part.
MEETING_ROW_FIELDS = [
    *("id", "kind", "cbm", "date", "end_date", "status"),
    *("city", "venue", "host", "agenda"),
]


class MeetingRowSerializer(ModelCleanSerializer):
    """A meeting without its participants: every field a column (the list's fast path)."""

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
        fields = MEETING_ROW_FIELDS
        extra_kwargs = {
            "end_date": {"help_text": "The last day of a meeting of several days, or null."}
        }


class MeetingSerializer(MeetingRowSerializer):
    """A meeting and who took part in it (recorded on the portal's pages, read-only here)."""

    participants = ParticipantSerializer(
        many=True,
        read_only=True,
        help_text="Countries by name, then organizations by acronym; attended false: invited, "
        "did not come (delegates 0).",
    )

    class Meta(MeetingRowSerializer.Meta):
        fields = [*MEETING_ROW_FIELDS, "participants"]


def participants_of(meetings) -> dict[int, list[dict]]:
    """What `participants` says for each of the meetings (ids, or a queryset of them) that has
    any, in one query for all: the lists read meetings as `.values()`, which cannot prefetch."""
    rows = (
        MeetingParticipant.objects.filter(meeting_id__in=meetings)
        .in_reading_order()
        .values("meeting_id", "country__code", "organization__acronym", "attended", "delegates")
    )
    found: dict[int, list[dict]] = {}
    for row in rows:
        found.setdefault(row["meeting_id"], []).append(
            {
                "country": row["country__code"],
                "organization": row["organization__acronym"],
                "attended": row["attended"],
                "delegates": row["delegates"],
            }
        )
    return found
