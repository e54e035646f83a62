"""Signing in: every failure is logged, and an account that failed too often is locked
(django-axes, configured in settings: AXES_*). This module answers a locked-out attempt."""

import datetime as dt
import logging

from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
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
