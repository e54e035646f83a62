"""Calendar feeds (iCalendar, cbms.compliance.calendar) and the buttons that issue and revoke a
person's private feed address.

The feeds are read by calendar applications, which carry no session: the public feeds need
none, the private one is opened by the secret token in its URL. Each answers conditional GETs:
its ETag is the digest of its content, its Last-Modified the moment this server first served
that version of it, so a client revalidating with either gets 304 until something in it changes.
"""

import hashlib
import time
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import gettext
from django.views import View

from hoa_portal.views import PolicyMixin, safe_next, signed_in

from ..models import CBM
from .calendar import (
    calendar_feed_issue,
    calendar_feed_revoke,
    calendar_feed_user,
    cbm_public_meetings,
    meetings_calendar,
    private_calendar,
    public_meetings,
)

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"
# How long the server remembers a feed's version and when it changed.
FEED_VERSION_SECONDS = 30 * 24 * 60 * 60
FEED_URL_KEY = "calendar_feed_url"


def _last_modified(request, etag: str) -> int:
    """When this feed last changed, as a Unix time: the feeds have no single row whose change
    time covers all they show (an obligation changes when it is re-evaluated), so the content
    is the version. Kept per feed and language; a new version is dated now, and always after
    the one before, so a client that kept only the date hears of every change. A forgotten
    entry only makes a client download the feed once more."""
    digest = hashlib.sha256(f"{request.path}|{translation.get_language()}".encode()).hexdigest()
    key = f"calendar-feed-version:{digest}"
    known = cache.get(key)
    if known and known[0] == etag:
        return known[1]
    stamp = max(int(time.time()), known[1] + 1 if known else 0)
    cache.set(key, (etag, stamp), FEED_VERSION_SECONDS)
    return stamp


def calendar_response(request, body: bytes, *, filename: str, private: bool) -> HttpResponse:
    etag = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
    last_modified = _last_modified(request, etag)
    response = HttpResponse(body, content_type=CALENDAR_CONTENT_TYPE)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Revalidated each time (cheaply, by ETag); a private feed is never kept by a shared cache.
    patch_cache_control(response, no_cache=True, **({"private": True} if private else {}))
    return get_conditional_response(
        request, etag=etag, last_modified=last_modified, response=response
    )


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class FeedView(View):
    http_method_names = ["get", "head"]


class MeetingsFeed(FeedView):
    """/calendar/meetings.ics: every meeting the public may see."""

    def get(self, request):
        body = meetings_calendar(
            public_meetings(), name=gettext("HoA-IP meetings"), base_url=_base_url(request)
        )
        return calendar_response(request, body, filename="meetings.ics", private=False)


class CBMFeed(FeedView):
    """/cbms/<code>/calendar.ics: one CBM's meetings the public may see."""

    def get(self, request, code: str):
        # PostgreSQL cannot compare a NUL byte; no code has one.
        cbm = CBM.objects.filter(code=code).first() if "\x00" not in code else None
        if cbm is None:
            raise Http404
        body = meetings_calendar(
            cbm_public_meetings(cbm),
            name=gettext("HoA-IP meetings: %(cbm)s") % {"cbm": cbm.code},
            base_url=_base_url(request),
        )
        return calendar_response(request, body, filename="calendar.ics", private=False)


class PrivateFeed(FeedView):
    """/calendar/<token>.ics: a person's obligations and meetings, in the language of their
    emails. Any token that opens nothing (unknown, revoked, an inactive account's) is the same
    404."""

    def get(self, request, token: str):
        user = calendar_feed_user(token)
        if user is None:
            # The same few bytes for every token that opens nothing: the portal's 404 page
            # would echo the token and carry a fresh CSRF token, different each time.
            return HttpResponseNotFound(
                gettext("No such calendar feed."), content_type="text/plain; charset=utf-8"
            )
        with translation.override(user.email_language):
            body = private_calendar(user, base_url=_base_url(request))
        return calendar_response(request, body, filename="calendar.ics", private=True)


class CalendarFeedIssue(PolicyMixin, View):
    """Issue a new private feed address (replacing any earlier one), shown once on the next
    page: kept in the session until then, never stored."""

    policy = staticmethod(signed_in)
    http_method_names = ["post"]

    def post(self, request):
        token = calendar_feed_issue(user=request.user)
        request.session[FEED_URL_KEY] = request.build_absolute_uri(
            reverse("calendar:feed", args=[token])
        )
        return redirect(
            f"{reverse('calendar:feed_issued')}?{urlencode({'next': safe_next(request)})}"
        )


class CalendarFeedRevoke(PolicyMixin, View):
    policy = staticmethod(signed_in)
    http_method_names = ["post"]

    def post(self, request):
        if calendar_feed_revoke(user=request.user):
            messages.success(request, gettext("Your calendar feed address no longer works."))
        return redirect(safe_next(request))


# The page around the account page's section: the same section, showing the new address.
class CalendarFeedIssued(PolicyMixin, View):
    """The address just issued, once; then back where the person was (as the second factor's
    recovery codes are shown)."""

    policy = staticmethod(signed_in)
    http_method_names = ["get"]

    def get(self, request):
        url = request.session.pop(FEED_URL_KEY, None)
        next_url = safe_next(request)
        if not url:
            return redirect(next_url)
        context = {"calendar_feed_url": url, "calendar_feed_next": next_url}
        response = render(request, "compliance/calendar_feed_issued.html", context)
        # The secret must not stay in a cache or come back with the browser's Back button.
        patch_cache_control(response, no_store=True, private=True)
        return response
