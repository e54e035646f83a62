import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from rest_framework import serializers

from hoa_portal.api.serializers import ModelCleanSerializer

from .models import Country, Notification, ParticipationKind, Role, User

CODE = re.compile(r"[A-Z]{3}")  # ISO 3166-1 alpha-3, as the country_code_alpha3 constraint


class CountrySerializer(ModelCleanSerializer):
    """A country with the period it is shown with: the current one, else the most recent.

    `participation`, `since` and `until` are read from the queryset's annotations (see
    CountryViewSet.get_queryset) and written to that period by members.services.
    """

    participation = serializers.ChoiceField(
        choices=ParticipationKind.choices, allow_null=True, required=False
    )
    since = serializers.DateField(allow_null=True, required=False)
    until = serializers.DateField(
        allow_null=True, required=False, help_text="Empty while the period is ongoing."
    )

    class Meta:
        model = Country
        fields = ["code", "name", "participation", "since", "until"]

    def validate_code(self, value: str) -> str:
        if not CODE.fullmatch(value):
            raise serializers.ValidationError("The code must be three upper-case letters.")
        return value


class OptionalEmailField(serializers.CharField):
    """An email address, or "" for an account without one. Checked here rather than by an
    EmailField, whose `format: email` in the schema would refuse the empty string."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value:
            try:
                validate_email(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from exc
        return value


class UserOut(serializers.ModelSerializer):
    email = OptionalEmailField(allow_blank=True, max_length=254, required=False)
    country = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Country.objects.all(),
        allow_null=True,
        required=False,
        help_text="The country a focal point represents; null for other roles.",
    )

    class Meta:
        model = User
        fields = ["id", "username", "email", "role", "country"]


class UserIn(UserOut, ModelCleanSerializer):
    password = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        max_length=128,
        style={"input_type": "password"},
        help_text="Required on creation; stored hashed, never returned.",
    )

    class Meta(UserOut.Meta):
        fields = [*UserOut.Meta.fields, "password"]
        # Every account is created with a role on purpose: it decides what the person may do.
        extra_kwargs = {"role": {"required": True}}

    def validate(self, attrs):
        role = attrs.get("role", getattr(self.instance, "role", None))
        has_country = (
            attrs["country"] is not None
            if "country" in attrs
            else getattr(self.instance, "country_id", None) is not None
        )
        errors = {}
        if self.instance is None and "password" not in attrs:
            errors["password"] = ["A new account needs a password."]
        if role == Role.FOCAL_POINT and not has_country:
            errors["country"] = ["A focal point needs a country."]
        if role != Role.FOCAL_POINT and has_country:
            errors["country"] = ["Only a focal point has a country."]
        if errors:
            raise serializers.ValidationError(errors)
        # The model's own checks see the raw password only as "not blank"; it is hashed on save.
        return super().validate(attrs)


class NotificationOut(serializers.ModelSerializer):
    """One of the caller's in-portal notices; `link` is a path of the portal (its record)."""

    read = serializers.BooleanField(read_only=True, help_text="Whether the caller has read it.")

    class Meta:
        model = Notification
        fields = ["id", "subject", "body", "link", "created_at", "read"]
        read_only_fields = fields


class MarkedOut(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many unread notices were marked read.")
