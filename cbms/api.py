from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .filters import ObligationFilter
from .models import CBM
from .selectors import cbm_compliance_on, obligation_list
from .serializers import CBMOut, ComplianceOut, ComplianceQuery, ObligationOut


class CBMViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CBMOut
    lookup_field = "code"
    # Codes such as DM&EP contain characters other than letters; only the slash is excluded.
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return CBM.objects.with_parties().order_by("code")

    # Compliance is for analysts and staff (SPEC §5), not the anonymous public.
    @extend_schema(parameters=[ComplianceQuery], responses=ComplianceOut)
    @action(detail=True, methods=["get"], permission_classes=[IsAuthenticated])
    def compliance(self, request, code=None):
        query = ComplianceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("on") or timezone.localdate()
        report = cbm_compliance_on(cbm=self.get_object(), on=on)
        return Response(ComplianceOut(report).data)


class ObligationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ObligationOut
    filterset_class = ObligationFilter
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return obligation_list()
