"""/api/v1/users/: the secretariat's alone; passwords are write-only and stored hashed; a focal
point has a country and no other role does. Nobody else ever sees an email address."""

import json

import pytest
from rest_framework.test import APIClient

from members.models import User
from tests.api.conftest import snapshot, token_client

PASSWORD = "Str0ng-Passphrase-9"


def _token(username: str, password: str) -> APIClient:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    return response


def test_a_new_account_has_its_password_hashed_and_never_shown(world, staff):
    response = staff.post(
        "/api/v1/users/",
        {
            "username": "fp-fra-2",
            "email": "fp2@example.org",
            "role": "focal_point",
            "country": "FRA",
            "password": PASSWORD,
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "username": "fp-fra-2",
        "email": "fp2@example.org",
        "role": "focal_point",
        "country": "FRA",
    }
    user = User.objects.get(username="fp-fra-2")
    assert user.password != PASSWORD
    assert PASSWORD not in user.password
    assert user.check_password(PASSWORD)
    assert _token("fp-fra-2", PASSWORD).status_code == 200
    assert PASSWORD not in json.dumps(staff.get("/api/v1/users/").json())


def test_a_new_password_replaces_the_old_one(world, staff):
    response = staff.patch(
        f"/api/v1/users/{world.spare_user.pk}/", {"password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert "password" not in response.json()
    assert _token("spare", PASSWORD).status_code == 200
    assert _token("spare", "pass-word-123").status_code == 400


def test_a_patch_without_a_password_keeps_it(world, staff):
    hashed = world.spare_user.password
    staff.patch(f"/api/v1/users/{world.spare_user.pk}/", {"email": "x@example.org"}, format="json")
    world.spare_user.refresh_from_db()
    assert world.spare_user.password == hashed


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "new", "role": "analyst"}, "password"),
        ({"username": "new", "role": "analyst", "password": "short"}, "password"),
        ({"username": "new", "role": "analyst", "password": "password123"}, "password"),
        ({"username": "newcomer1", "role": "analyst", "password": "newcomer12"}, "password"),
        ({"username": "new", "role": "focal_point", "password": PASSWORD}, "country"),
        (
            {"username": "new", "role": "secretariat", "country": "FRA", "password": PASSWORD},
            "country",
        ),
        ({"username": "bad name!", "role": "analyst", "password": PASSWORD}, "username"),
        ({"username": "new", "email": "not-an-email", "password": PASSWORD}, "email"),
    ],
    ids=[
        "no password",
        "too short",
        "too common",
        "like the username",
        "focal point without a country",
        "staff with a country",
        "username with a space",
        "malformed email",
    ],
)
def test_a_bad_account_is_a_400_naming_the_field(world, staff, payload, field):
    before = snapshot()
    response = staff.post("/api/v1/users/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_promoting_a_focal_point_needs_its_country_cleared(world, staff):
    fp = world.users["fp_lead"]
    path = f"/api/v1/users/{fp.pk}/"
    assert staff.patch(path, {"role": "analyst"}, format="json").status_code == 400
    response = staff.patch(path, {"role": "analyst", "country": None}, format="json")
    assert response.status_code == 200
    assert (response.json()["role"], response.json()["country"]) == ("analyst", None)


@pytest.mark.parametrize(
    ("params", "usernames"),
    [
        ({"role": "focal_point"}, ["fp-deu", "fp-fra"]),
        ({"country": "DEU"}, ["fp-deu"]),
        ({"username": "STAFF"}, ["staff"]),
        ({"email": "analyst@example.org"}, ["analyst"]),
    ],
)
def test_users_filter_on_their_fields(world, staff, params, usernames):
    results = staff.get("/api/v1/users/", params).json()["results"]
    assert sorted(r["username"] for r in results) == usernames


PUBLIC = [
    "countries/",
    "countries/FRA/",
    "organizations/",
    "conferences/",
    "conferences/1/",
    "cbms/",
    "cbms/CT/",
    "cbm-roles/",
    "meetings/",
]


@pytest.mark.parametrize("role", ["anonymous", "analyst", "fp_lead"])
def test_no_email_address_or_account_outside_users(world, client_for, role):
    client = client_for(role)
    emails = set(User.objects.exclude(email="").values_list("email", flat=True))
    for path in PUBLIC:
        response = client.get(f"/api/v1/{path}")
        assert response.status_code == 200
        text = response.content.decode()
        assert not any(email in text for email in emails), path
        assert "username" not in text and "password" not in text, path


def test_an_account_that_never_did_anything_can_be_deleted(world, staff):
    spare = world.users["analyst"]
    response = staff.delete(f"/api/v1/users/{spare.pk}/")

    assert response.status_code == 204
    assert not User.objects.filter(pk=spare.pk).exists()


def test_an_account_in_the_history_is_kept_and_the_api_says_deactivate(world, staff):
    author = world.users["secretariat"]
    # The secretariat edits a record: its history now names this account as the author.
    assert (
        staff.patch(
            f"/api/v1/countries/{world.spare_country.code}/", {"name": "Spare Land"}, format="json"
        ).status_code
        == 200
    )
    other_staff = token_client(world.users["inactive"])
    world.users["inactive"].is_active = True
    world.users["inactive"].save()
    before = snapshot()

    response = other_staff.delete(f"/api/v1/users/{author.pk}/")

    assert response.status_code == 409
    assert "deactivate" in json.dumps(response.json())
    assert snapshot() == before


def test_nobody_deletes_their_own_account(world, staff):
    me = world.users["secretariat"]
    response = staff.delete(f"/api/v1/users/{me.pk}/")

    assert response.status_code == 409
    assert User.objects.filter(pk=me.pk).exists()
