"""Every refusal is a clear 4xx: services raise Django's ValidationError / PermissionDenied,
and the database's own refusals (a constraint no validator foresaw) are a 400, never a 500."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


def portal_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, IntegrityError):
        logger.warning("A write broke a database constraint: %s", exc)
        exc = exceptions.ValidationError(
            {"non_field_errors": ["This change conflicts with the records already stored."]}
        )
    return exception_handler(exc, context)
