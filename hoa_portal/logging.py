"""Log lines an operator can follow one request through: a request id, and JSON when asked.

`LOG_FORMAT=json` writes one JSON object per line (time, level, logger, message, request_id,
exception), for a log shipper; anything else writes plain text. Every line written while a
request is handled carries that request's id, which its response also sends back as
`X-Request-ID`: a proxy's or client's own id is kept when it is a sane token, so one id follows
the request from the load balancer to here; otherwise a new one is made.

This module is named by settings.LOGGING and MIDDLEWARE: it imports nothing of the project, so
configuring logging never loads models.
"""

import contextvars
import datetime as dt
import json
import logging
import re
import uuid

from django.core.signals import request_finished
from django.dispatch import receiver

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators, as UUIDs and the ids of common proxies are: never a
# space, quote or line break that could forge a log line or a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
NO_REQUEST = "-"
PLAIN = (str, int, float, bool, type(None))

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_request_id", default=NO_REQUEST
)

# The attributes every LogRecord has: anything else on a record was passed as `extra=`.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
}


class RequestIdFilter(logging.Filter):
    """Puts the id of the request being handled (or "-") on every record, as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: a traceback is a string inside it."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id.get()),
            "exception": self.formatException(record.exc_info) if record.exc_info else None,
        }
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # What was passed as `extra=`, when it is a plain value: an object's repr (Django adds
        # the request, whose repr repeats the query string) is no field to search logs by.
        for name, value in record.__dict__.items():
            if name not in _RECORD_ATTRIBUTES and name not in line and isinstance(value, PLAIN):
                line[name] = value
        return json.dumps(line)


def request_id_from(header: str | None) -> str:
    """The caller's id when it is a sane token, else a new one."""
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so every line logged for the request, and its response (redirects
    and errors included), carry its id.

    The id stays set after the middleware returns, until the response is closed: Django logs a
    4xx or 5xx answer ("Not Found: /x") after the whole middleware chain has run."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        current_request_id.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


@receiver(request_finished, dispatch_uid="hoa_portal.logging.forget_request_id")
def _forget_request_id(**kwargs) -> None:
    """The request is over: a thread that serves the next one, or logs in between, has none."""
    current_request_id.set(NO_REQUEST)
