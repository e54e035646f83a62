from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from hoa_portal.api.permissions import SignedInReads
from hoa_portal.api.viewsets import PortalReadOnlyViewSet, PortalViewSet

from .filters import CBMFilter, CBMRoleFilter, ObligationFilter
from .models import CBM, CBMRole
from .selectors import cbm_compliance_on, obligation_list
from .serializers import (
    CBMRoleSerializer,
    CBMSerializer,
    ComplianceOut,
    ComplianceQuery,
    ObligationOut,
)


class CBMViewSet(PortalViewSet):
    """CBMs by code (`DM%26EP`). `leads` and `supporting` are written through /cbm-roles/."""

    serializer_class = CBMSerializer
    filterset_class = CBMFilter
    lookup_field = "code"
    # Codes such as DM&EP contain characters other than letters; only the slash is excluded.
    lookup_value_regex = "[^/]+"
    ordering_fields = ["code", "name", "approved_on"]
    ordering = ["code"]

    def get_queryset(self):
        return CBM.objects.with_parties().order_by("code")

    def perform_create(self, serializer):
        super().perform_create(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(parameters=[ComplianceQuery], responses=ComplianceOut)
    @action(detail=True, methods=["get"], permission_classes=[SignedInReads])
    def compliance(self, request, code=None):
        query = ComplianceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("on") or timezone.localdate()
        report = cbm_compliance_on(cbm=self.get_object(), on=on)
        return Response(ComplianceOut(report).data)


class CBMRoleViewSet(PortalViewSet):
    """Who leads or supports which CBM, and when. `?on=YYYY-MM-DD` keeps the roles of a day."""

    serializer_class = CBMRoleSerializer
    filterset_class = CBMRoleFilter
    ordering_fields = ["id", "cbm", "role", "since", "until"]
    ordering = ["cbm__code", "role", "since", "id"]

    def get_queryset(self):
        return CBMRole.objects.select_related("cbm", "country", "organization").order_by(
            "cbm__code", "role", "since", "id"
        )


class ObligationViewSet(PortalReadOnlyViewSet):
    """Obligations as the last evaluation stored them; computed, so never written here."""

    serializer_class = ObligationOut
    filterset_class = ObligationFilter
    permission_classes = [SignedInReads]
    ordering_fields = [
        "id",
        "cbm",
        "conference",
        "kind",
        "window_start",
        "deadline",
        "status",
        "evaluated_on",
    ]

    def get_queryset(self):
        return obligation_list()
