"""Signing in: every failure is logged, and an account that failed too often is locked
(django-axes, configured in settings: AXES_*). This module answers a locked-out attempt."""

import logging

from axes.helpers import get_cool_off
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
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
