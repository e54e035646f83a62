"""Emails with a one-time link to set one's own password: the invitation of a new account, and
the reset of a forgotten password.

A new account made on the secretariat's page has no password anyone knows (an unusable one) until
its owner follows the invitation's link, chooses one and, if their role needs it, sets up their
authenticator app: nobody who merely learnt an initial password can enrol an app of their own.

Each link carries a token of Django's generator: a keyed hash of the account's password, last
sign-in and address, so setting the password (or signing in) ends it, and so does its age. The
tokens are never stored: the email is composed, in the account's language of emails, by the task
that sends it, off the request. Off the request matters for the reset: the page that asks for one
does the same whether the address is an account's or not, and only the task, in a worker, finds
out which, so no answer and no response time tells.

The tasks are here rather than in members.tasks so the services that queue them need not import
a task module (tests/test_architecture.py); members.services imports this module, which registers
them in every process, the worker's included.
"""

import datetime as dt
import logging

from celery import current_app
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.formats import date_format
from django.utils.http import base36_to_int, urlsafe_base64_encode

from .models import User
from .permissions import needs_second_factor

logger = logging.getLogger(__name__)


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token under a salt of its own (a reset token opens no invitation, nor the
    reverse) and with its own lifetime, INVITATION_TIMEOUT: an invitation waits days for its
    reader, a reset link an hour."""

    key_salt = "members.invitations.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        # Django's check_token with the invitation's limit in place of PASSWORD_RESET_TIMEOUT.
        if not (user and token):
            return False
        try:
            timestamp_b36, _ = token.split("-")
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - timestamp <= settings.INVITATION_TIMEOUT


invitation_token_generator = InvitationTokenGenerator()


def invitation_pending(user: User) -> bool:
    """Whether the account still waits for its owner to accept the invitation: active, never
    signed in, and without a password anyone could type."""
    return user.is_active and user.last_login is None and not user.has_usable_password()


def _link(user: User, url_name: str, generator: PasswordResetTokenGenerator) -> str:
    path = reverse(
        url_name,
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": generator.make_token(user),
        },
    )
    return f"{settings.PORTAL_URL.rstrip('/')}{path}"


def _email(user: User, template: str, *, valid_for: int, **context) -> None:
    """Send `user` the email of `template` (its _subject.txt and _email.txt) about a link valid
    for `valid_for` seconds, composed in their language of emails, dates as they read them."""
    with translation.override(user.email_language or settings.LANGUAGE_CODE):
        until = timezone.localtime() + dt.timedelta(seconds=valid_for)
        context = {
            "user": user,
            "name": user.get_full_name() or user.username,
            "until": date_format(until, "j F Y, H:i"),
            **context,
        }
        subject = render_to_string(f"registration/{template}_subject.txt", context)
        body = render_to_string(f"registration/{template}_email.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [user.email])


# --- Invitations ----------------------------------------------------------------------------------


def invitation_email(user_id: int) -> bool:
    """Email an account's invitation, if it is still pending; whether one was sent. Run twice, it
    sends twice: both links work, until the password is set."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email or not invitation_pending(user):
        return False
    _email(
        user,
        "invitation",
        valid_for=settings.INVITATION_TIMEOUT,
        link=_link(user, "invitation_accept", invitation_token_generator),
        second_factor=needs_second_factor(user),
    )
    logger.info("Invitation emailed to %s", user)
    return True


def invitation_queue(*, user: User) -> None:
    """Email the account's invitation once this transaction commits. A broker out of reach is
    logged and the account stays invited: its page offers to send the invitation again."""
    transaction.on_commit(lambda: _queue(INVITATION_TASK, user.pk), robust=True)


# --- Password resets ----------------------------------------------------------------------------


def password_reset_email(email: str) -> int:
    """Email a reset link to each account that may reset its password by `email` (Django's rule:
    active, with a usable password, the same address whatever its case); how many were sent.
    None for an unknown or deactivated address, or an account still to accept its invitation."""
    sent = 0
    for user in PasswordResetForm().get_users(email):
        _email(
            user,
            "password_reset",
            valid_for=settings.PASSWORD_RESET_TIMEOUT,
            link=_link(user, "password_reset_confirm", default_token_generator),
        )
        sent += 1
    return sent


def password_reset_queue(*, email: str) -> None:
    """Ask a worker to send the reset email for `email`, whoever it belongs to, if anyone."""
    transaction.on_commit(lambda: _queue(PASSWORD_RESET_TASK, email), robust=True)


# The tasks (members.tasks) are queued by name: this module never imports what imports it.
INVITATION_TASK = "members.tasks.invitation_email"
PASSWORD_RESET_TASK = "members.tasks.password_reset_email"


def _queue(task: str, *args) -> None:
    current_app.signature(task, args=args).delay()
