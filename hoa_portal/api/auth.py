from django.contrib.auth import logout
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from members.models import User
from members.permissions import needs_second_factor
from members.second_factor import has_second_factor, second_factor_match
from members.services import api_token_issue, api_token_revoke, api_tokens_revoke

from .timestamps import api_timestamp


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
        attrs["second_factor"] = needs_second_factor(user)
        if attrs["second_factor"]:
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
    second factor (members.permissions) get a token only with a current one-time code, and the
    token records that it was given (members.models.TokenGrant): one issued with the password
    alone stops working if the account later comes to need the code."""

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
        instance, token = api_token_issue(
            user=credentials.validated_data["user"],
            second_factor=credentials.validated_data["second_factor"],
        )
        return Response({"token": token, "expiry": api_timestamp(instance.expiry)})


class SignOut(APIView):
    """Signing out, for a signed-in caller only: anonymous callers get 401 (knox's header)."""

    permission_classes = [IsAuthenticated]

    @staticmethod
    def token_of(request) -> AuthToken | None:
        return request.auth if isinstance(request.auth, AuthToken) else None


@extend_schema(request=None, responses={204: None})
class LogoutView(SignOut):
    """`POST` → 204: the token the request is signed with stops working at once. Signed in with
    a browser session instead (no token), the session is signed out, as the portal's sign-out
    does. Anonymous callers get 401."""

    def post(self, request):
        token = self.token_of(request)
        if token is not None:
            api_token_revoke(token=token)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(request=None, responses={204: None})
class LogoutAllView(SignOut):
    """`POST` → 204: every API token of the caller stops working, the one this request is
    signed with included (a script, a laptop left somewhere). Called from a browser session, the
    session itself stays signed in: it is how a person revokes the tokens their scripts hold
    without signing out of the portal. Anonymous callers get 401."""

    def post(self, request):
        api_tokens_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
