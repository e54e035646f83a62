"""`POST /api/v1/auth/token/` (SPEC §6) and RELIABILITY goal 6: tokens are stored hashed; they
are signed out one by one or all at once (`…/logout/`, `…/logout-all/`) and carry whether they
were issued with the second factor (issue #15)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.members.factories import UserFactory

PASSWORD = "pass-word-123"  # the factories'


@pytest.fixture
def analyst_user(db):
    return UserFactory(username="reader")


def test_good_credentials_give_a_token_that_signs_requests_in(analyst_user):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "reader", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    key = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/obligations/").status_code == 200  # signed-in users only
    assert APIClient().get("/api/v1/obligations/").status_code == 401


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "reader", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "reader"},
        {},
    ],
    ids=["wrong password", "unknown user", "no password", "nothing"],
)
def test_bad_credentials_are_a_400_and_make_no_token(analyst_user, credentials):
    response = APIClient().post("/api/v1/auth/token/", credentials, format="json")

    assert response.status_code == 400
    assert isinstance(response.json(), dict)
    assert AuthToken.objects.count() == 0


def test_a_username_longer_than_any_is_a_400_naming_it_not_a_server_error(db):
    """Found by schemathesis: a 300-character username reached django-axes' 255-character
    column (500). It is refused before any sign-in attempt is recorded."""
    from axes.models import AccessAttempt

    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "u" * 300, "password": "x"}, format="json"
    )

    assert response.status_code == 400
    assert "username" in response.json()
    assert not AccessAttempt.objects.exists()


def test_an_inactive_account_gets_no_token(db):
    UserFactory(username="left", is_active=False)
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "left", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert AuthToken.objects.count() == 0


def test_a_made_up_token_is_a_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 64)
    assert client.get("/api/v1/countries/").status_code == 401


def test_no_stored_row_contains_the_key(analyst_user):
    key = (
        APIClient()
        .post("/api/v1/auth/token/", {"username": "reader", "password": PASSWORD}, format="json")
        .json()["token"]
    )

    table = AuthToken._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert all(key not in str(value) for value in rows[0])


# --- Signing tokens out (issue #15) -------------------------------------------------------------


def _issue(username: str = "reader") -> str:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()["token"]


def _with(key: str) -> APIClient:
    return APIClient(headers={"Authorization": f"Token {key}"})


def _works(key: str) -> bool:
    """Whether the token still signs a request in (obligations are for signed-in callers)."""
    status = _with(key).get("/api/v1/obligations/").status_code
    assert status in (200, 401)
    return status == 200


def test_logout_revokes_the_token_it_is_signed_with_and_no_other(analyst_user):
    laptop, script = _issue(), _issue()
    UserFactory(username="other")
    someone_elses = _issue("other")

    response = _with(laptop).post("/api/v1/auth/logout/")

    assert response.status_code == 204 and response.content == b""
    assert not _works(laptop)
    assert _works(script) and _works(someone_elses)
    assert AuthToken.objects.filter(user=analyst_user).count() == 1


def test_logout_all_revokes_every_token_of_the_caller_and_only_theirs(analyst_user):
    laptop, script = _issue(), _issue()
    UserFactory(username="other")
    someone_elses = _issue("other")

    response = _with(laptop).post("/api/v1/auth/logout-all/")

    assert response.status_code == 204
    assert not _works(laptop) and not _works(script)
    assert _works(someone_elses)
    assert not AuthToken.objects.filter(user=analyst_user).exists()


@pytest.mark.parametrize("path", ["/api/v1/auth/logout/", "/api/v1/auth/logout-all/"])
def test_signing_out_anonymously_is_a_401_and_revokes_nothing(analyst_user, path):
    key = _issue()

    response = APIClient().post(path)

    assert response.status_code == 401
    assert "WWW-Authenticate" in response
    assert _works(key)


@pytest.mark.parametrize("path", ["/api/v1/auth/logout/", "/api/v1/auth/logout-all/"])
def test_signing_out_takes_a_post_only(analyst_user, path):
    key = _issue()
    assert _with(key).get(path).status_code == 405
    assert _with(key).delete(path).status_code == 405
    assert _works(key)


def test_logout_from_a_browser_session_signs_the_session_out(analyst_user):
    key = _issue()
    browser = APIClient()
    browser.force_login(analyst_user)

    response = browser.post("/api/v1/auth/logout/")

    assert response.status_code == 204
    assert browser.get("/api/v1/obligations/").status_code == 401
    assert _works(key)  # the session was what this request used, not the token


def test_logout_all_from_a_browser_session_revokes_the_tokens_and_keeps_the_session(
    analyst_user,
):
    key = _issue()
    browser = APIClient()
    browser.force_login(analyst_user)

    response = browser.post("/api/v1/auth/logout-all/")

    assert response.status_code == 204
    assert not _works(key)
    assert browser.get("/api/v1/obligations/").status_code == 200


# --- What a token carries (issue #15) -----------------------------------------------------------


def test_a_token_issued_with_the_password_alone_says_so(analyst_user):
    key = _issue()

    token = AuthToken.objects.select_related("grant").get(user=analyst_user)
    assert key.startswith(token.token_key)
    assert token.grant.second_factor is False


def test_the_token_check_is_one_query_with_how_the_token_was_issued(analyst_user):
    """knox's check, with the grant and the user joined in: one query whatever the endpoint."""
    key = _issue()
    client = _with(key)
    with CaptureQueriesContext(connection) as anonymous:
        APIClient().get("/api/v1/countries/")
    with CaptureQueriesContext(connection) as signed:
        response = client.get("/api/v1/countries/")

    assert response.status_code == 200
    token_queries = [q["sql"] for q in signed.captured_queries if "knox_authtoken" in q["sql"]]
    assert len(token_queries) == 1
    assert "members_tokengrant" in token_queries[0] and "members_user" in token_queries[0]
    assert len(signed.captured_queries) == len(anonymous.captured_queries) + 1
