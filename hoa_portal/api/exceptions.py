"""Every refusal is a clear 4xx: services raise Django's ValidationError / PermissionDenied,
a delete that other records stand in the way of is a 409 naming them, and the database's own
refusals (a constraint no validator foresaw) are a 400, never a 500."""

import logging
from collections import Counter

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

logger = logging.getLogger(__name__)


def portal_exception_handler(exc, context):
    answer_in_json(context.get("request"))
    if isinstance(exc, ProtectedError | RestrictedError):
        # Before IntegrityError, of which both are subclasses.
        set_rollback()
        return referenced_response(exc)
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


def answer_in_json(request) -> None:
    """Every error under /api/ is JSON, whatever the view would write otherwise (the schema's
    YAML, the docs' page, a CSV export), so a client parses one shape of error everywhere."""
    if request is not None and not isinstance(
        getattr(request, "accepted_renderer", None), JSONRenderer
    ):
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


def referenced_response(exc: ProtectedError | RestrictedError) -> Response:
    """409 `{"detail", "referenced_by": [{"model", "count"}]}`: the kinds of record that refer
    to the one being deleted, and how many of each."""
    objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    counts = Counter(type(obj)._meta for obj in objects)
    by_model = sorted(counts.items(), key=lambda item: item[0].label_lower)
    return Response(
        {
            "detail": gettext(
                "Other records refer to this one (%(references)s): nothing was deleted. Delete "
                "or change them first."
            )
            % {
                "references": ", ".join(
                    f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"
                    for meta, count in by_model
                )
            },
            "referenced_by": [
                {"model": meta.label_lower, "count": count} for meta, count in by_model
            ],
        },
        status=status.HTTP_409_CONFLICT,
    )
