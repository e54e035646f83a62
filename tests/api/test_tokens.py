"""`POST /api/v1/auth/token/` (SPEC §6) and RELIABILITY goal 6: tokens are stored hashed."""

import pytest
from django.db import connection
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
