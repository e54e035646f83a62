"""Signing in is not finished until the second factor is given, for those who need one."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from .permissions import needs_second_factor
from .second_factor import has_second_factor


class SecondFactorMiddleware:
    """After the password, someone who needs a second factor (members.permissions) and has not
    given it in this session reaches only the pages that ask for it, signing out and the
    language switch: pages send them there and back, the API (with this session) answers 403.

    It judges the browser session only: here `request.user` is the session's (Django's
    AuthenticationMiddleware), since DRF reads an `Authorization: Token` header later, in the
    view. A request signed with a token and no session cookie therefore passes this middleware
    as anonymous, and the token check decides (hoa_portal.api.authentication): a token issued
    without the one-time code is refused with 401 for an account that needs it. A request that
    carries both a token and a session cookie still answers 403 here if that session has not
    given the second factor.

    After django-otp's OTPMiddleware, which tells whether the session gave it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if needs_second_factor(user) and not user.is_verified() and not self._open(request):
            return self._to_the_step(request, user)
        return self.get_response(request)

    @staticmethod
    def _to_the_step(request, user):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Finish signing in with your one-time code first.")}, status=403
            )
        step = reverse("second_factor" if has_second_factor(user) else "second_factor_setup")
        htmx = HtmxDetails(request)  # django-htmx's own middleware comes later
        if htmx:
            # An htmx fragment: the whole window goes to the step, then back to the page.
            back = htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(f"{step}?{urlencode({'next': back})}")
        return redirect(f"{step}?{urlencode({'next': request.get_full_path()})}")

    @staticmethod
    def _open(request) -> bool:
        open_paths = {
            reverse(name)
            for name in ("second_factor", "second_factor_setup", "logout", "login", "set_language")
        }
        return request.path in open_paths or request.path.startswith(settings.STATIC_URL)
