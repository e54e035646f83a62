from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from conferences.models import MinisterialConference
from hoa_portal.api.timestamps import api_timestamp
from members.models import Country

from ..models import (
    CBM,
    ActivityStatus,
    ProgressReport,
    ReportActivityUpdate,
    ReportAttachment,
    ReportState,
    ReportSubmission,
)


@extend_schema_field({"type": "string", "enum": ActivityStatus.values})
class ActivityStatusField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": ReportState.values})
class ReportStateField(serializers.CharField):
    pass


class ActivityUpdateSerializer(serializers.ModelSerializer):
    activity = serializers.IntegerField(source="activity_id")
    status = ActivityStatusField()
    percent = serializers.IntegerField(min_value=0, max_value=100)
    note = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = ReportActivityUpdate
        fields = ["activity", "status", "percent", "note"]

    def validate_status(self, value):
        if value not in ActivityStatus.values:
            raise serializers.ValidationError(f"One of {', '.join(ActivityStatus.values)}.")
        return value

    def validate(self, attrs):
        # The list replaces every update, so each item is whole on a PATCH too; DRF's partial
        # mode reaches nested items and would let one through without its activity (a 500).
        missing = {
            name: [field.error_messages["required"]]
            for name, field in self.fields.items()
            if field.required and not field.read_only and field.source not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing)
        return super().validate(attrs)


class AttachmentOut(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = ReportAttachment
        fields = ["id", "name", "size", "url"]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        path = reverse("cbms:report_attachment", args=[attachment.report_id, attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ReportSerializer(serializers.ModelSerializer):
    """Writes take `cbm` and `conference` on create only; `state` is read-only: sent, it is
    ignored (RELIABILITY goal 7). `country` may be sent, but only as the caller's own country
    (on create) or the report's (on PATCH); another is a 400 (goal 5)."""

    cbm = serializers.SlugRelatedField(slug_field="code", queryset=CBM.objects.all())
    conference = serializers.SlugRelatedField(
        slug_field="number", queryset=MinisterialConference.objects.all()
    )
    country = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Country.objects.all(),
        required=False,
        help_text="The reporting country: always the focal point's own, set by the server. "
        "Sending another is refused.",
    )
    state = ReportStateField(read_only=True)
    narrative = serializers.CharField(required=False, allow_blank=True, max_length=50_000)
    activities = ActivityUpdateSerializer(source="activity_updates", many=True, required=False)
    attachments = AttachmentOut(many=True, read_only=True)
    versions = serializers.IntegerField(read_only=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "cbm",
            "conference",
            "country",
            "state",
            "narrative",
            "activities",
            "attachments",
            "versions",
        ]
        # One report per CBM, cycle and country: report_start checks it, naming the field.
        validators = []

    def to_representation(self, instance):
        if not hasattr(instance, "versions"):
            instance.versions = instance.submissions.count()
        return super().to_representation(instance)


class ReportUpdateSerializer(ReportSerializer):
    cbm = serializers.SlugRelatedField(slug_field="code", read_only=True)
    conference = serializers.SlugRelatedField(slug_field="number", read_only=True)


class CommentIn(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


class FileIn(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)


class SubmissionOut(serializers.ModelSerializer):
    reviews = serializers.SerializerMethodField()

    class Meta:
        model = ReportSubmission
        fields = ["number", "narrative", "activities", "content_hash", "submitted_at", "reviews"]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "decision": {"type": "string", "enum": ["accepted", "returned"]},
                    "comment": {"type": "string"},
                    "at": {"type": "string", "format": "date-time"},
                },
            },
        }
    )
    def get_reviews(self, submission) -> list:
        return [
            {"decision": r.decision, "comment": r.comment, "at": api_timestamp(r.at)}
            for r in submission.reviews.all()
        ]
