"""The private feed's secret token: issued and shown once, stored only as its SHA-256, replaced,
revoked; any token that opens nothing is the same 404."""

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from cbms.compliance.calendar import (
    calendar_feed_issue,
    calendar_feed_revoke,
    calendar_feed_user,
)
from members.models import CalendarFeed


def feed_url(token: str) -> str:
    return reverse("calendar:feed", args=[token])


def test_the_token_is_stored_only_as_its_sha256(cal):
    token = calendar_feed_issue(user=cal.focal_fr)
    assert len(token) >= 43  # secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.get(user=cal.focal_fr)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(CalendarFeed.objects.values().get())
    assert calendar_feed_user(token) == cal.focal_fr


def test_issuing_anew_replaces_the_old_token(cal, client):
    old = calendar_feed_issue(user=cal.focal_fr)
    new = calendar_feed_issue(user=cal.focal_fr)
    assert old != new
    assert CalendarFeed.objects.filter(user=cal.focal_fr).count() == 1
    assert client.get(feed_url(old)).status_code == 404
    assert client.get(feed_url(new)).status_code == 200


def _not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404
    return response.content


def test_revoked_garbage_and_another_users_feed_are_the_same_404(cal, client):
    revoked = calendar_feed_issue(user=cal.focal_fr)
    assert calendar_feed_revoke(user=cal.focal_fr)
    assert not calendar_feed_revoke(user=cal.focal_fr)
    other = calendar_feed_issue(user=cal.focal_de)
    bodies = {
        _not_found(client, feed_url(revoked)),
        _not_found(client, feed_url("garbage")),
        _not_found(client, feed_url("x" * 43)),
        _not_found(client, "/calendar/%00.ics"),
        # One character off another user's token opens nothing.
        _not_found(client, feed_url(other[:-1] + ("A" if other[-1] != "A" else "B"))),
    }
    assert len(bodies) == 1  # nothing tells a revoked token from one that never existed
    # Signed in, focal_fr still cannot open a feed with a token that is not a live one: the
    # session is no key to a private feed.
    signed_in = Client()
    signed_in.force_login(cal.focal_fr)
    assert signed_in.get(feed_url(revoked)).status_code == 404
    assert client.get(feed_url(other)).status_code == 200


def test_an_inactive_users_feed_is_404(cal, client):
    token = calendar_feed_issue(user=cal.analyst)
    cal.analyst.is_active = False
    cal.analyst.save()
    assert client.get(feed_url(token)).status_code == 404
    assert calendar_feed_user(token) is None


# --- The buttons ------------------------------------------------------------------------------


@pytest.fixture
def signed_in(cal):
    client = Client()
    client.force_login(cal.focal_fr)
    return client


def test_issuing_shows_the_address_once_then_goes_back(cal, signed_in):
    response = signed_in.post(reverse("calendar:feed_issue"), {"next": "/dashboard/"})
    assert response.status_code == 302
    shown = signed_in.get(response["Location"])
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    token = shown.context["calendar_feed_url"].rsplit("/", 1)[-1].removesuffix(".ics")
    assert calendar_feed_user(token) == cal.focal_fr
    assert f"/calendar/{token}.ics" in shown.text
    assert 'href="/dashboard/"' in shown.text
    # Shown once: a reload goes back where the person was, without the address.
    again = signed_in.get(response["Location"])
    assert (again.status_code, again["Location"]) == (302, "/dashboard/")


def test_an_off_site_next_goes_home(cal, signed_in):
    response = signed_in.post(reverse("calendar:feed_issue"), {"next": "https://evil.example/"})
    shown = signed_in.get(response["Location"])
    assert 'href="https://evil.example/"' not in shown.text


def test_revoking_stops_the_feed(cal, signed_in, client):
    token = calendar_feed_issue(user=cal.focal_fr)
    response = signed_in.post(reverse("calendar:feed_revoke"), {"next": "/dashboard/"})
    assert (response.status_code, response["Location"]) == (302, "/dashboard/")
    assert not CalendarFeed.objects.filter(user=cal.focal_fr).exists()
    assert client.get(feed_url(token)).status_code == 404


def test_the_buttons_need_a_signed_in_post_with_its_csrf_token(cal, client):
    for name in ("calendar:feed_issue", "calendar:feed_revoke"):
        response = client.post(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not CalendarFeed.objects.exists()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cal.focal_fr)
    assert strict.post(reverse("calendar:feed_issue")).status_code == 403
    assert not CalendarFeed.objects.exists()
    signed_in = Client()
    signed_in.force_login(cal.focal_fr)
    assert signed_in.get(reverse("calendar:feed_issue")).status_code == 405
    assert not CalendarFeed.objects.exists()


def test_the_account_section_renders_for_a_user_with_and_without_a_feed(cal, rf):
    from django.template.loader import render_to_string

    request = rf.get("/account/")
    request.user = cal.focal_fr
    without = render_to_string("members/_calendar_feed.html", {}, request=request)
    assert "Issue an address" in without and "Revoke" not in without
    calendar_feed_issue(user=cal.focal_fr)
    cal.focal_fr.refresh_from_db()
    request.user = cal.focal_fr
    with_feed = render_to_string("members/_calendar_feed.html", {}, request=request)
    assert "Issue a new address" in with_feed and "Revoke the address" in with_feed
    assert 'value="/account/"' in with_feed


def test_the_account_page_carries_the_section_and_its_buttons_work(cal, signed_in):
    account = reverse("members:account")
    page = signed_in.get(account)
    assert page.status_code == 200 and "Calendar feed" in page.text
    issued = signed_in.post(reverse("calendar:feed_issue"), {"next": account})
    shown = signed_in.get(issued["Location"])
    assert shown.context["calendar_feed_url"] in shown.text
    assert "issued on" in signed_in.get(account).text  # the address itself is not shown again
    assert shown.context["calendar_feed_url"] not in signed_in.get(account).text
