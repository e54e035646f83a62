"""Invitations (issue #17, Accounts): the secretariat creates an account without typing a
password; the account has none anyone could type until its owner follows the link emailed to
them (in their language of emails), chooses one and, for a focal point or the secretariat, sets
up their authenticator app. The link works once and expires; a new one replaces it."""

import datetime as dt
import re
import subprocess
import sys
from unittest import mock

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from members.invitations import invitation_pending, invitation_token_generator
from members.models import Role, User
from members.services import invitation_resend, user_create
from tests.members.emails import link_in, path_of
from tests.members.factories import CountryFactory, SecretariatFactory, UserFactory
from tests.members.test_account_security import (
    NEW_PASSWORD,
    PASSWORD,
    browser,
    code_for,
    verified_browser,
)
from tests.web.conftest import sign_in

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/accounts/invitation/[^/\s]+/[^/\s]+/")


@pytest.fixture
def staff():
    return SecretariatFactory(username="staff")


@pytest.fixture
def staff_browser(staff):
    """The secretariat's browser, signed in with the second factor too (made when first used,
    so after a test turns the second factor on)."""
    clients = []

    def get():
        if not clients:
            clients.append(verified_browser(staff))
        return clients[0]

    return get


@pytest.fixture
def create(staff_browser, django_capture_on_commit_callbacks):
    """Create an account on the secretariat's page, the request committed (the email sent)."""

    def post(**changes):
        data = {
            "username": "fp-deu-2",
            "first_name": "Greta",
            "last_name": "Gruber",
            "email": "greta@example.org",
            "role": "focal_point",
            "country": CountryFactory(code="DEU", name="Germany").pk,
            **changes,
        }
        with django_capture_on_commit_callbacks(execute=True):
            return staff_browser().post(
                reverse("members:user_create"),
                {key: value for key, value in data.items() if value is not None},
            )

    return post


def _link_in(message) -> str:
    return link_in(message, LINK)


def _accept(client: Client, link: str, password: str = NEW_PASSWORD):
    opened = client.get(path_of(link))
    assert opened.status_code == 302 and opened["Location"].endswith("/set-password/"), opened
    form = client.get(opened["Location"])
    assert form.status_code == 200 and form.context["validlink"]
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


def _invite(staff, **fields) -> User:
    return user_create(
        actor=staff, username="invited", role=Role.ANALYST, email="invited@example.org", **fields
    )


# --- Creating -----------------------------------------------------------------------------------


def test_the_create_page_asks_for_no_password_and_says_why(staff):
    page = browser(staff).get(reverse("members:user_create"))
    fields = page.context["form"].fields
    assert not {"password", "password1", "password2"} & set(fields)
    assert fields["email"].required and "email_language" in fields
    assert 'type="password"' not in page.text
    assert "receives an invitation by email" in page.text


def test_a_new_account_has_no_usable_password_and_is_invited_by_email(
    create, staff_browser, mailoutbox, second_factor_required
):
    response = create()

    user = User.objects.get(username="fp-deu-2")
    assert response.status_code == 302
    assert response["Location"] == reverse("members:user_detail", args=[user.pk])
    assert not user.has_usable_password() and invitation_pending(user)
    assert user.history.latest().history_change_reason == "created, invited"
    [message] = mailoutbox
    assert message.to == ["greta@example.org"] and "\n" not in message.subject
    assert "fp-deu-2" in message.body and "Greta Gruber" in message.body
    assert "authenticator app" in message.body  # a focal point sets one up next
    _link_in(message)
    page = staff_browser().get(response["Location"]).text
    assert "Saved fp-deu-2." in page and "An invitation to choose a password is on its way" in page
    # Nobody can sign in to it meanwhile, whatever they type.
    for guess in ("", PASSWORD, user.password):
        assert sign_in(Client(), "fp-deu-2", guess).status_code != 302


def test_an_analysts_invitation_mentions_no_authenticator_app(
    create, mailoutbox, second_factor_required
):
    create(role="analyst", country=None)
    assert "authenticator app" not in mailoutbox[0].body


def test_a_new_account_needs_an_address_to_be_invited_at(create, staff, mailoutbox):
    response = create(email="")
    assert response.status_code == 200 and "email" in response.context["form"].errors
    assert not User.objects.filter(username="fp-deu-2").exists() and mailoutbox == []
    with pytest.raises(ValidationError) as refused:
        user_create(actor=staff, username="nomail", role=Role.ANALYST)
    assert "email" in refused.value.message_dict


def test_the_invitation_is_written_in_the_accounts_language(create, mailoutbox):
    create(email_language="fa")

    user = User.objects.get(username="fp-deu-2")
    assert user.email_language == "fa"
    body = mailoutbox[0].body
    with translation.override("fa"):
        role_in_dari = str(Role.FOCAL_POINT.label)
    assert role_in_dari in body and str(Role.FOCAL_POINT.label) not in body


def test_the_language_is_english_unless_chosen(create, mailoutbox):
    create()
    assert User.objects.get(username="fp-deu-2").email_language == "en"
    assert str(Role.FOCAL_POINT.label) in mailoutbox[0].body


def test_an_account_given_a_password_through_the_api_is_not_invited(staff, mailoutbox):
    with mock.patch("members.invitations._queue") as queued:
        user = user_create(actor=staff, username="scripted", role=Role.ANALYST, password=PASSWORD)
    assert user.check_password(PASSWORD) and not invitation_pending(user)
    queued.assert_not_called()


def test_no_invitation_leaves_when_the_creation_rolls_back(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _invite(staff)
        raise RuntimeError("the request failed after creating the account")
    assert mailoutbox == [] and not User.objects.filter(username="invited").exists()


# --- Accepting ----------------------------------------------------------------------------------


def test_accepting_sets_the_password_signs_in_and_asks_a_focal_point_for_the_app(
    create, mailoutbox, second_factor_required
):
    create()
    client = Client()

    accepted = _accept(client, _link_in(mailoutbox[0]))

    user = User.objects.get(username="fp-deu-2")
    assert user.has_usable_password() and user.check_password(NEW_PASSWORD)
    assert not invitation_pending(user)
    assert user.history.filter(history_change_reason="invitation accepted").exists()
    assert accepted.status_code == 302 and accepted["Location"] == reverse("home")
    # Signed in, but every page waits for the authenticator app to be set up.
    home = client.get(accepted["Location"])
    assert home.status_code == 302 and home["Location"].startswith(reverse("second_factor_setup"))
    setup = client.get(home["Location"])
    assert "Now set up your authenticator app" in setup.text
    assert client.get(reverse("my_country")).status_code == 302
    device = user.totpdevice_set.get(confirmed=False)
    confirmed = client.post(home["Location"], {"code": code_for(device)})
    assert confirmed.status_code == 302
    assert client.get(reverse("my_country")).status_code == 200


def test_an_accepted_analyst_is_signed_in_with_the_password_alone(
    staff, mailoutbox, second_factor_required, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(staff)
    client = Client()
    _accept(client, _link_in(mailoutbox[0]))
    page = client.get(reverse("home"))
    assert page.status_code == 200 and page.context["user"].username == "invited"
    assert "welcome to the portal" in page.text
    assert sign_in(Client(), "invited", NEW_PASSWORD).status_code == 302


def test_the_link_works_once(staff, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(staff)
    link = _link_in(mailoutbox[0])
    _accept(Client(), link)

    again = Client().get(path_of(link))

    assert again.status_code == 200 and not again.context["validlink"]
    assert "This invitation no longer works" in again.text
    User.objects.filter(username="invited").update(last_login=None)  # even had it never signed in
    assert not Client().get(path_of(link)).context["validlink"]


def test_a_weak_password_is_refused_and_the_invitation_stays(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = _invite(staff)
    client = Client()
    opened = client.get(path_of(_link_in(mailoutbox[0])))
    refused = client.post(opened["Location"], {"new_password1": "invited1", "new_password2": "x"})
    assert refused.status_code == 200 and refused.context["form"].errors
    user.refresh_from_db()
    assert invitation_pending(user) and "_auth_user_id" not in client.session


def _token_at(user: User, moment: dt.datetime, generator) -> str:
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=moment):
        return generator.make_token(user)


@pytest.mark.parametrize(("age", "valid"), [(0, True), (1, False)], ids=["at", "past"])
def test_the_invitation_expires_after_invitation_timeout(staff, settings, age, valid):
    user = _invite(staff)
    made = dt.datetime(2026, 3, 1, 9, 0)
    token = _token_at(user, made, invitation_token_generator)
    later = made + dt.timedelta(seconds=settings.INVITATION_TIMEOUT + age)
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        assert invitation_token_generator.check_token(user, token) is valid
        response = Client().get(
            reverse(
                "invitation_accept",
                kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token},
            )
        )
    assert (response.status_code == 302) is valid


def test_an_invitation_lasts_longer_than_a_reset_link(settings):
    assert settings.INVITATION_TIMEOUT == 7 * 24 * 60 * 60 > settings.PASSWORD_RESET_TIMEOUT


def test_a_reset_token_opens_no_invitation_and_the_reverse(staff):
    user = _invite(staff)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    reset_token = default_token_generator.make_token(user)
    invitation_token = invitation_token_generator.make_token(user)
    assert not invitation_token_generator.check_token(user, reset_token)
    assert not default_token_generator.check_token(user, invitation_token)
    opened = Client().get(
        reverse("invitation_accept", kwargs={"uidb64": uid, "token": reset_token})
    )
    assert opened.status_code == 200 and not opened.context["validlink"]


def test_a_deactivated_account_cannot_accept(staff, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = _invite(staff)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = Client().get(path_of(_link_in(mailoutbox[0])))
    assert response.status_code == 200 and not response.context["validlink"]


# --- Sending it again ---------------------------------------------------------------------------


def test_the_users_page_offers_to_send_a_pending_invitation_again(
    staff, create, mailoutbox, django_capture_on_commit_callbacks
):
    create()
    user = User.objects.get(username="fp-deu-2")
    page_url = reverse("members:user_detail", args=[user.pk])
    resend = reverse("members:user_invitation_resend", args=[user.pk])
    client = browser(staff)
    page = client.get(page_url).text
    assert f'action="{resend}"' in page and "Not accepted yet" in page
    first_link = _link_in(mailoutbox[0])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(resend)

    assert response.status_code == 302 and response["Location"] == page_url
    assert "A new invitation is on its way to greta@example.org" in client.get(page_url).text
    assert len(mailoutbox) == 2
    second_link = _link_in(mailoutbox[1])
    # Only the latest works.
    assert Client().get(path_of(first_link)).status_code == 200  # the page saying it is dead
    assert _accept(Client(), second_link).status_code == 302
    assert f'action="{resend}"' not in client.get(page_url).text


def test_an_accepted_invitation_is_not_sent_again(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory(username="settled")  # has a password
    client = browser(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("members:user_invitation_resend", args=[user.pk]))
    assert response.status_code == 302
    assert "has accepted the invitation already" in client.get(response["Location"]).text
    assert mailoutbox == []
    with pytest.raises(ValidationError):
        invitation_resend(user=user, actor=staff)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.FOCAL_POINT])
def test_only_the_secretariat_sends_an_invitation_again(staff, mailoutbox, role):
    user = _invite(staff)
    before = User.objects.filter(pk=user.pk).values("password").get()
    outsider = UserFactory(
        role=role, country=CountryFactory() if role == Role.FOCAL_POINT else None
    )
    response = browser(outsider).post(reverse("members:user_invitation_resend", args=[user.pk]))
    assert response.status_code == 403
    assert User.objects.filter(pk=user.pk).values("password").get() == before


def test_sending_again_is_a_post(staff):
    user = _invite(staff)
    url = reverse("members:user_invitation_resend", args=[user.pk])
    assert browser(staff).get(url).status_code == 405


# --- The worker knows the tasks -----------------------------------------------------------------


def test_a_worker_registers_the_email_tasks():
    """A worker imports only the apps and their tasks modules: the email tasks must be among what
    that registers, or every invitation and reset would wait forever in the queue."""
    script = (
        "import django; django.setup();"
        "from hoa_portal.celery import app; app.loader.import_default_modules();"
        "print(sorted(name for name in app.tasks if name.startswith('members.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={
            "DJANGO_SETTINGS_MODULE": "hoa_portal.settings.base",
            "SECRET_KEY": "test",
            "PATH": "/usr/bin:/bin",
        },
        timeout=60,
    )
    names = result.stdout
    assert "members.tasks.invitation_email" in names
    assert "members.tasks.password_reset_email" in names
