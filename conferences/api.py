from django.db.models import Q
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from hoa_portal.api.filters import names_a_filter
from hoa_portal.api.viewsets import PortalViewSet
from members.permissions import is_focal_point, is_secretariat

from .filters import ConferenceFilter, MeetingFilter
from .models import Meeting, MeetingKind, MinisterialConference
from .permissions import can_record_meeting
from .serializers import ConferenceSerializer, MeetingSerializer


class ConferenceViewSet(PortalViewSet):
    """Ministerial Conferences by number; `?date_after=&date_before=` filter on the date."""

    serializer_class = ConferenceSerializer
    filterset_class = ConferenceFilter
    lookup_field = "number"
    ordering_fields = ["number", "date", "year", "city", "status"]
    ordering = ["number"]

    def get_queryset(self):
        return MinisterialConference.objects.select_related("host", "declaration").order_by(
            "number"
        )


class MeetingWriters(BasePermission):
    """The secretariat, and focal points (whose rows are then checked one by one)."""

    def has_permission(self, request, view):
        user = request.user
        return request.method in SAFE_METHODS or is_secretariat(user) or is_focal_point(user)

    def has_object_permission(self, request, view, meeting):
        return request.method in SAFE_METHODS or can_record_meeting(
            request.user, kind=meeting.kind, cbm=meeting.cbm
        )


class MeetingViewSet(PortalViewSet):
    """SOMs, AMs and RTGs. `?date_after=&date_before=` filter on the date."""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    permission_classes = [MeetingWriters]
    ordering_fields = ["date", "kind", "status", "id"]
    ordering = ["-date", "id"]

    def get_queryset(self):
        user = self.request.user
        meetings = Meeting.objects.visible_to(user)
        if self.request.method not in SAFE_METHODS and not is_secretariat(user):
            # An RTG the caller may read but not record is not found for a write (404, goal 4);
            # a SOM or AM is found, and refused (403).
            recordable = Meeting.objects.recordable_by(user).values("pk")
            meetings = meetings.filter(~Q(kind=MeetingKind.RTG) | Q(pk__in=recordable))
        return meetings.select_related("cbm", "host")

    def list_count(self, queryset):
        # Unfiltered, the list is every meeting the user may see: the tally knows how many.
        if not names_a_filter(self.request, self.filterset_class):
            tallied = Meeting.objects.count_visible_to(self.request.user)
            if tallied is not None:
                return lambda: tallied
        return super().list_count(queryset)

    def perform_create(self, serializer):
        self._check_may_record(serializer.validated_data)
        serializer.save()

    def perform_update(self, serializer):
        # The meeting as it will be: a focal point may not move an RTG to a CBM it does not lead.
        self._check_may_record(_merged(serializer))
        serializer.save()

    def _check_may_record(self, data):
        if not can_record_meeting(self.request.user, kind=data.get("kind"), cbm=data.get("cbm")):
            raise PermissionDenied("You may only record RTGs of a CBM your country leads.")


def _merged(serializer) -> dict:
    instance = serializer.instance
    return {
        "kind": serializer.validated_data.get("kind", instance.kind),
        "cbm": serializer.validated_data.get("cbm", instance.cbm),
    }
