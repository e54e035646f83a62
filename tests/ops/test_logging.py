"""Logs an operator can follow a request through: JSON lines when LOG_FORMAT=json, plain text
otherwise, and in both every line of a request carries the id its response sends back."""

import json
import logging
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

from hoa_portal.logging import JsonFormatter, RequestIdFilter, current_request_id

# A request answered without touching the database: an unknown page, under DEBUG. Django logs
# "Not Found" once the whole middleware chain has returned.
REQUEST_IN_A_FRESH_PROCESS = """
import django, json
django.setup()
from django.test import Client
response = Client().get(
    "/no-such-page/?token=secret", HTTP_HOST="localhost", HTTP_X_REQUEST_ID={request_id!r}
)
print(json.dumps({{"status": response.status_code, "id": response["X-Request-ID"]}}))
"""


def run_a_request(log_format: str | None, request_id: str = "") -> tuple[dict, list[str]]:
    """The answer and the log lines of one request, under settings read from the environment."""
    environment = {
        key: value for key, value in os.environ.items() if key not in ("LOG_FORMAT", "DEBUG")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="hoa_portal.settings.base", DEBUG="true", LOG_LEVEL="INFO"
    )
    if log_format is not None:
        environment["LOG_FORMAT"] = log_format
    result = subprocess.run(
        [sys.executable, "-c", REQUEST_IN_A_FRESH_PROCESS.format(request_id=request_id)],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr.splitlines()


def test_with_log_format_json_a_requests_line_is_json_with_the_responses_id():
    answer, lines = run_a_request("json", request_id="lb-7f3a")

    assert answer == {"status": 404, "id": "lb-7f3a"}
    records = [json.loads(line) for line in lines]  # every line, not only some
    (not_found,) = [r for r in records if r["logger"] == "django.request"]
    assert not_found["request_id"] == "lb-7f3a"
    assert not_found["message"] == "Not Found: /no-such-page/"
    assert not_found["level"] == "WARNING"
    assert not_found["exception"] is None
    assert not_found["status_code"] == 404
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", not_found["time"])
    assert "secret" not in "\n".join(lines)


def test_plain_text_is_the_default_and_carries_the_request_id_too():
    answer, lines = run_a_request(None)

    (not_found,) = [line for line in lines if "django.request" in line]
    assert f"[{answer['id']}] Not Found: /no-such-page/" in not_found
    with pytest.raises(json.JSONDecodeError):
        json.loads(not_found)


def test_an_unknown_log_format_stops_the_settings():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hoa_portal.settings.base",
            "DEBUG": "true",
            "LOG_FORMAT": "yaml",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "LOG_FORMAT is json or text" in result.stderr


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("4bf92f3577b34da6a3ce929d0e0e4736", True),
        ("lb-1.request:42_x", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("two words", False),
        ("forged\nline", False),
        ('quote"', False),
        ("-leading-dash", False),
        ("", False),
    ],
)
def test_a_callers_request_id_is_kept_only_when_it_is_a_sane_token(client, given, kept):
    response = client.get("/health/live", HTTP_X_REQUEST_ID=given)

    if kept:
        assert response["X-Request-ID"] == given
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_each_request_without_an_id_gets_its_own(client):
    first, second = (client.get("/health/live")["X-Request-ID"] for _ in range(2))

    assert first != second


def test_after_its_response_no_line_carries_the_requests_id(client):
    client.get("/health/live")

    assert current_request_id.get() == "-"


def test_an_exception_is_one_json_line_with_its_traceback():
    record = logging.LogRecord(
        "hoa_portal.test", logging.ERROR, __file__, 1, "failed: %s", ("x",), None
    )
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    token = current_request_id.set("req-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        current_request_id.reset(token)
    record.cbm_id = 12  # passed as `extra=`

    line = JsonFormatter().format(record)

    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "failed: x"
    assert parsed["level"] == "ERROR"
    assert parsed["request_id"] == "req-1"
    assert parsed["exception"].startswith("Traceback")
    assert "ValueError: boom" in parsed["exception"]
    assert parsed["cbm_id"] == 12
