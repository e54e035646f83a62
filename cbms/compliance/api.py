from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from hoa_portal.api.permissions import SignedInReads
from hoa_portal.api.renderers import SpreadsheetRenderer, Table, columns_of
from hoa_portal.api.viewsets import PortalReadOnlyViewSet

from ..records.api import CBMViewSet
from .filters import ObligationFilter
from .selectors import cbm_compliance_on, obligation_list
from .serializers import ComplianceOut, ComplianceQuery, ObligationOut


# The CBMs of /cbms/ with their compliance on a day. The records know nothing of the rule, so the
# rule's subject adds its action to their viewset (whose docstring the schema keeps showing).
class CBMComplianceViewSet(CBMViewSet):
    export_actions = ["compliance"]  # `?format=csv|xlsx`: a row per obligation (the schema says)

    @extend_schema(
        summary="A CBM's RTG obligations on a day",
        description=(
            "Every conference cycle's prioritisation and review obligations of the CBM, as "
            "Article 25 of the Beijing Declaration makes them (an RTG within two months of each "
            "ministerial conference, a second no later than four months before the next), "
            "evaluated as on `on` (default: today in Kabul), each with its window, deadline, "
            "status and the meeting that met it; and the annual two-RTGs indicator. "
            "`?format=csv|xlsx` gives a row per obligation (XLSX: the annual counts on a sheet "
            "of their own). For signed-in users."
        ),
        parameters=[ComplianceQuery],
        responses=ComplianceOut,
    )
    @action(detail=True, methods=["get"], permission_classes=[SignedInReads])
    def compliance(self, request, code=None):
        query = ComplianceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("on") or timezone.localdate()
        data = ComplianceOut(cbm_compliance_on(cbm=self.get_object(), on=on)).data
        renderer = request.accepted_renderer
        if isinstance(renderer, SpreadsheetRenderer):
            # One row per obligation; the annual counts are a sheet of their own (XLSX only).
            fields = ComplianceOut().fields
            tables = [
                Table(name, columns_of(fields[name].child), data[name])
                for name in ("obligations", "annual")
            ]
            return renderer.export(tables, filename=f"compliance-{data['cbm']}-{data['on']}")
        return Response(data)


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
