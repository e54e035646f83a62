from hoa_portal.api.viewsets import PortalViewSet

from ..models import CBM, CBMRole
from .filters import CBMFilter, CBMRoleFilter
from .serializers import CBMRoleSerializer, CBMSerializer


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
