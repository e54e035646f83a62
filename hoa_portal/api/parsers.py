"""What the API reads from a request body, within limits a hostile body cannot push past.

DRF reads the body from the request's stream, not through `request.body`, so Django's
DATA_UPLOAD_MAX_MEMORY_SIZE never applies to it: here it does, to JSON and to url-encoded forms
(multipart goes through Django's own parser, which applies it to every field but the files).

JSON nested deeper than Python's recursion limit raises RecursionError in the json module, which
DRF does not catch (a 500): here any body nested deeper than MAX_JSON_DEPTH is a 400, whether the
json module got through it or not, so the limit does not depend on the interpreter's.
"""

import io

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import FormParser, JSONParser

# Far deeper than any body the API takes (a report's activities are three levels deep), far
# shallower than the interpreter's recursion limit.
MAX_JSON_DEPTH = 64


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


def read_within_limit(stream) -> bytes:
    """The whole body, or BodyTooLarge as soon as it passes DATA_UPLOAD_MAX_MEMORY_SIZE (None:
    no limit, as in Django). Reads one byte past the limit, never the rest."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise BodyTooLarge(_("The request body is larger than %(limit)s bytes.") % {"limit": limit})
    return body


def nested_deeper_than(value, depth: int) -> bool:
    """Whether lists and objects in `value` nest more than `depth` levels (`[]` is one level).
    A loop, not a recursion: it must not fail the way the json module does."""
    pending = [(value, 1)] if isinstance(value, list | dict) else []
    while pending:
        container, level = pending.pop()
        if level > depth:
            return True
        children = container.values() if isinstance(container, dict) else container
        pending.extend((child, level + 1) for child in children if isinstance(child, list | dict))
    return False


def _too_deep() -> ParseError:
    return ParseError(
        _("JSON parse error - nested more than %(depth)s levels deep.") % {"depth": MAX_JSON_DEPTH}
    )


class PortalJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = io.BytesIO(read_within_limit(stream))
        try:
            data = super().parse(body, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        if nested_deeper_than(data, MAX_JSON_DEPTH):
            raise _too_deep()
        return data


class PortalFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(io.BytesIO(read_within_limit(stream)), media_type, parser_context)
