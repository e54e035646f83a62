from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from hoa_portal.api.permissions import SecretariatOnly
from hoa_portal.api.viewsets import PortalViewSet

from .filters import CountryFilter, UserFilter
from .models import Country, Participation, User
from .serializers import CountrySerializer, UserIn, UserOut
from .services import (
    PERIOD_FIELDS,
    country_create,
    country_update,
    participation_shown_first,
    user_create,
    user_delete,
    user_update,
)


def country_list() -> QuerySet[Country]:
    """Countries annotated with the period each is shown with, in one query however many."""
    shown = Participation.objects.filter(country=OuterRef("pk")).order_by(
        *participation_shown_first(timezone.localdate())
    )
    return Country.objects.annotate(
        participation=Subquery(shown.values("kind")[:1]),
        since=Subquery(shown.values("since")[:1]),
        until=Subquery(shown.values("until")[:1]),
    )


def _split(validated_data: dict) -> tuple[dict, dict]:
    """The country's own fields, and those of the period it is shown with."""
    period = {k: v for k, v in validated_data.items() if k in PERIOD_FIELDS}
    own = {k: v for k, v in validated_data.items() if k not in PERIOD_FIELDS}
    return own, period


class CountryViewSet(PortalViewSet):
    """Countries by ISO 3166-1 alpha-3 code. Writing `participation`, `since` or `until` changes
    the period the country is shown with, or records one if it has none."""

    serializer_class = CountrySerializer
    filterset_class = CountryFilter
    lookup_field = "code"
    ordering_fields = ["code", "name", "participation", "since", "until"]
    ordering = ["name"]

    def get_queryset(self):
        return country_list()

    def perform_create(self, serializer):
        own, period = _split(serializer.validated_data)
        country = country_create(actor=self.request.user, period=period, **own)
        serializer.instance = self.get_queryset().get(pk=country.pk)

    def perform_update(self, serializer):
        own, period = _split(serializer.validated_data)
        country = country_update(
            country=serializer.instance, actor=self.request.user, changes=own, period=period
        )
        serializer.instance = self.get_queryset().get(pk=country.pk)


class UserViewSet(PortalViewSet):
    """Portal accounts: the secretariat's alone, for reading as for writing."""

    filterset_class = UserFilter
    permission_classes = [SecretariatOnly]
    ordering_fields = ["id", "username", "email", "role"]
    ordering = ["username"]

    def get_queryset(self):
        return User.objects.select_related("country").order_by("username")

    def get_serializer_class(self):
        # Reads (and the CSV export) use the output fields: the password is never a column.
        return UserIn if self.request and self.request.method not in ("GET", "HEAD") else UserOut

    def perform_create(self, serializer):
        serializer.instance = user_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = user_update(
            user=serializer.instance,
            actor=self.request.user,
            changes=serializer.validated_data,
        )

    def perform_destroy(self, instance):
        # As in the portal: an account that appears in any record or history is deactivated,
        # never deleted, so every change keeps its author.
        user_delete(user=instance, actor=self.request.user)
