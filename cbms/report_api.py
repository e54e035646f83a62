"""`/api/v1/reports/`: progress reports (SPEC §4, §6).

Views only parse input and call the services in cbms.reports; rows outside the caller's scope are
404 (`ProgressReport.objects.visible_to`), a step the state does not allow is 409.
"""

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from conferences.filters import IntegerFilter
from conferences.models import MinisterialConference
from hoa_portal.api.viewsets import PortalViewSet
from members.permissions import is_focal_point

from .models import (
    CBM,
    ActivityStatus,
    ProgressReport,
    ReportActivityUpdate,
    ReportAttachment,
    ReportState,
    ReportSubmission,
)
from .reports import (
    ReportStateError,
    attachment_add,
    can_write_report,
    report_accept,
    report_return,
    report_start,
    report_submit,
    report_update_draft,
)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The report's state does not allow this."
    default_code = "conflict"


def _run(service, **kwargs):
    try:
        return service(**kwargs)
    except ReportStateError as exc:
        raise Conflict(str(exc)) from exc


class ReportPermission(BasePermission):
    """Anyone reads (scoped by `visible_to`); writes need a signed-in user (else 401), creating
    one a focal point (else 403). The services decide the rest."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if view.action == "create":
            return is_focal_point(user)
        return True


# --- Serializers --------------------------------------------------------------------------------


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
    """Writes take `cbm` and `conference` on create only; `country` and `state` are read-only:
    sent, they are ignored (RELIABILITY goals 5 and 7)."""

    cbm = serializers.SlugRelatedField(slug_field="code", queryset=CBM.objects.all())
    conference = serializers.SlugRelatedField(
        slug_field="number", queryset=MinisterialConference.objects.all()
    )
    country = serializers.CharField(source="country.code", read_only=True)
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
            {"decision": r.decision, "comment": r.comment, "at": r.at.isoformat()}
            for r in submission.reviews.all()
        ]


# --- Filters ------------------------------------------------------------------------------------


class ReportFilter(django_filters.FilterSet):
    id = IntegerFilter()
    cbm = django_filters.CharFilter(field_name="cbm__code", lookup_expr="iexact")
    conference = IntegerFilter(field_name="conference__number")
    country = django_filters.CharFilter(field_name="country__code", lookup_expr="iexact")
    state = django_filters.ChoiceFilter(choices=ReportState.choices)
    narrative = django_filters.CharFilter(lookup_expr="icontains")
    activities = IntegerFilter(
        field_name="activity_updates__activity", label="Id of an activity the report updates."
    )
    attachments = django_filters.CharFilter(
        field_name="attachments__original_name",
        lookup_expr="icontains",
        label="Part of an attachment's name.",
        distinct=True,
    )
    versions = IntegerFilter(label="Number of submissions.")

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


# --- The viewset --------------------------------------------------------------------------------

CONFLICT = OpenApiResponse(description="The report's state does not allow this step.")


class ProgressReportViewSet(PortalViewSet):
    """Progress reports. A focal point of a leading country creates and edits drafts (its own
    country's, whatever `country` says); the secretariat accepts or returns submissions."""

    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    permission_classes = [ReportPermission]
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["id", "cbm", "conference", "country", "state", "versions"]
    ordering = ["-id"]

    def get_queryset(self):
        return (
            ProgressReport.objects.visible_to(self.request.user)
            .select_related("cbm", "conference", "country")
            .prefetch_related(
                Prefetch(
                    "activity_updates",
                    queryset=ReportActivityUpdate.objects.order_by("activity_id"),
                ),
                "attachments",
            )
            .annotate(versions=Count("submissions", distinct=True))
            .order_by("-id")
        )

    def get_serializer_class(self):
        if self.request is not None and self.request.method in ("PATCH", "PUT"):
            return ReportUpdateSerializer
        return ReportSerializer

    def _out(self, report, status_code=status.HTTP_200_OK):
        report = self.get_queryset().get(pk=report.pk)
        return Response(self.get_serializer(report).data, status=status_code)

    @staticmethod
    def _activities(data):
        updates = data.get("activity_updates")
        if updates is None:
            return None
        return [{**item, "activity": item["activity_id"]} for item in updates]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        report = report_start(
            cbm=data["cbm"],
            conference=data["conference"],
            actor=request.user,
            narrative=data.get("narrative", ""),
            activities=self._activities(data),
        )
        return self._out(report, status.HTTP_201_CREATED)

    @extend_schema(responses={200: ReportSerializer, 409: CONFLICT})
    def partial_update(self, request, *args, **kwargs):
        report = self.get_object()
        serializer = self.get_serializer(report, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        _run(
            report_update_draft,
            report=report,
            actor=request.user,
            narrative=data.get("narrative"),
            activities=self._activities(data),
        )
        return self._out(report)

    @extend_schema(request=None, responses={200: ReportSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        report = _run(report_submit, report=self.get_object(), actor=request.user)
        return self._out(report)

    @extend_schema(request=CommentIn, responses={200: ReportSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        body = CommentIn(data=request.data)
        body.is_valid(raise_exception=True)
        report = _run(
            report_accept,
            report=self.get_object(),
            actor=request.user,
            comment=body.validated_data["comment"],
        )
        return self._out(report)

    @extend_schema(request=CommentIn, responses={200: ReportSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        body = CommentIn(data=request.data)
        body.is_valid(raise_exception=True)
        report = _run(
            report_return,
            report=self.get_object(),
            actor=request.user,
            comment=body.validated_data["comment"],
        )
        return self._out(report)

    @extend_schema(request=FileIn, responses={201: AttachmentOut, 409: CONFLICT})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        report = self.get_object()
        if not can_write_report(request.user, report):  # before reading the body
            raise PermissionDenied("Only a focal point of the reporting country attaches files.")
        body = FileIn(data=request.data)
        body.is_valid(raise_exception=True)
        attachment = _run(
            attachment_add,
            report=report,
            actor=request.user,
            uploaded_file=body.validated_data["file"],
        )
        return Response(
            AttachmentOut(attachment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses=SubmissionOut(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def versions(self, request, pk=None):
        report = self.get_object()
        submissions = report.submissions.prefetch_related("reviews").order_by("number")
        return Response(SubmissionOut(submissions, many=True).data)
