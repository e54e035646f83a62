from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from members.models import User
from members.permissions import needs_second_factor
from members.second_factor import has_second_factor, second_factor_match


class TokenRequestSerializer(AuthTokenSerializer):
    # As long as a username can be: a longer one is refused here, before django-axes records
    # the attempt in its 255-character column (a 500 otherwise).
    username = serializers.CharField(
        label="Username", write_only=True, max_length=User._meta.get_field("username").max_length
    )
    otp = serializers.CharField(
        required=False,
        write_only=True,
        help_text="The one-time code of the caller's authenticator app: required of the "
        "secretariat and focal points (they set the app up at their first sign-in in the portal).",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs["user"]
        if needs_second_factor(user):
            if not has_second_factor(user):
                raise serializers.ValidationError(
                    {"otp": [_("Sign in to the portal once to set up your authenticator app.")]}
                )
            if second_factor_match(user, attrs.get("otp", "").strip()) is None:
                raise serializers.ValidationError(
                    {"otp": [_("A current one-time code from your authenticator app is required.")]}
                )
        return attrs


class TokenView(APIView):
    """`POST {"username", "password", "otp"}` → `{"token"}`. Tokens are stored hashed (knox):
    the key is shown once, here, and cannot be read back from the database. Those who need a
    second factor (members.permissions) get a token only with a current one-time code."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "TokenOut",
                {"token": serializers.CharField(), "expiry": serializers.DateTimeField()},
            ),
            429: OpenApiResponse(
                inline_serializer("LockedOut", {"detail": serializers.CharField()}),
                description="Too many failed sign-ins: the account is locked for a while "
                "(Retry-After), or too many requests from this address.",
            ),
        },
        auth=[],
    )
    def post(self, request):
        # Django's own request: django-axes marks a locked-out attempt on it, and its
        # middleware answers 429 (members.signin.lockout_response).
        credentials = TokenRequestSerializer(
            data=request.data, context={"request": request._request}
        )
        if not credentials.is_valid():
            # Answered, not raised: an exception would roll back the request's transaction, and
            # the failed attempt django-axes has just recorded with it.
            return Response(credentials.errors, status=status.HTTP_400_BAD_REQUEST)
        instance, token = AuthToken.objects.create(user=credentials.validated_data["user"])
        return Response({"token": token, "expiry": instance.expiry})
