from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from hoa_portal.api.permissions import SignedInReads
from hoa_portal.api.viewsets import PortalReadOnlyViewSet

from .filters import ObligationFilter
from .models import CBM
from .selectors import cbm_compliance_on, obligation_list
from .serializers import CBMOut, ComplianceOut, ComplianceQuery, ObligationOut


class CBMViewSet(PortalReadOnlyViewSet):
    serializer_class = CBMOut
    lookup_field = "code"
    # Codes such as DM&EP contain characters other than letters; only the slash is excluded.
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return CBM.objects.with_parties().order_by("code")

    @extend_schema(parameters=[ComplianceQuery], responses=ComplianceOut)
    @action(detail=True, methods=["get"], permission_classes=[SignedInReads])
    def compliance(self, request, code=None):
        query = ComplianceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("on") or timezone.localdate()
        report = cbm_compliance_on(cbm=self.get_object(), on=on)
        return Response(ComplianceOut(report).data)


class ObligationViewSet(PortalReadOnlyViewSet):
    """Obligations as the last evaluation stored them; computed, so never written here."""

    serializer_class = ObligationOut
    filterset_class = ObligationFilter
    permission_classes = [SignedInReads]
    ordering_fields = ["deadline", "window_start", "status", "id"]

    def get_queryset(self):
        return obligation_list()
