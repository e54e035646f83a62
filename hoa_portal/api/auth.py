from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class TokenView(APIView):
    """`POST {"username", "password"}` → `{"token"}`. Tokens are stored hashed (knox): the
    key is shown once, here, and cannot be read back from the database."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema(
        request=AuthTokenSerializer,
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
        credentials = AuthTokenSerializer(data=request.data, context={"request": request._request})
        if not credentials.is_valid():
            # Answered, not raised: an exception would roll back the request's transaction, and
            # the failed attempt django-axes has just recorded with it.
            return Response(credentials.errors, status=status.HTTP_400_BAD_REQUEST)
        instance, token = AuthToken.objects.create(user=credentials.validated_data["user"])
        return Response({"token": token, "expiry": instance.expiry})
