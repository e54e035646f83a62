from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers
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
        responses=inline_serializer(
            "TokenOut", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()}
        ),
        auth=[],
    )
    def post(self, request):
        credentials = AuthTokenSerializer(data=request.data, context={"request": request})
        credentials.is_valid(raise_exception=True)
        instance, token = AuthToken.objects.create(user=credentials.validated_data["user"])
        return Response({"token": token, "expiry": instance.expiry})
