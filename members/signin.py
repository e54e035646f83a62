"""Signing in: every failure is logged, and an account that failed too often is locked
(django-axes, configured in settings: AXES_*). This module answers a locked-out attempt, lifts
the lock when the password is reset by email, and limits how often a reset email is asked for."""

import datetime as dt
import hashlib
import logging

from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import caches
from django.db.models import Max
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


@receiver(user_login_failed)
def sign_in_failure_log(sender, credentials, request=None, **kwargs):
    """One warning per failed sign-in, locked-out attempts included (Django sends the signal
    for both; the password is never in `credentials`)."""
    address = request.META.get("REMOTE_ADDR") if request is not None else None
    logger.warning(
        "Sign-in failed for username %r from %s", credentials.get("username"), address or "?"
    )


def lockout_response(request, original_response=None, credentials=None):
    """429, with when to try again: JSON under /api/, a page in the browser."""
    minutes = int(get_cool_off(request).total_seconds() // 60)
    message = _(
        "Too many failed sign-ins: this account is locked for %(minutes)d minutes. "
        "The secretariat can unlock it sooner."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def locked_until(username: str) -> dt.datetime | None:
    """When the lock on signing in as `username` ends; None when it is not locked. The lock
    runs from the last failure, as django-axes counts it (by username, AXES_* settings)."""
    attempts = AccessAttempt.objects.filter(username=username).aggregate(
        failures=Max("failures_since_start"), last=Max("attempt_time")
    )
    if (attempts["failures"] or 0) < settings.AXES_FAILURE_LIMIT:
        return None
    until = attempts["last"] + settings.AXES_COOLOFF_TIME
    return until if until > timezone.now() else None


def sign_in_unlock(*, username: str, actor) -> int:
    """Forget the failed sign-ins of `username`, so it may sign in again at once. Returns how
    many attempt records went."""
    removed = reset(username=username)
    logger.warning("Sign-in lock on username %r lifted by %s", username, actor)
    return removed


def sign_in_records_purge(*, now: dt.datetime | None = None) -> int:
    """What django-axes keeps of signing in, kept no longer than needed: each sign-in and each
    failure for SIGN_IN_RECORDS_DAYS, a username's failure count for the cool-off (after which it
    no longer locks anything; axes forgets it only at that username's next failure). Returns how
    many rows went; a second run finds nothing."""
    now = now or timezone.now()
    kept_since = now - dt.timedelta(days=settings.SIGN_IN_RECORDS_DAYS)
    removed = 0
    for model, since in (
        (AccessLog, kept_since),
        (AccessFailureLog, kept_since),
        (AccessAttempt, now - settings.AXES_COOLOFF_TIME),
    ):
        removed += model.objects.filter(attempt_time__lt=since).delete()[0]
    return removed


def sign_in_unlock_after_reset(*, user) -> int:
    """A password set through a link sent by email (a reset, an invitation) lifts the lock on the
    account: the failures counted were guesses at the password it replaces, and following the link
    took the inbox, which a guesser does not have. Asking for the email lifts nothing. Returns how
    many attempt records went."""
    removed = reset(username=user.get_username())
    if removed:
        logger.warning("Sign-in lock on username %r lifted by a reset by email", user.username)
    return removed


# --- Asking for a password reset by email ------------------------------------------------------


def _window_count(key: str, *, window: dt.timedelta, now: dt.datetime) -> tuple[int, dt.datetime]:
    """Count one request under `key` in the fixed window `now` falls in; the count so far and
    when the window ends. Each window has a key of its own that expires with it."""
    seconds = int(window.total_seconds())
    start = int(now.timestamp()) // seconds * seconds
    cache = caches["rate_limits"]
    key = f"{key}:{start}"
    cache.add(key, 0, timeout=seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # it expired between the two calls: this is the new window's first
        cache.add(key, 1, timeout=seconds + 1)
        count = 1
    return count, dt.datetime.fromtimestamp(start + seconds, tz=dt.UTC)


def password_reset_wait(
    *, email: str, client: str | None, now: dt.datetime | None = None
) -> dt.timedelta | None:
    """Count this request for a reset email against the address asked for and the client asking
    (settings: PASSWORD_RESET_LIMIT_*); None when it may go ahead, else how long until it may.

    The counts are of requests, never of accounts: a known and an unknown address are limited
    alike, so the limit tells nothing about who has an account. The address is kept only as its
    digest. Should the shared cache be unreachable, the request goes ahead (and is logged): a
    reset email is harmless to its owner, a refused one locks them out.
    """
    now = now or timezone.now()
    window = settings.PASSWORD_RESET_LIMIT_WINDOW
    digest = hashlib.sha256(email.strip().casefold().encode()).hexdigest()
    limits = (
        (f"password-reset:email:{digest}", settings.PASSWORD_RESET_LIMIT_PER_EMAIL),
        (f"password-reset:client:{client or '?'}", settings.PASSWORD_RESET_LIMIT_PER_CLIENT),
    )
    waits = []
    try:
        for key, limit in limits:
            count, ends = _window_count(key, window=window, now=now)
            if count > limit:
                waits.append(ends - now)
    except Exception:  # whatever the cache's client raises when its server is down
        logger.warning("Password reset rate limit not checked: the cache failed", exc_info=True)
        return None
    if waits:
        logger.warning("Password reset asked too often from %s", client or "?")
        return max(waits)
    return None
