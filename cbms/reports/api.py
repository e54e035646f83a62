"""`/api/v1/reports/`: progress reports (SPEC §4, §6).

Views only parse input and call the workflow in cbms.reports.services; rows outside the caller's
scope are 404 (`ProgressReport.objects.visible_to`), a step the state does not allow is 409.

Optimistic concurrency (RELIABILITY goal 10b), as NetBox does it: a report's responses carry an
`ETag` made of its id and version; a write (PATCH, an action, an upload) that sends `If-Match`
with a tag that is no longer current answers 412 and changes nothing. Without `If-Match` a write
is not checked.
"""

import html
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from django.utils.encoding import force_str
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from hoa_portal.api.parsers import PortalFormParser
from hoa_portal.api.viewsets import PortalViewSet
from members.permissions import is_focal_point

from ..models import (
    ProgressReport,
    ReportActivityUpdate,
    ReportAttachment,
)
from .filters import ReportFilter
from .permissions import can_write_report
from .selectors import report_submissions, submission_count
from .serializers import (
    AttachmentOut,
    CommentIn,
    FileIn,
    ReportSerializer,
    ReportUpdateSerializer,
    SubmissionOut,
)
from .services import (
    ReportChangedError,
    ReportStateError,
    attachment_add,
    attachment_remove,
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


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The report was changed since you read it: fetch it again."
    default_code = "precondition_failed"


def _run(service, **kwargs):
    try:
        return service(**kwargs)
    except ReportStateError as exc:
        raise Conflict(str(exc)) from exc
    except ReportChangedError as exc:
        raise PreconditionFailed(
            f'The report was changed since you read it: its ETag is now "{exc.report_id}.'
            f'{exc.version}". Nothing was changed; fetch it again and redo your change.'
        ) from exc


# --- ETag and If-Match --------------------------------------------------------------------------

ENTITY_TAG = re.compile(r'"(\d{1,18})\.(\d{1,18})"', re.ASCII)  # bounded: int() of any match


def report_etag(report: ProgressReport) -> str:
    """A strong entity tag: the report's id and its version, which every write bumps."""
    return f'"{report.pk}.{report.version}"'


def if_match_versions(request, report: ProgressReport) -> set[int] | None:
    """The versions of this report an `If-Match` header accepts (RFC 9110 §13.1.1), or None when
    there is no header or it is `*`. Weak tags, other reports' tags and junk accept none."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags:
        return None
    versions = set()
    for tag in tags:
        match = ENTITY_TAG.fullmatch(tag)
        if match and int(match[1]) == report.pk:
            versions.add(int(match[2]))
    return versions


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The `ETag` of the report as the caller last read it. If the report has been "
    "written since, the request changes nothing and answers 412. Without it the write is not "
    "checked.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The report's current entity tag, for `If-Match` on a later write.",
)
PRECONDITION_FAILED = OpenApiResponse(
    response=inline_serializer("PreconditionFailed", {"detail": serializers.CharField()}),
    description="`If-Match` names a version of the report that is no longer current: nothing "
    "was changed. Fetch the report again (GET gives its `ETag`) and redo the change.",
)


# --- Uploads ------------------------------------------------------------------------------------


class _SentNameMultiPartParser(DjangoMultiPartParser):
    """Django's parser, keeping on each uploaded file the name the client sent (`sent_name`).

    Django cuts a name down to its last path component (`../x.pdf` → `x.pdf`) before anyone
    sees it; attachment_validate refuses a name that arrived with folders.
    """

    _sent_name = None

    def sanitize_file_name(self, file_name):
        self._sent_name = html.unescape(file_name)
        return super().sanitize_file_name(file_name)

    def handle_file_complete(self, old_field_name, counters):
        key = force_str(old_field_name, self._encoding, errors="replace")
        before = len(self._files.getlist(key))
        super().handle_file_complete(old_field_name, counters)
        received = self._files.getlist(key)
        if len(received) > before:
            received[-1].sent_name = self._sent_name


class SentNameMultiPartParser(MultiPartParser):
    """DRF's multipart parser on `_SentNameMultiPartParser`; only the attachment upload uses it."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            parser = _SentNameMultiPartParser(meta, stream, request.upload_handlers, encoding)
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        return DataAndFiles(data, files)


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


# --- The viewset --------------------------------------------------------------------------------

REPORT_COLUMNS = ["id", "cbm", "conference", "country", "state"]
ACTIVITY_COLUMNS = ["activity", "status", "percent", "note"]
CONFLICT = OpenApiResponse(description="The report's state does not allow this step.")
NOT_FOUND = OpenApiResponse(description="No such report or attachment, or not yours to see.")
WRITE_RESPONSES = {409: CONFLICT, 412: PRECONDITION_FAILED}


class ProgressReportViewSet(PortalViewSet):
    """Progress reports. A focal point of a leading country creates and edits drafts (its own
    country's, whatever `country` says); the secretariat accepts or returns submissions."""

    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    permission_classes = [ReportPermission]
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["id", "cbm", "conference", "country", "state", "versions"]
    ordering = ["-id"]
    # CSV and XLSX: one row per activity update, under its report's columns; a report without
    # one still has its row.
    export_columns = [*REPORT_COLUMNS, *ACTIVITY_COLUMNS]

    def export_rows(self, item):
        report = {column: item[column] for column in REPORT_COLUMNS}
        for update in item["activities"] or [{}]:
            yield {**report, **{column: update.get(column) for column in ACTIVITY_COLUMNS}}

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
            .annotate(versions=submission_count(self.request.user))
            .order_by("-id")
        )

    def get_serializer_class(self):
        if self.request is not None and self.request.method in ("PATCH", "PUT"):
            return ReportUpdateSerializer
        return ReportSerializer

    def _out(self, report, status_code=status.HTTP_200_OK):
        report = self.get_queryset().get(pk=report.pk)
        return Response(
            self.get_serializer(report).data,
            status=status_code,
            headers={"ETag": report_etag(report)},
        )

    @extend_schema(parameters=[ETAG])
    def retrieve(self, request, *args, **kwargs):
        report = self.get_object()
        return Response(self.get_serializer(report).data, headers={"ETag": report_etag(report)})

    @staticmethod
    def _activities(data):
        updates = data.get("activity_updates")
        if updates is None:
            return None
        return [{**item, "activity": item["activity_id"]} for item in updates]

    @extend_schema(parameters=[ETAG])
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
            country=data.get("country"),
        )
        return self._out(report, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[IF_MATCH, ETAG], responses={200: ReportSerializer, **WRITE_RESPONSES}
    )
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
            country=data.get("country"),
            expected_version=if_match_versions(request, report),
        )
        return self._out(report)

    @extend_schema(
        request=None,
        parameters=[IF_MATCH, ETAG],
        responses={200: ReportSerializer, **WRITE_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        report = self.get_object()
        report = _run(
            report_submit,
            report=report,
            actor=request.user,
            expected_version=if_match_versions(request, report),
        )
        return self._out(report)

    def _review(self, request, service):
        report = self.get_object()
        body = CommentIn(data=request.data)
        body.is_valid(raise_exception=True)
        report = _run(
            service,
            report=report,
            actor=request.user,
            comment=body.validated_data["comment"],
            expected_version=if_match_versions(request, report),
        )
        return self._out(report)

    @extend_schema(
        request=CommentIn,
        parameters=[IF_MATCH, ETAG],
        responses={200: ReportSerializer, **WRITE_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._review(request, report_accept)

    @extend_schema(
        request=CommentIn,
        parameters=[IF_MATCH, ETAG],
        responses={200: ReportSerializer, **WRITE_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self._review(request, report_return)

    @extend_schema(
        request=FileIn, parameters=[IF_MATCH], responses={201: AttachmentOut, **WRITE_RESPONSES}
    )
    @action(
        detail=True, methods=["post"], parser_classes=[SentNameMultiPartParser, PortalFormParser]
    )
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
            expected_version=if_match_versions(request, report),
        )
        return Response(
            AttachmentOut(attachment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=None,
        parameters=[
            IF_MATCH,
            OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={204: None, 404: NOT_FOUND, **WRITE_RESPONSES},
        description="Take a file off a draft or returned report. A file that went with a "
        "submitted version stays on the record (409).",
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"attachments/(?P<attachment_id>[0-9]{1,18})",
        url_name="attachment-remove",
        # Only this route answers DELETE: a report itself is never deleted.
        http_method_names=["delete", "options"],
    )
    def attachment_remove(self, request, pk=None, attachment_id=None):
        report = self.get_object()
        try:
            _run(
                attachment_remove,
                report=report,
                actor=request.user,
                attachment_id=int(attachment_id),
                expected_version=if_match_versions(request, report),
            )
        except ReportAttachment.DoesNotExist as exc:
            raise Http404 from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses=SubmissionOut(many=True),
        description="Every submission with its reviews, for the secretariat and the reporting "
        "country's focal points; for everyone else the accepted submission alone, without "
        "reviews.",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def versions(self, request, pk=None):
        # The public and analysts: the accepted submission alone, without review comments.
        report = self.get_object()
        submissions = report_submissions(report=report, user=request.user)
        return Response(SubmissionOut(submissions, many=True).data)
