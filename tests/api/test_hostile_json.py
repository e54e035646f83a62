"""Hostile request bodies (issue #15, item 7): JSON nested 50,000 deep is a 400, never the 500 of
a RecursionError, on every endpoint that takes JSON, the token endpoint included (anonymous);
a body past DATA_UPLOAD_MAX_MEMORY_SIZE is a 413. Nothing is written either way, and a
legitimately nested body still goes through.

The endpoints and who may write to each are the permissions matrix's (test_permissions_matrix)."""

import json

import pytest

from conferences.models import Meeting
from hoa_portal.api.parsers import MAX_JSON_DEPTH, nested_deeper_than
from tests.api.conftest import snapshot
from tests.api.test_permissions_matrix import ENDPOINTS

DEEP = 50_000
DEEP_LISTS = "[" * DEEP + "]" * DEEP
DEEP_OBJECTS = '{"a":' * DEEP + "1" + "}" * DEEP
TOO_DEEP = f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep."


def _nested(levels: int) -> dict:
    """A JSON object `levels` deep: {"a": {"a": ... {} ...}}."""
    value: dict = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def _send(client, method: str, path: str, body: str):
    return getattr(client, method.lower())(path, data=body, content_type="application/json")


# Each endpoint and method that takes a request, as a role the matrix lets through to the view
# (2xx, or 409 where a report's state refuses), so the body is read rather than the request
# refused before it.
WRITES = [
    pytest.param(endpoint, view, method, role, id=f"{endpoint.name}-{view}-{method}-{role}")
    for endpoint in ENDPOINTS
    for (view, method), statuses in endpoint.expected.items()
    if method in ("POST", "PUT", "PATCH")
    for role, status in statuses.items()
    if (200 <= status < 300 or status == 409) and role in ("fp_lead", "secretariat")
]
# The actions that read no body: they answer as they always do, whatever is sent.
TAKE_NO_BODY = {
    "reports submit",
    "notifications read",
    "notifications read-all",
    "logout",
    "logout-all",
}


@pytest.mark.parametrize(("endpoint", "view", "method", "role"), WRITES)
def test_a_deep_body_is_refused_wherever_a_body_is_read(
    world, client_for, endpoint, view, method, role
):
    path = endpoint.detail(world) if view == "detail" else f"/api/v1/{endpoint.prefix}/"
    before = snapshot()

    response = _send(client_for(role), method, path, DEEP_OBJECTS)

    if endpoint.name in TAKE_NO_BODY:
        assert response.status_code == endpoint.expected[(view, method)][role]
    else:
        assert response.status_code == 400, response.content[:300]
        assert response.json() == {"detail": TOO_DEEP}
        assert snapshot() == before


@pytest.mark.parametrize("body", [DEEP_LISTS, DEEP_OBJECTS], ids=["lists", "objects"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/auth/token/"),
        ("POST", "/api/v1/meetings/"),
        ("PATCH", "/api/v1/countries/FRA/"),
        ("POST", "/api/v1/auth/logout/"),
    ],
)
def test_anonymously_a_deep_body_is_never_a_server_error(world, client_for, body, method, path):
    before = snapshot()

    response = _send(client_for("anonymous"), method, path, body)

    if path == "/api/v1/auth/token/":  # open to all: it reads the body
        assert response.status_code == 400
        assert response.json() == {"detail": TOO_DEEP}
    else:  # refused before the body is read
        assert response.status_code == 401
    assert snapshot() == before


@pytest.mark.parametrize("body", [DEEP_LISTS, DEEP_OBJECTS], ids=["lists", "objects"])
def test_the_secretariat_creating_a_meeting_from_a_deep_body_gets_a_400(staff, body):
    before = Meeting.objects.count()

    response = _send(staff, "POST", "/api/v1/meetings/", body)

    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}
    assert Meeting.objects.count() == before


@pytest.mark.parametrize(
    ("levels", "created"), [(3, True), (MAX_JSON_DEPTH, True), (MAX_JSON_DEPTH + 1, False)]
)
def test_a_body_as_deep_as_the_limit_still_goes_through(world, staff, levels, created):
    """The meeting fields at the top, and beside them a key the API ignores, nested so that the
    whole body is `levels` deep."""
    meeting = {"kind": "som", "date": "2024-05-01", "status": "held", "city": "Herat"}
    body = {**meeting, "extra": _nested(levels - 1)}
    before = Meeting.objects.count()

    response = _send(staff, "POST", "/api/v1/meetings/", json.dumps(body))

    if created:
        assert response.status_code == 201, response.content[:300]
        assert Meeting.objects.count() == before + 1
    else:
        assert response.status_code == 400
        assert response.json() == {"detail": TOO_DEEP}
        assert Meeting.objects.count() == before


def test_a_legitimate_token_request_still_parses(world, client_for):
    world.users["analyst"].set_password("Str0ng-Passphrase-9")
    world.users["analyst"].save()

    response = client_for("anonymous").post(
        "/api/v1/auth/token/",
        {"username": "analyst", "password": "Str0ng-Passphrase-9"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["token"]


@pytest.mark.parametrize(
    ("value", "depth", "deeper"),
    [
        (1, 0, False),
        ("[[[]]]", 0, False),  # a string is not nested, whatever it says
        ([], 1, False),
        ([], 0, True),
        ([[1, 2], {"a": []}], 3, False),
        ([[1, 2], {"a": []}], 2, True),
        ({"a": {"b": {"c": {}}}}, 4, False),
        ({"a": {"b": {"c": {}}}}, 3, True),
        ([1, [2, [3]], 4], 2, True),  # the deepest branch counts, not the last
    ],
)
def test_nesting_is_counted_in_levels_of_lists_and_objects(value, depth, deeper):
    assert nested_deeper_than(value, depth) is deeper


def test_nesting_far_past_the_recursion_limit_is_counted_without_recursion():
    value: list = []
    for _ in range(DEEP):
        value = [value]

    assert nested_deeper_than(value, DEEP) is True
    assert nested_deeper_than(value, DEEP + 1) is False


# --- Size ---------------------------------------------------------------------------------------

LIMIT = 2_000


def _meeting_body(size: int) -> str:
    """A valid meeting whose JSON is `size` bytes, padded in its notes (which the API ignores)."""
    body = {"kind": "som", "date": "2024-05-01", "status": "held", "notes": ""}
    body["notes"] = "x" * (size - len(json.dumps(body)))
    text = json.dumps(body)
    assert len(text) == size
    return text


@pytest.mark.parametrize(("size", "status"), [(LIMIT, 201), (LIMIT + 1, 413)])
def test_a_json_body_past_the_upload_limit_is_refused(settings, staff, size, status):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    before = Meeting.objects.count()

    response = _send(staff, "POST", "/api/v1/meetings/", _meeting_body(size))

    assert response.status_code == status, response.content[:300]
    assert Meeting.objects.count() == before + (status == 201)
    if status == 413:
        assert response.json() == {"detail": f"The request body is larger than {LIMIT} bytes."}


@pytest.mark.parametrize(("padding", "status"), [(LIMIT - 200, 201), (LIMIT, 413)])
def test_a_form_body_past_the_upload_limit_is_refused(settings, staff, padding, status):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    before = Meeting.objects.count()
    body = f"kind=som&date=2024-05-01&status=held&notes={'x' * padding}"

    response = staff.post(
        "/api/v1/meetings/", data=body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == status, response.content[:300]
    assert Meeting.objects.count() == before + (status == 201)
