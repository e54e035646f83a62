"""RELIABILITY goal 15: after 5 wrong passwords an account is locked, even for the right
password from another address, in the browser and the API alike; every failure is logged."""

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from members.signin import locked_until
from members.tasks import sign_in_records_purge
from tests.members.factories import FocalPointFactory, SecretariatFactory, UserFactory
from tests.web.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db
LIMIT = 5
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def account():
    return FocalPointFactory(username="focal-fr")


def _token(client: APIClient, username: str, password: str, **headers):
    return client.post(TOKEN_URL, {"username": username, "password": password}, headers=headers)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_account_in_the_browser(client, account, caplog):
    with caplog.at_level(logging.WARNING, logger="members.signin"):
        for attempt in range(LIMIT - 1):
            response = sign_in(client, "focal-fr", f"wrong-{attempt}")
            assert response.status_code == 200  # the form again, with its error
            assert "Please enter a correct username and password" in response.text
        fifth = sign_in(client, "focal-fr", "wrong-5")
        assert fifth.status_code == 429  # the fifth failure locks, and says so

        locked = sign_in(client, "focal-fr", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert locked.status_code == 429
    assert "this account is locked for 30 minutes" in locked.text
    assert locked["Retry-After"] == "1800"
    assert not _signed_in(client)
    failures = [r.getMessage() for r in caplog.records if r.name == "members.signin"]
    assert len(failures) == LIMIT + 1  # the locked-out attempt too
    assert all("Sign-in failed for username 'focal-fr'" in line for line in failures)
    assert all(PASSWORD not in line and "wrong-" not in line for line in failures)


def test_a_new_address_does_not_unlock_it(client, account):
    for attempt in range(LIMIT):
        sign_in(client, "focal-fr", "wrong", REMOTE_ADDR=f"198.51.100.{attempt}")

    for address in ("192.0.2.1", "2001:db8::1"):
        other = APIClient(REMOTE_ADDR=address)
        assert sign_in(other, "focal-fr", PASSWORD, HTTP_X_FORWARDED_FOR=address).status_code == 429


def test_the_api_token_endpoint_counts_and_refuses_alike(account):
    client = APIClient()
    for _ in range(LIMIT - 1):
        assert _token(client, "focal-fr", "wrong").status_code == 400
    assert _token(client, "focal-fr", "wrong").status_code == 429

    response = _token(APIClient(REMOTE_ADDR="192.0.2.7"), "focal-fr", PASSWORD)

    assert response.status_code == 429
    assert "locked" in response.json()["detail"]
    assert response["Retry-After"] == "1800"
    assert not AuthToken.objects.filter(user=account).exists()


def test_failures_in_the_browser_and_the_api_add_up(client, account):
    for _ in range(3):
        sign_in(client, "focal-fr", "wrong")
    for _ in range(LIMIT - 3):
        _token(APIClient(), "focal-fr", "wrong")

    assert _token(APIClient(), "focal-fr", PASSWORD).status_code == 429
    assert sign_in(client, "focal-fr", PASSWORD).status_code == 429


def test_four_failures_then_success_start_the_count_again(client, account):
    for _ in range(LIMIT - 1):
        sign_in(client, "focal-fr", "wrong")
    assert sign_in(client, "focal-fr", PASSWORD).status_code == 302
    client.logout()

    for _ in range(LIMIT - 1):
        sign_in(client, "focal-fr", "wrong")
    assert sign_in(client, "focal-fr", PASSWORD).status_code == 302
    assert _signed_in(client)


def test_one_locked_account_leaves_the_others_alone(client, account):
    UserFactory(username="analyst")
    for _ in range(LIMIT):
        sign_in(client, "focal-fr", "wrong")

    assert sign_in(client, "analyst", PASSWORD).status_code == 302
    assert _token(APIClient(), "analyst", PASSWORD).status_code == 200


def test_the_lock_ends_after_the_cool_off(client, account):
    for _ in range(LIMIT):
        sign_in(client, "focal-fr", "wrong")
    assert sign_in(client, "focal-fr", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))

    assert sign_in(client, "focal-fr", PASSWORD).status_code == 302


def test_the_admin_sign_in_counts_too(client, account):
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": "focal-fr", "password": "wrong"})

    assert sign_in(client, "focal-fr", PASSWORD).status_code == 429


def _lock(client, username: str = "focal-fr") -> None:
    for _ in range(LIMIT):
        sign_in(client, username, "wrong")


def test_locked_until_is_the_last_failure_plus_the_cool_off(client, account):
    for _ in range(LIMIT - 1):
        sign_in(client, "focal-fr", "wrong")
    assert locked_until("focal-fr") is None

    sign_in(client, "focal-fr", "wrong")
    last = AccessAttempt.objects.get(username="focal-fr").attempt_time
    assert locked_until("focal-fr") == last + dt.timedelta(minutes=30)

    AccessAttempt.objects.update(attempt_time=last - dt.timedelta(minutes=30, seconds=1))
    assert locked_until("focal-fr") is None


def test_the_secretariat_sees_the_lock_and_lifts_it(client, account):
    _lock(client)
    staff = Client()
    staff.force_login(SecretariatFactory())
    page = reverse("members:user_detail", args=[account.pk])
    assert "Locked after too many failed sign-ins" in staff.get(page).text

    response = staff.post(reverse("members:user_unlock", args=[account.pk]))

    assert response.status_code == 302 and response["Location"] == page
    assert "focal-fr may sign in again." in staff.get(page).text
    assert "Locked after" not in staff.get(page).text
    assert sign_in(client, "focal-fr", PASSWORD).status_code == 302


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("analyst", 403), ("fp", 403)])
def test_only_the_secretariat_unlocks(client, account, who, status):
    _lock(client)
    other = Client()
    if who == "analyst":
        other.force_login(UserFactory(username="analyst"))
    elif who == "fp":
        other.force_login(FocalPointFactory(username="fp-other"))

    response = other.post(reverse("members:user_unlock", args=[account.pk]))

    assert response.status_code == status
    assert locked_until("focal-fr") is not None
    assert other.get(reverse("members:user_unlock", args=[account.pk])).status_code in {302, 403}


def test_sign_in_records_are_kept_a_year_and_failure_counts_the_cool_off(client, account, settings):
    sign_in(client, "focal-fr", PASSWORD)  # an AccessLog row
    sign_in(client, "someone-else", "wrong")  # an AccessAttempt row
    now = dt.datetime.now(dt.UTC)
    old_log = AccessLog.objects.create(username="old")
    old_attempt = AccessAttempt.objects.create(
        username="old", failures_since_start=LIMIT, get_data="", post_data=""
    )
    # attempt_time is set on creation: moved back afterwards, past a year and past the cool-off.
    AccessLog.objects.filter(pk=old_log.pk).update(attempt_time=now - dt.timedelta(days=366))
    AccessAttempt.objects.filter(pk=old_attempt.pk).update(
        attempt_time=now - dt.timedelta(minutes=31)
    )

    assert sign_in_records_purge.delay().get() == 2

    assert list(AccessLog.objects.values_list("username", flat=True)) == ["focal-fr"]
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["someone-else"]
    assert sign_in_records_purge.delay().get() == 0
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert sign_in_records_purge.name in scheduled
