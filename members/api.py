from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from hoa_portal.api.permissions import SecretariatOnly
from hoa_portal.api.viewsets import PortalReadOnlyViewSet, PortalViewSet

from .filters import CountryFilter, NotificationFilter, UserFilter
from .models import Country, Notification, Participation, User
from .permissions import can_see_compliance
from .serializers import CountrySerializer, MarkedOut, NotificationOut, UserIn, UserOut
from .services import (
    PERIOD_FIELDS,
    country_create,
    country_update,
    notification_list,
    notification_mark_read,
    notifications_mark_all_read,
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


class AccountKept(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


@extend_schema_view(
    destroy=extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(
                description="The account is the caller's own, or the records or their history "
                "name it: nothing was deleted (deactivate it instead)."
            ),
        }
    )
)
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
        own_password = (
            "password" in serializer.validated_data
            and serializer.instance.pk == self.request.user.pk
        )
        if own_password and isinstance(
            self.request.successful_authenticator, SessionAuthentication
        ):
            # A new password signs out the account's other sessions, not the one that set it.
            update_session_auth_hash(self.request, serializer.instance)

    def perform_destroy(self, instance):
        # As in the portal: an account that appears in any record or history is deactivated,
        # never deleted, so every change keeps its author.
        try:
            user_delete(user=instance, actor=self.request.user)
        except DjangoValidationError as exc:
            # Refused for what the account is (the caller's own, or named in the records), not
            # for anything the request said: a conflict, as for any record others refer to.
            raise AccountKept(" ".join(exc.messages)) from exc


class SignedIn(BasePermission):
    """Any signed-in, active person, for their own notices; anonymous callers get 401."""

    def has_permission(self, request, view):
        return can_see_compliance(request.user)


class NotificationViewSet(PortalReadOnlyViewSet):
    """The caller's own in-portal notices, newest first; another person's is 404. Nobody creates,
    changes or deletes one here: the portal writes them; the caller only marks them read."""

    serializer_class = NotificationOut
    filterset_class = NotificationFilter
    permission_classes = [SignedIn]
    ordering_fields = ["id", "created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation: nobody asks
            return Notification.objects.none()
        return notification_list(user=self.request.user)

    @extend_schema(request=None, responses=NotificationOut)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = notification_mark_read(notification=self.get_object(), actor=request.user)
        return Response(NotificationOut(self.get_queryset().get(pk=notification.pk)).data)

    @extend_schema(request=None, responses=MarkedOut)
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[])
    def read_all(self, request):
        return Response(MarkedOut({"marked": notifications_mark_all_read(actor=request.user)}).data)
