import copy

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.settings import api_settings


class ModelCleanSerializer(serializers.ModelSerializer):
    """Runs the model's own validation (clean(), check and unique constraints) before saving.

    DRF does not evaluate CheckConstraints, so without this a bad row would reach the database
    and come back as an IntegrityError: here it is a 400 naming the field.
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        candidate = copy.copy(self.instance) if self.instance else self.Meta.model()
        for name, value in attrs.items():
            field = candidate._meta.get_field(name) if _is_concrete(candidate, name) else None
            if field is not None:
                setattr(candidate, field.name, value)
        try:
            candidate.full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_as_field_errors(exc)) from exc
        return attrs


def _is_concrete(instance, name: str) -> bool:
    try:
        field = instance._meta.get_field(name)
    except Exception:
        return False
    return field.concrete and not field.many_to_many


def _as_field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    errors = {}
    for field, messages in exc.message_dict.items():
        key = api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field
        errors.setdefault(key, []).extend(messages)
    return errors
