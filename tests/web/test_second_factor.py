"""RELIABILITY goal 16: the secretariat and focal points reach no page, no write and no API
token without their second factor (a TOTP code); analysts and the public are not asked."""

import time
from base64 import b32decode, b32encode
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from members.models import Country
from members.second_factor import has_second_factor, recovery_codes_issue, recovery_codes_left
from members.services import api_token_issue
from tests.web.conftest import PASSWORD, sign_in
from tests.web.test_access import PAGES

UNVERIFIED_ROLES = ["secretariat", "focal_fr"]


@pytest.fixture(autouse=True)
def mfa(settings):
    settings.MFA_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # tests of throttling set it back


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the app shows now (or that many 30 s steps later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def app_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def password_only(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", UNVERIFIED_ROLES)
def test_no_page_opens_before_the_second_factor(world, role):
    client = password_only(world.users[role])
    setup = reverse("second_factor_setup")

    for name, args, _ in PAGES:
        if name == "login":  # open, to sign in as someone else
            continue
        url = reverse(name, args=args(world))
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{setup}?next="), url


@pytest.mark.parametrize("role", UNVERIFIED_ROLES)
def test_no_write_happens_before_the_second_factor(world, role):
    client = password_only(world.users[role])
    countries = Country.objects.count()

    page = client.post(reverse("members:country_create"), {"code": "NEW", "name": "Newland"})
    api = client.post("/api/v1/countries/", {"code": "NEW", "name": "Newland"})
    api_read = client.get("/api/v1/meetings/")

    assert page.status_code == 302
    assert api.status_code == api_read.status_code == 403
    assert "one-time code" in api.json()["detail"]
    assert Country.objects.count() == countries


@pytest.mark.parametrize("role", ["anonymous", "analyst"])
def test_analysts_and_the_public_are_not_asked(world, client_for, role):
    client = client_for(role)

    assert client.get(reverse("home")).status_code == 200
    assert client.get("/api/v1/meetings/").status_code == 200


def test_signing_out_and_the_language_switch_stay_open(world):
    client = password_only(world.users["secretariat"])

    assert client.post(reverse("set_language"), {"language": "fa"}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_setting_up_the_app_then_going_on(world):
    staff = world.users["secretariat"]
    client = Client()
    signed_in = sign_in(client, staff.username, PASSWORD)
    assert signed_in.status_code == 302
    target = reverse("records")
    first = client.get(target)
    setup_url = first["Location"]
    assert setup_url == f"{reverse('second_factor_setup')}?next=%2Frecords%2F"

    page = client.get(setup_url)
    assert page.status_code == 200
    assert "<svg" in page.text and "Or type this key into the app" in page.text
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert client.get(setup_url).context["secret"] == page.context["secret"]  # same app

    wrong = client.post(setup_url, {"code": "000000", "next": target})
    assert wrong.status_code == 200 and "That code is wrong" in wrong.text
    assert not has_second_factor(staff)

    done = client.post(setup_url, {"code": code(device), "next": target})

    recovery_url = f"{reverse('second_factor_recovery')}?next=%2Frecords%2F"
    assert done.status_code == 302 and done["Location"] == recovery_url
    shown = client.get(recovery_url)
    assert shown.status_code == 200 and len(shown.context["codes"]) == 10
    assert all(f'<code class="fs-5">{c}</code>' in shown.text for c in shown.context["codes"])
    assert client.get(recovery_url)["Location"] == target  # shown once
    assert client.get(target).status_code == 200
    assert has_second_factor(staff) and recovery_codes_left(staff) == 10


def test_a_recovery_code_signs_in_once(world):
    staff = world.users["secretariat"]
    app_for(staff)
    codes = recovery_codes_issue(staff)

    first = password_only(staff).post(reverse("second_factor"), {"code": codes[3].upper()})
    again = password_only(staff).post(reverse("second_factor"), {"code": codes[3]})

    assert first["Location"] == reverse("home")
    assert again.status_code == 200 and "already used" in again.text
    assert recovery_codes_left(staff) == 9
    assert recovery_codes_issue(staff) != codes and recovery_codes_left(staff) == 10


def test_the_next_sign_in_asks_the_code(world):
    staff = world.users["secretariat"]
    device = app_for(staff)
    client = Client()
    sign_in(client, staff.username, PASSWORD)

    asked = client.get(reverse("records"))
    assert asked["Location"] == f"{reverse('second_factor')}?next=%2Frecords%2F"
    assert client.post(asked["Location"], {"code": "12a4"}).status_code == 200  # not digits
    assert client.get(reverse("records")).status_code == 302

    passed = client.post(asked["Location"], {"code": code(device), "next": "/records/"})
    assert passed["Location"] == "/records/"
    assert client.get(reverse("records")).status_code == 200


def test_a_code_works_once(world):
    staff = world.users["secretariat"]
    device = app_for(staff)
    used = code(device)
    first, second = password_only(staff), password_only(staff)

    assert first.post(reverse("second_factor"), {"code": used})["Location"] == reverse("home")
    replay = second.post(reverse("second_factor"), {"code": used})

    assert replay.status_code == 200 and "already used" in replay.text


def test_wrong_codes_slow_down_the_next_tries(world, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    staff = world.users["secretariat"]
    device = app_for(staff)
    client = password_only(staff)

    client.post(reverse("second_factor"), {"code": "000000"})
    right_too_soon = client.post(reverse("second_factor"), {"code": code(device)})

    assert right_too_soon.status_code == 200  # refused: wait a second after a wrong code
    assert client.get(reverse("records")).status_code == 302


def test_a_next_elsewhere_is_not_followed(world):
    staff = world.users["secretariat"]
    device = app_for(staff)
    client = password_only(staff)

    response = client.post(
        reverse("second_factor"), {"code": code(device), "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("home")


def test_an_api_token_needs_the_code(world):
    staff = world.users["secretariat"]
    client = APIClient()
    url = "/api/v1/auth/token/"
    credentials = {"username": staff.username, "password": PASSWORD}

    no_app = client.post(url, credentials)
    assert no_app.status_code == 400 and "set up your authenticator app" in no_app.json()["otp"][0]
    device = app_for(staff)
    assert client.post(url, credentials).status_code == 400
    assert client.post(url, {**credentials, "otp": "000000"}).status_code == 400
    assert not AuthToken.objects.filter(user=staff).exists()

    issued = client.post(url, {**credentials, "otp": code(device)})

    assert issued.status_code == 200
    token = APIClient(headers={"Authorization": f"Token {issued.json()['token']}"})
    assert token.post("/api/v1/countries/", {"code": "NEW", "name": "Newland"}).status_code == 201


def test_an_analyst_gets_a_token_with_the_password(world):
    analyst = world.users["analyst"]
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": analyst.username, "password": PASSWORD}
    )
    assert response.status_code == 200


def test_the_secretariat_resets_a_lost_app(world, client_for):
    focal = world.users["focal_fr"]
    app_for(focal)
    staff = password_only(world.users["secretariat"])
    app = app_for(world.users["secretariat"])
    staff.post(reverse("second_factor"), {"code": code(app)})
    page = reverse("members:user_detail", args=[focal.pk])
    recovery_codes_issue(focal)
    assert "Authenticator app set up; 10 recovery codes left." in staff.get(page).text

    response = staff.post(reverse("members:user_second_factor_reset", args=[focal.pk]))

    assert response["Location"] == page
    assert not TOTPDevice.objects.filter(user=focal).exists()
    assert recovery_codes_left(focal) == 0 and not has_second_factor(focal)
    assert "Not set up yet" in staff.get(page).text
    again = password_only(focal).get(reverse("home"))
    assert again["Location"].startswith(reverse("second_factor_setup"))


@pytest.mark.parametrize(("role", "status"), [("analyst", 403), ("anonymous", 302)])
def test_only_the_secretariat_resets(world, client_for, role, status):
    focal = world.users["focal_fr"]
    app_for(focal)

    response = client_for(role).post(reverse("members:user_second_factor_reset", args=[focal.pk]))

    assert response.status_code == status
    assert TOTPDevice.objects.filter(user=focal).exists()


def test_an_htmx_fragment_sends_the_whole_window_to_the_step(world):
    client = password_only(world.users["secretariat"])
    page = reverse("cbms:cbm_detail", args=[world.fr_cbm.pk])

    response = client.get(
        reverse("records"),
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"},
    )

    assert response.status_code == 200
    assert (
        response["HX-Redirect"] == f"{reverse('second_factor_setup')}?next={quote(page, safe='')}"
    )


def _code_of_key(secret: str) -> str:
    """What an app that scanned the key `secret` (base 32, as the page shows it) shows now."""
    totp = TOTP(b32decode(secret))
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_every_set_up_has_a_key_of_its_own(world):
    """Issue #15 (6): the key is not the same in every session until someone confirms it."""
    staff = world.users["secretariat"]
    first, second = password_only(staff), password_only(staff)
    setup = reverse("second_factor_setup")

    first_key = first.get(setup).context["secret"]
    assert first.get(setup).context["secret"] == first_key  # a reload keeps the scanned key
    second_key = second.get(setup).context["secret"]  # another session: a set-up of its own
    assert second_key != first_key
    assert TOTPDevice.objects.filter(user=staff).count() == 1

    wrong = second.post(setup, {"code": _code_of_key(first_key)})
    assert wrong.status_code == 200 and "That code is wrong" in wrong.text
    expired = first.post(setup, {"code": _code_of_key(first_key)})
    assert expired.status_code == 200 and "This set-up has expired" in expired.text
    assert not has_second_factor(staff)

    third_key = expired.context["secret"]  # the page shows a fresh key to scan
    assert third_key not in (first_key, second_key)
    done = first.post(setup, {"code": _code_of_key(third_key)})

    assert done.status_code == 302 and has_second_factor(staff)
    assert b32encode(TOTPDevice.objects.get(user=staff).bin_key).decode() == third_key


def test_a_token_request_is_judged_by_its_token_and_a_session_by_its_step(world):
    """What the middleware's docstring says: it judges the session alone; a token request
    without one is the token check's to refuse (401) when issued without the code."""
    staff = world.users["secretariat"]
    _, with_code = api_token_issue(user=staff, second_factor=True)
    _, without = api_token_issue(user=staff, second_factor=False)

    def signed(key):
        return APIClient(headers={"Authorization": f"Token {key}"})

    assert signed(with_code).get("/api/v1/meetings/").status_code == 200
    refused = signed(without).get("/api/v1/meetings/")
    assert refused.status_code == 401 and "one-time code" in refused.json()["detail"]

    both = signed(with_code)
    both.force_login(staff)  # a session that has not given the code yet
    held = both.get("/api/v1/meetings/")
    assert held.status_code == 403 and "one-time code" in held.json()["detail"]
