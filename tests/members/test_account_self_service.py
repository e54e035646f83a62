"""A person's own account page (issue #17, Accounts): they change their password (the old one
checked as a sign-in is; the new one ends their other sessions and API tokens, this session
stays), see their second factor (set up since when, recovery codes left), issue new recovery
codes (shown once, replacing the old), and read which language their pages and emails are in."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.models import User
from members.second_factor import recovery_codes_issue
from tests.members.factories import FocalPointFactory, SecretariatFactory, UserFactory
from tests.members.test_account_security import (
    NEW_PASSWORD,
    PASSWORD,
    browser,
    signed_in,
    token_of,
    verified_browser,
    works,
)
from tests.web.conftest import sign_in

pytestmark = pytest.mark.django_db

ACCOUNT = "/account/"
CHANGE = "/account/password/"
NEW_CODES = "/account/recovery-codes/"


def _change(client, old=PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post(
        CHANGE,
        {"old_password": old, "new_password1": new, "new_password2": again or new},
        REMOTE_ADDR="198.51.100.7",
    )


def test_the_page_is_at_account_password_and_linked_from_the_account_page():
    assert reverse("members:password_change") == CHANGE
    page = browser(UserFactory()).get(ACCOUNT).text
    assert f'href="{CHANGE}"' in page
    assert "signs out your other sessions and revokes your API tokens" in page


def test_anonymous_is_sent_to_sign_in():
    response = Client().get(CHANGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_form_asks_for_the_old_password_then_the_new_one_twice():
    page = browser(UserFactory()).get(CHANGE)
    assert list(page.context["form"].fields) == ["old_password", "new_password1", "new_password2"]
    html = page.text
    for name in ("old_password", "new_password1", "new_password2"):
        assert f'for="id_{name}"' in html  # labelled
    assert 'autocomplete="current-password"' in html and 'autocomplete="new-password"' in html
    assert "other session of your account" in html and "API tokens stop working" in html


def test_a_new_password_ends_the_other_sessions_and_tokens_and_keeps_this_one():
    me = FocalPointFactory()
    keys = [token_of(me), token_of(me)]
    other_browser = browser(me)
    this_browser = browser(me)
    history = me.history.count()

    response = _change(this_browser)

    assert response.status_code == 302 and response["Location"] == ACCOUNT
    page = this_browser.get(ACCOUNT)
    assert page.status_code == 200  # this session stays signed in
    assert "Your password is changed" in page.text and "API tokens no longer work" in page.text
    me.refresh_from_db()
    assert me.check_password(NEW_PASSWORD) and not me.check_password(PASSWORD)
    assert not signed_in(other_browser)
    assert not any(works(key) for key in keys)
    entry = me.history.first()
    assert me.history.count() == history + 1
    assert (entry.history_change_reason, entry.history_user_id) == ("password changed", me.pk)
    # The new password signs in; the old one no longer does.
    assert sign_in(Client(), me.username, NEW_PASSWORD).status_code == 302
    assert sign_in(Client(), me.username, PASSWORD).status_code == 200


def test_this_session_keeps_its_second_factor_through_the_change(second_factor_required):
    staff = SecretariatFactory()
    client = verified_browser(staff)
    assert _change(client).status_code == 302
    assert client.get(reverse("records")).status_code == 200  # not asked for the code again


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"old": "not-my-password"}, "old_password"),
        ({"again": "Another-Passphrase-7"}, "new_password2"),
        ({"new": "password123"}, "new_password2"),  # common (Django puts it on the second)
        ({"new": "short"}, "new_password2"),
    ],
    ids=["wrong old password", "the two differ", "common", "short"],
)
def test_a_refused_change_changes_nothing(data, field):
    me = UserFactory()
    key = token_of(me)
    other_browser, this_browser = browser(me), browser(me)
    before = User.objects.filter(pk=me.pk).values("password").get()

    response = _change(this_browser, **data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'aria-invalid="true"' in response.text and "is-invalid" in response.text
    assert User.objects.filter(pk=me.pk).values("password").get() == before
    assert works(key) and signed_in(other_browser) and signed_in(this_browser)
    assert NEW_PASSWORD not in response.text and PASSWORD not in response.text


def test_a_wrong_old_password_counts_as_a_failed_sign_in_and_too_many_lock(settings):
    """A session left open must not become a way to guess the password at leisure."""
    me = UserFactory(username="left-open")
    client = browser(me)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _change(client, old="guess").status_code == 200
    assert AccessAttempt.objects.get(username="left-open").failures_since_start == (
        settings.AXES_FAILURE_LIMIT - 1
    )

    locked = _change(client, old="guess")
    assert locked.status_code == 429

    right = _change(client)  # even the right one, while locked
    assert right.status_code == 429
    me.refresh_from_db()
    assert me.check_password(PASSWORD)
    assert sign_in(Client(), "left-open", PASSWORD).status_code == 429


# --- The second factor --------------------------------------------------------------------------


def test_an_account_without_a_second_factor_says_so(second_factor_required):
    analyst = browser(UserFactory()).get(ACCOUNT).text
    assert "signs in with the password alone" in analyst and NEW_CODES not in analyst


def test_the_page_says_since_when_the_app_is_set_up_and_the_codes_left(
    second_factor_required,
):
    staff = SecretariatFactory()
    client = verified_browser(staff)
    device = TOTPDevice.objects.get(user=staff)
    TOTPDevice.objects.filter(pk=device.pk).update(created_at="2025-03-04T10:00:00+04:30")
    recovery_codes_issue(staff)
    StaticToken.objects.filter(device__user=staff).first().delete()  # one was used

    page = client.get(ACCOUNT).text

    assert "Authenticator app set up on 4 Mar 2025." in page
    assert "9 recovery codes left." in page
    assert f'action="{NEW_CODES}"' in page


def test_few_codes_left_are_pointed_out(second_factor_required):
    staff = SecretariatFactory()
    client = verified_browser(staff)
    recovery_codes_issue(staff)
    StaticToken.objects.filter(device__user=staff).exclude(
        pk__in=StaticToken.objects.filter(device__user=staff).values("pk")[:2]
    ).delete()
    page = client.get(ACCOUNT).text
    assert "2 recovery codes left." in page and "Few are left" in page


def test_new_recovery_codes_replace_the_old_and_are_shown_once(second_factor_required):
    staff = SecretariatFactory()
    client = verified_browser(staff)
    old_codes = recovery_codes_issue(staff)

    response = client.post(NEW_CODES)

    recovery = f"{reverse('second_factor_recovery')}?next=%2Faccount%2F"
    assert response.status_code == 302 and response["Location"] == recovery
    shown = client.get(recovery)
    assert shown.status_code == 200
    new_codes = shown.context["codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    stored = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    assert stored == set(new_codes)
    assert 'href="/account/"' in shown.text  # then back to the account page
    # Once: a reload shows them no more.
    again = client.get(recovery)
    assert again.status_code == 302 and again["Location"] == ACCOUNT


def test_new_recovery_codes_need_a_session_that_gave_the_second_factor(second_factor_required):
    """The password alone (a session before its code, or with the requirement off) mints none."""
    staff = SecretariatFactory()
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    codes = recovery_codes_issue(staff)
    unverified = browser(staff)

    response = unverified.post(NEW_CODES)

    assert response.status_code == 302  # to the one-time code step, by the middleware
    assert set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True)) == (
        set(codes)
    )


def test_with_the_requirement_off_an_unverified_session_is_refused_on_the_page(settings):
    settings.MFA_REQUIRED = False
    staff = SecretariatFactory()
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    codes = recovery_codes_issue(staff)
    client = browser(staff)

    response = client.post(NEW_CODES, follow=True)

    assert "only after signing in with your authenticator app" in response.text
    assert set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True)) == (
        set(codes)
    )


def test_new_recovery_codes_is_a_post():
    assert browser(UserFactory()).get(NEW_CODES).status_code == 405


# --- Language -----------------------------------------------------------------------------------


def test_the_page_says_which_language_the_pages_and_the_emails_are_in():
    client = browser(UserFactory(email_language="fa"))
    page = client.get(ACCOUNT).text
    assert "These pages are in English" in page and "in دری" in page
    client.post(reverse("set_language"), {"language": "fa", "next": ACCOUNT})
    in_dari = client.get(ACCOUNT)
    assert in_dari.context["LANGUAGE_CODE"] == "fa"
    assert 'id="language-heading"' in in_dari.text


@pytest.mark.parametrize(
    "path",
    [
        ACCOUNT,
        CHANGE,
        "/accounts/password-reset/",
        "/accounts/password-reset/sent/",
        "/accounts/reset/MQ/no-such-token/",
        "/accounts/reset/done/",
        "/accounts/invitation/MQ/no-such-token/",
    ],
)
def test_each_new_page_reads_right_to_left_in_dari(path):
    client = browser(SecretariatFactory(email_language="fa"))
    client.post(reverse("set_language"), {"language": "fa", "next": "/"})
    page = client.get(path)
    assert page.status_code == 200
    assert '<html lang="fa" dir="rtl">' in page.text
