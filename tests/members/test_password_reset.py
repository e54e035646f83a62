"""Forgot password (issue #17, Accounts): Django's reset views, with

- no account enumeration: a known, an unknown and a deactivated address get the same answer
  after the same work in the request; only the task finds out whom to email, if anyone;
- a limit per address asked for and per client (members.signin.password_reset_wait);
- a link that works once and expires (PASSWORD_RESET_TIMEOUT), for an active account only;
- once reset: the API tokens revoked, the other sessions signed out, the lock after failed
  sign-ins lifted, and signing in again, with the second factor for a role that needs it.
"""

import datetime as dt
import re
from unittest import mock

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.formats import date_format
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.models import User
from members.services import user_create
from members.signin import locked_until, password_reset_wait
from tests.members.emails import link_in, path_of
from tests.members.factories import SecretariatFactory, UserFactory
from tests.members.test_account_security import (
    NEW_PASSWORD,
    PASSWORD,
    browser,
    signed_in,
    token_of,
    works,
)
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rate_limits")]

RESET = "/accounts/password-reset/"
SENT = "/accounts/password-reset/sent/"
CSRF_TOKEN = re.compile(r"\b[A-Za-z0-9]{64}\b")  # a masked CSRF token, new for each client
SAVEPOINT_ID = re.compile(r'"s\d+_x\d+"')
LINK = re.compile(r"https?://\S+/accounts/reset/[^/\s]+/[^/\s]+/")


def _ask(email: str, client: str = "198.51.100.1"):
    return Client().post(RESET, {"email": email}, REMOTE_ADDR=client)


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """Ask for a reset as a browser does, the request's transaction committed (so the task runs:
    eagerly, in the tests)."""

    def post(email: str, client: str = "198.51.100.1"):
        with django_capture_on_commit_callbacks(execute=True):
            return _ask(email, client)

    return post


def _link_in(message) -> str:
    return link_in(message, LINK)


def _set_password(client: Client, link: str, password: str = NEW_PASSWORD):
    """Follow the emailed link, then choose the password; the answer to the form's POST."""
    opened = client.get(path_of(link))
    # Django moves the token from the address into the session before showing the form.
    assert opened.status_code == 302 and opened["Location"].endswith("/set-password/")
    form = client.get(opened["Location"])
    assert form.status_code == 200 and form.context["validlink"]
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


# --- The way there ------------------------------------------------------------------------------


def test_the_sign_in_page_links_to_the_reset():
    assert f'href="{RESET}"' in Client().get(reverse("login")).text
    page = Client().get(RESET)
    assert page.status_code == 200 and 'autocomplete="email"' in page.text
    assert "within 60 minutes" in page.text


# --- No enumeration -----------------------------------------------------------------------------


def test_a_known_and_an_unknown_address_get_the_same_answer_after_the_same_work(
    django_capture_on_commit_callbacks, mailoutbox
):
    UserFactory(email="known@example.org")
    UserFactory(email="former@example.org", is_active=False)
    work = {}
    for email in ("known@example.org", "unknown@example.org", "former@example.org"):
        emails_before = len(mailoutbox)
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks() as queued,
        ):
            response = _ask(email)
        assert len(mailoutbox) == emails_before  # the request itself sends nothing
        work[email] = {
            "status": response.status_code,
            "location": response["Location"],
            "queries": [SAVEPOINT_ID.sub("", query["sql"]) for query in queries],
            "queued": len(queued),
        }
        for callback in queued:
            callback()  # the task, as a worker runs it
    assert work["known@example.org"] == work["unknown@example.org"] == work["former@example.org"]
    assert (work["known@example.org"]["status"], work["known@example.org"]["location"]) == (
        302,
        SENT,
    )
    assert work["known@example.org"]["queued"] == 1
    assert not any("members_user" in sql for sql in work["known@example.org"]["queries"])
    # Only the task found out: one email, to the active account.
    assert [message.to for message in mailoutbox] == [["known@example.org"]]


def test_the_page_after_says_the_same_whoever_asked(ask):
    UserFactory(email="known@example.org")
    pages = []
    for email in ("known@example.org", "unknown@example.org"):
        response = ask(email)
        page = Client().get(response["Location"]).text
        pages.append(CSRF_TOKEN.sub("", page))
    assert pages[0] == pages[1]
    assert "If an active account has this email address" in pages[0]


def test_no_email_for_an_account_still_to_accept_its_invitation(ask, mailoutbox):
    """Its unusable password cannot be reset (Django's rule): the secretariat resends the
    invitation instead."""
    user_create(
        actor=SecretariatFactory(), username="invited", role="analyst", email="invited@example.org"
    )
    mailoutbox.clear()
    assert ask("invited@example.org")["Location"] == SENT
    assert mailoutbox == []


def test_the_address_is_matched_whatever_its_case(ask, mailoutbox):
    UserFactory(email="Greta.Gruber@example.org")
    ask("greta.gruber@EXAMPLE.org")
    assert [message.to for message in mailoutbox] == [["Greta.Gruber@example.org"]]


def test_a_malformed_address_is_a_form_error_and_sends_nothing(ask, mailoutbox):
    response = ask("not-an-address")
    assert response.status_code == 200 and "email" in response.context["form"].errors
    assert 'aria-invalid="true"' in response.text
    assert mailoutbox == []


# --- The email ----------------------------------------------------------------------------------


def test_the_email_gives_a_link_to_the_portal_in_the_accounts_language(ask, mailoutbox, settings):
    settings.PORTAL_URL = "https://portal.example.org/"
    UserFactory(username="greta", email="en@example.org", email_language="en")
    UserFactory(username="farid", email="fa@example.org", email_language="fa")
    until = timezone.localtime() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)

    ask("en@example.org")
    ask("fa@example.org")

    english, dari = mailoutbox
    for message in mailoutbox:
        assert "\n" not in message.subject
        assert _link_in(message).startswith("https://portal.example.org/accounts/reset/")
    assert "greta" in english.body and "farid" in dari.body
    # The link's end, with the month as each reader reads it.
    month = date_format(until, "F")
    with translation.override("fa"):
        month_in_dari = date_format(until, "F")
    assert month in english.body and month_in_dari not in english.body
    assert month_in_dari in dari.body and month not in dari.body


# --- The link -----------------------------------------------------------------------------------


def test_the_link_sets_the_password_revokes_the_tokens_and_ends_the_other_sessions(ask, mailoutbox):
    user = UserFactory(email="fp@example.org")
    keys = [token_of(user), token_of(user)]
    their_browser = browser(user)
    ask("fp@example.org")
    link = _link_in(mailoutbox[0])

    done = _set_password(Client(), link)

    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    assert not any(works(key) for key in keys)
    assert not signed_in(their_browser)
    assert user.history.first().history_change_reason == "password reset by email"
    assert user.history.first().history_user_id == user.pk
    # The link signed nobody in: they sign in with the new password.
    assert sign_in(Client(), user.username, NEW_PASSWORD).status_code == 302
    complete = Client().get(done["Location"]).text
    assert "Your password is set" in complete and f'href="{reverse("login")}"' in complete


def test_the_link_works_once(ask, mailoutbox):
    UserFactory(email="fp@example.org")
    ask("fp@example.org")
    link = _link_in(mailoutbox[0])
    assert _set_password(Client(), link).status_code == 302

    again = Client().get(path_of(link))

    assert again.status_code == 200 and not again.context["validlink"]
    assert "This link no longer works" in again.text
    assert f'href="{RESET}"' in again.text


def test_a_newer_password_ends_a_link_sent_before(ask, mailoutbox):
    user = UserFactory(email="fp@example.org")
    ask("fp@example.org")
    link = _link_in(mailoutbox[0])
    browser(user).post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert not Client().get(path_of(link)).context["validlink"]


@pytest.mark.parametrize(("age", "valid"), [(0, True), (1, False)], ids=["at", "past"])
def test_the_link_expires_after_password_reset_timeout(settings, age, valid):
    user = UserFactory()
    made = dt.datetime(2026, 3, 1, 9, 0)
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=made):
        token = default_token_generator.make_token(user)
    path = reverse(
        "password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token},
    )
    later = made + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + age)
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        response = Client().get(path)
    assert (response.status_code == 302) is valid


def test_the_timeout_is_an_hour_by_default(settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 60 * 60


def test_a_deactivated_account_cannot_use_a_link_sent_before(ask, mailoutbox):
    user = UserFactory(email="fp@example.org")
    ask("fp@example.org")
    link = _link_in(mailoutbox[0])
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = Client().get(path_of(link))

    assert response.status_code == 200 and not response.context["validlink"]


# --- Rate limits --------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["known@example.org", "unknown@example.org"])
def test_an_address_asked_for_too_often_is_refused_known_or_not(ask, mailoutbox, settings, email):
    UserFactory(email="known@example.org")
    limit = settings.PASSWORD_RESET_LIMIT_PER_EMAIL
    answers = [ask(email, client=f"198.51.100.{i}").status_code for i in range(limit)]
    sent = len(mailoutbox)

    refused = ask(email, client="203.0.113.5")

    assert answers == [302] * limit
    assert refused.status_code == 429
    assert "Too many requests" in refused.text and "nothing was sent" in refused.text
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert len(mailoutbox) == sent  # nothing more sent
    assert sent == (limit if email.startswith("known") else 0)
    # Another address goes ahead.
    assert ask("other@example.org", client="203.0.113.5").status_code == 302


def test_a_client_asking_for_address_after_address_is_refused(ask, settings):
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 4
    answers = [ask(f"guess{i}@example.org", client="192.0.2.9").status_code for i in range(5)]
    assert answers == [302] * 4 + [429]
    assert ask("guess9@example.org", client="192.0.2.10").status_code == 302


def test_the_limit_starts_again_with_the_next_window(settings):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 1
    window = settings.PASSWORD_RESET_LIMIT_WINDOW
    start = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    assert password_reset_wait(email="a@example.org", client="x", now=start) is None
    wait = password_reset_wait(email="A@example.org ", client="y", now=start + window / 2)
    assert wait == window / 2  # the same address, whatever its case, until the window ends
    assert password_reset_wait(email="a@example.org", client="x", now=start + window) is None


def test_an_unreachable_cache_lets_the_request_through_and_says_so(caplog):
    with mock.patch(
        "django.core.cache.backends.locmem.LocMemCache.incr", side_effect=ConnectionError
    ):
        assert password_reset_wait(email="a@example.org", client="x") is None
    assert "rate limit not checked" in caplog.text


def test_the_address_is_not_kept_in_the_cache(rate_limits):
    password_reset_wait(email="secret.person@example.org", client="192.0.2.1")
    keys = list(rate_limits._cache)
    assert keys and not any("secret.person" in key for key in keys)


# --- Locks and the second factor ----------------------------------------------------------------


def _lock(username: str, settings) -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), username, f"wrong-{attempt}")
    assert locked_until(username) is not None


def test_a_completed_reset_lifts_the_lock_asking_for_one_does_not(ask, mailoutbox, settings):
    user = UserFactory(username="locked-out", email="fp@example.org")
    _lock("locked-out", settings)

    ask("fp@example.org")
    assert locked_until("locked-out") is not None  # asking proves nothing
    assert sign_in(Client(), "locked-out", PASSWORD).status_code == 429

    _set_password(Client(), _link_in(mailoutbox[0]))

    assert locked_until("locked-out") is None
    assert sign_in(Client(), user.username, NEW_PASSWORD).status_code == 302


def test_after_a_reset_the_second_factor_is_still_asked_for(
    ask, mailoutbox, second_factor_required
):
    staff = SecretariatFactory(email="staff@example.org")
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    ask("staff@example.org")
    _set_password(Client(), _link_in(mailoutbox[0]))

    client = Client()
    signed = sign_in(client, staff.username, NEW_PASSWORD)
    page = client.get(reverse("records"))

    assert signed.status_code == 302
    assert page.status_code == 302 and page["Location"].startswith(reverse("second_factor"))
