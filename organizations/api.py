from hoa_portal.api.viewsets import PortalViewSet

from .filters import OrganizationFilter
from .models import Organization
from .serializers import OrganizationSerializer


class OrganizationViewSet(PortalViewSet):
    """Supporting organizations and the regional mechanisms, by acronym (`Colombo%20Plan`)."""

    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    lookup_field = "acronym"
    # Acronyms may hold spaces, dots or hyphens (AFG-PAK-CHN); only the slash is excluded.
    lookup_value_regex = "[^/]+"
    ordering_fields = ["acronym", "name", "kind"]
    ordering = ["acronym"]

    def get_queryset(self):
        return Organization.objects.order_by("acronym")
