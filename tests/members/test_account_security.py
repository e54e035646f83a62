"""An account's credentials and rights follow the account (issue #15, items 2-5):

- a new password, however it is set, revokes the account's API tokens and signs its other
  browser sessions out (the session that set one's own stays);
- a promotion to a role that needs the second factor ends the tokens issued without it;
- the role alone gives the admin's rights, and the admin admits the secretariat alone;
- the admin shows no authenticator key and no recovery code.
"""

import io
import time
from base64 import b32encode
from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.auth.management.commands import changepassword
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.forms import MultiWidget
from django.test import RequestFactory
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from members.models import Role, User
from members.second_factor import recovery_codes_issue
from members.services import api_token_issue, user_update
from tests.members.factories import (
    CountryFactory,
    FocalPointFactory,
    SecretariatFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"  # the factories'
NEW_PASSWORD = "Str0ng-Passphrase-9"


# --- How a person and their scripts sign in --------------------------------------------------


def token_of(user: User, password: str = PASSWORD, **otp: str) -> str:
    """A token from the token endpoint, as a script gets one."""
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": password, **otp},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()["token"]


def with_token(key: str) -> APIClient:
    return APIClient(headers={"Authorization": f"Token {key}"})


def works(key: str) -> bool:
    """Whether the token still signs a request in (obligations are for signed-in callers)."""
    status = with_token(key).get("/api/v1/obligations/").status_code
    assert status in (200, 401)
    return status == 200


def browser(user: User) -> APIClient:
    """A browser session of `user` (APIClient: it posts forms and JSON alike)."""
    client = APIClient()
    client.force_login(user)
    return client


def signed_in(client) -> bool:
    status = client.get(reverse("members:account")).status_code
    assert status in (200, 302)
    return status == 200


def admin_form_data(response, **changes) -> dict:
    """What a browser posts back from the admin's change form in `response`, with `changes`."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(field.widget, MultiWidget):  # date_joined: a date and a time
            parts = field.widget.decompress(value)
            data.update({f"{name}_{i}": part for i, part in enumerate(parts)})
            continue
        data[name] = "on" if value is True else value
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def code_for(device: TOTPDevice) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def mfa(settings):
    settings.MFA_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def verified_browser(user: User) -> APIClient:
    """A session that gave the second factor too, as the secretariat's must with MFA on."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = browser(user)
    assert client.post(reverse("second_factor"), {"code": code_for(device)}).status_code == 302
    return client


def staff_token(staff: User) -> APIClient:
    return with_token(api_token_issue(user=staff, second_factor=True)[1])


# --- Item 2: a new password revokes the tokens and the other sessions -------------------------


def _by_the_api(staff, user):
    response = staff_token(staff).patch(
        f"/api/v1/users/{user.pk}/", {"password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.json()


def _on_the_users_page(staff, user):
    response = browser(staff).post(
        reverse("members:user_password", args=[user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302


def _in_the_admin(staff, user):
    response = browser(staff).post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302


def _with_changepassword(staff, user):
    with mock.patch.object(changepassword.Command, "_get_pass", return_value=NEW_PASSWORD):
        call_command("changepassword", user.username, stdout=io.StringIO())


def _in_the_shell(staff, user):
    user = User.objects.get(pk=user.pk)
    user.set_password(NEW_PASSWORD)
    user.save()


PASSWORD_CHANGES = [
    _by_the_api,
    _on_the_users_page,
    _in_the_admin,
    _with_changepassword,
    _in_the_shell,
]


@pytest.mark.parametrize("change", PASSWORD_CHANGES, ids=lambda f: f.__name__.strip("_"))
def test_a_new_password_revokes_the_tokens_and_signs_the_other_sessions_out(change):
    staff, focal_point, bystander = SecretariatFactory(), FocalPointFactory(), UserFactory()
    keys = [token_of(focal_point), token_of(focal_point)]
    their_browser = browser(focal_point)
    bystanders_key, bystanders_browser = token_of(bystander), browser(bystander)
    assert all(works(key) for key in keys) and signed_in(their_browser)

    change(staff, focal_point)

    assert User.objects.get(pk=focal_point.pk).check_password(NEW_PASSWORD)
    assert not any(works(key) for key in keys)
    assert not AuthToken.objects.filter(user=focal_point).exists()
    assert not signed_in(their_browser)
    assert works(token_of(focal_point, NEW_PASSWORD))
    assert works(bystanders_key) and signed_in(bystanders_browser)


def _own_on_the_users_page(client, me):
    return client.post(
        reverse("members:user_password", args=[me.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def _own_in_the_admin(client, me):
    return client.post(
        reverse("admin:auth_user_password_change", args=[me.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )


def _own_by_the_api_in_a_session(client, me):
    return client.patch(f"/api/v1/users/{me.pk}/", {"password": NEW_PASSWORD}, format="json")


@pytest.mark.parametrize(
    "change",
    [_own_on_the_users_page, _own_in_the_admin, _own_by_the_api_in_a_session],
    ids=lambda f: f.__name__.strip("_"),
)
def test_ones_own_new_password_keeps_this_session_and_ends_the_others(change):
    me = SecretariatFactory()
    here, elsewhere = browser(me), browser(me)
    key = token_of(me)

    response = change(here, me)

    assert response.status_code in (200, 302)
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert not works(key)


def test_an_edit_that_is_not_a_password_keeps_the_tokens_and_sessions():
    staff, analyst = SecretariatFactory(), UserFactory()
    key, their_browser = token_of(analyst), browser(analyst)

    response = staff_token(staff).patch(
        f"/api/v1/users/{analyst.pk}/", {"email": "new-address@example.org"}, format="json"
    )

    assert response.status_code == 200
    assert works(key) and signed_in(their_browser)


def test_a_hash_upgraded_at_sign_in_is_not_a_new_password(settings):
    """Django rehashes a password with a stronger hasher as it checks it: no revocation then."""
    analyst = UserFactory()  # hashed with MD5, the test settings' only hasher
    key = token_of(analyst)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]

    second = token_of(analyst)

    analyst.refresh_from_db()
    assert analyst.password.startswith("pbkdf2_sha256$")
    assert works(key) and works(second)


# --- Item 3: a promotion ends the tokens issued without the second factor ---------------------


def _promote_by_the_api(staff, user, changes):
    api_changes = {**changes, "country": changes["country"].code if changes["country"] else None}
    response = staff_token(staff).patch(f"/api/v1/users/{user.pk}/", api_changes, format="json")
    assert response.status_code == 200, response.json()


def _promote_on_the_users_page(staff, user, changes):
    form = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "role": changes["role"],
        "country": changes["country"].pk if changes["country"] else "",
    }
    response = verified_browser(staff).post(reverse("members:user_update", args=[user.pk]), form)
    assert response.status_code == 302, response.context["form"].errors


def _promote_in_the_admin(staff, user, changes):
    client = verified_browser(staff)
    url = reverse("admin:members_user_change", args=[user.pk])
    data = admin_form_data(
        client.get(url),
        role=changes["role"],
        country=changes["country"].pk if changes["country"] else "",
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def _promote_in_the_shell(staff, user, changes):
    user = User.objects.get(pk=user.pk)
    user.role, user.country = changes["role"], changes["country"]
    user.save()


PROMOTIONS = [
    _promote_by_the_api,
    _promote_on_the_users_page,
    _promote_in_the_admin,
    _promote_in_the_shell,
]


@pytest.mark.parametrize("to", [Role.FOCAL_POINT, Role.SECRETARIAT])
@pytest.mark.parametrize("promote", PROMOTIONS, ids=lambda f: f.__name__.strip("_"))
def test_a_promoted_analysts_token_issued_with_the_password_alone_stops_working(mfa, promote, to):
    staff, analyst = SecretariatFactory(), UserFactory()
    france = CountryFactory(code="FRA")
    key = token_of(analyst)  # analysts are not asked for a code
    assert AuthToken.objects.get(user=analyst).grant.second_factor is False
    assert works(key)

    promote(staff, analyst, {"role": to, "country": france if to == Role.FOCAL_POINT else None})

    assert User.objects.get(pk=analyst.pk).role == to
    assert not works(key)
    assert not AuthToken.objects.filter(user=analyst).exists()


def test_a_token_issued_with_the_code_survives_a_promotion(mfa):
    staff, focal_point = SecretariatFactory(), FocalPointFactory()
    device = TOTPDevice.objects.create(user=focal_point, name="phone", confirmed=True)
    key = token_of(focal_point, otp=code_for(device))
    assert AuthToken.objects.get(user=focal_point).grant.second_factor is True

    user_update(user=focal_point, actor=staff, changes={"role": Role.SECRETARIAT, "country": None})

    assert works(key)


def test_a_role_changed_behind_the_services_back_still_ends_the_token(mfa):
    """A bare update() sends no signal and revokes nothing: the token check refuses it all the
    same, on the role the account has now."""
    analyst = UserFactory()
    key = token_of(analyst)
    User.objects.filter(pk=analyst.pk).update(role=Role.FOCAL_POINT, country=CountryFactory())

    response = with_token(key).get("/api/v1/obligations/")

    assert AuthToken.objects.filter(user=analyst).exists()
    assert response.status_code == 401
    assert "one-time code" in response.json()["detail"]


@pytest.mark.parametrize(
    ("make", "mfa_on", "opens"),
    [
        (SecretariatFactory, True, False),
        (FocalPointFactory, True, False),
        (UserFactory, True, True),
        (SecretariatFactory, False, True),
    ],
    ids=["secretariat", "focal point", "analyst", "secretariat, second factor off"],
)
def test_a_token_issued_another_way_counts_as_without_the_code(settings, make, mfa_on, opens):
    """Tokens from before grants were kept, or made in the admin, have none."""
    settings.MFA_REQUIRED = mfa_on
    _, key = AuthToken.objects.create(user=make())
    assert works(key) is opens


# --- Item 4: the role is the one source of the admin's rights ---------------------------------


def _demote_by_the_api(staff, user):
    response = staff_token(staff).patch(
        f"/api/v1/users/{user.pk}/", {"role": Role.ANALYST}, format="json"
    )
    assert response.status_code == 200, response.json()


def _demote_on_the_users_page(staff, user):
    form = {"username": user.username, "email": user.email, "role": Role.ANALYST, "country": ""}
    response = browser(staff).post(reverse("members:user_update", args=[user.pk]), form)
    assert response.status_code == 302, response.context["form"].errors


def _demote_in_the_admin(staff, user):
    client = browser(staff)
    url = reverse("admin:members_user_change", args=[user.pk])
    response = client.post(url, admin_form_data(client.get(url), role=Role.ANALYST))
    assert response.status_code == 302, response.context["adminform"].form.errors


def _demote_in_the_shell(staff, user):
    user = User.objects.get(pk=user.pk)
    user.role = Role.ANALYST
    user.save(update_fields=["role"])


@pytest.mark.parametrize(
    "demote",
    [_demote_by_the_api, _demote_on_the_users_page, _demote_in_the_admin, _demote_in_the_shell],
    ids=lambda f: f.__name__.strip("_"),
)
def test_a_demoted_secretariat_loses_the_admin(demote):
    staff, former = SecretariatFactory(), SecretariatFactory()
    their_browser = browser(former)
    assert (former.is_staff, former.is_superuser) == (True, True)
    assert their_browser.get("/admin/").status_code == 200

    demote(staff, former)

    former.refresh_from_db()
    assert (former.role, former.is_staff, former.is_superuser) == (Role.ANALYST, False, False)
    refused = their_browser.get("/admin/")
    assert refused.status_code == 302
    assert refused["Location"].startswith(reverse("admin:login"))


def test_a_new_secretariat_gets_the_admin():
    staff, analyst = SecretariatFactory(), UserFactory()
    assert browser(analyst).get("/admin/").status_code == 302

    response = staff_token(staff).patch(
        f"/api/v1/users/{analyst.pk}/", {"role": Role.SECRETARIAT}, format="json"
    )

    assert response.status_code == 200
    analyst.refresh_from_db()
    assert (analyst.is_staff, analyst.is_superuser) == (True, True)
    assert browser(analyst).get("/admin/").status_code == 200


def test_the_database_keeps_admin_rights_with_the_role():
    former, analyst = SecretariatFactory(), UserFactory()
    for rows, change in [
        (User.objects.filter(pk=former.pk), {"role": Role.ANALYST}),
        (User.objects.filter(pk=analyst.pk), {"is_staff": True}),
        (User.objects.filter(pk=analyst.pk), {"is_superuser": True}),
        (User.objects.filter(pk=former.pk), {"is_superuser": False}),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**change)


def test_the_admins_user_form_shows_the_rights_without_letting_them_be_set():
    staff, focal_point = SecretariatFactory(), FocalPointFactory()
    client = browser(staff)
    url = reverse("admin:members_user_change", args=[focal_point.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="is_staff"' not in page.text and 'name="is_superuser"' not in page.text

    client.post(url, admin_form_data(page, is_staff="on", is_superuser="on"))

    focal_point.refresh_from_db()
    assert (focal_point.is_staff, focal_point.is_superuser) == (False, False)


@pytest.mark.parametrize(
    ("role", "admitted"),
    [(Role.SECRETARIAT, True), (Role.FOCAL_POINT, False), (Role.ANALYST, False)],
)
def test_the_admin_site_admits_the_secretariat_even_if_staff_were_set_by_hand(role, admitted):
    request = RequestFactory().get("/admin/")
    # Unsaved: the database would refuse these flags on any other role.
    request.user = User(role=role, is_staff=True, is_superuser=True, is_active=True)
    assert admin.site.has_permission(request) is admitted
    request.user.is_active = False
    assert admin.site.has_permission(request) is False


# --- Item 5: the admin shows no authenticator key and no recovery code -------------------------


def test_the_admin_never_shows_an_authenticator_key_or_a_recovery_code():
    staff, focal_point = SecretariatFactory(), FocalPointFactory()
    app = TOTPDevice.objects.create(user=focal_point, name="authenticator app", confirmed=True)
    codes = recovery_codes_issue(focal_point)
    recovery = StaticDevice.objects.get(user=focal_point)
    secrets = {app.key, app.key.upper(), b32encode(app.bin_key).decode(), *codes}
    client = browser(staff)
    pages = [
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_totp_totpdevice_change", args=[app.pk]),
        reverse("admin:otp_totp_totpdevice_delete", args=[app.pk]),
        reverse("admin:otp_static_staticdevice_changelist"),
        reverse("admin:otp_static_staticdevice_change", args=[recovery.pk]),
        reverse("admin:otp_static_staticdevice_delete", args=[recovery.pk]),
        reverse("admin:members_user_change", args=[focal_point.pk]),
        reverse("admin:members_user_delete", args=[focal_point.pk]),
        reverse("admin:members_user_history", args=[focal_point.pk]),
        # django-otp's own pages of the key and its QR code
        f"/admin/otp_totp/totpdevice/{app.pk}/config/",
        f"/admin/otp_totp/totpdevice/{app.pk}/qrcode/",
    ]

    for url in pages:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert not [secret for secret in secrets if secret in text], url
        assert "otpauth://" not in text and response["Content-Type"].startswith("text/html"), url

    assert client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    assert client.get(reverse("admin:otp_static_staticdevice_add")).status_code == 403
    listed = client.get(reverse("admin:otp_static_staticdevice_changelist"))
    assert listed.context["cl"].result_list.get().unused_codes == 10


def test_a_lost_phone_is_still_reset_in_the_admin():
    staff, focal_point = SecretariatFactory(), FocalPointFactory()
    app = TOTPDevice.objects.create(user=focal_point, name="authenticator app", confirmed=True)

    response = browser(staff).post(
        reverse("admin:otp_totp_totpdevice_delete", args=[app.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=focal_point).exists()
