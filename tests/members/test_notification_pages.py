"""The notifications page: newest first, each notice leading to its record; marked read one by
one or all at once (POST, CSRF, back to the same page), or by opening its link, which goes only
to a path of the portal. Another person's notice is 404."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import Notification
from tests.members.factories import FocalPointFactory

pytestmark = pytest.mark.django_db
LIST = "/notifications/"


def _notice(user, key: str, link: str = "/reports/5/", **extra) -> Notification:
    return Notification.objects.create(
        recipient=user,
        channel=extra.pop("channel", "portal"),
        event_key=key,
        subject=f"Subject {key}",
        body=f"Body {key}",
        link=link,
        **extra,
    )


@pytest.fixture
def reader():
    return FocalPointFactory()


@pytest.fixture
def client(reader) -> Client:
    client = Client()
    client.force_login(reader)
    return client


def _read(notice) -> bool:
    notice.refresh_from_db()
    return notice.read_at is not None


def test_the_list_is_newest_first_and_each_notice_links_to_its_record(client, reader):
    older = _notice(reader, "older")
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(1))
    newer = _notice(reader, "newer", link="/cbms/3/")
    page = client.get(LIST)
    assert [n.pk for n in page.context["notices"]] == [newer.pk, older.pk]
    html = page.text
    assert html.index("Subject newer") < html.index("Subject older")
    assert f'href="/notifications/{newer.pk}/open/"' in html
    assert not _read(newer) and not _read(older)  # looking is not reading


def test_a_notice_without_a_link_has_no_open_link(client, reader):
    notice = _notice(reader, "plain", link="")
    assert f"/notifications/{notice.pk}/open/" not in client.get(LIST).text


def test_mark_one_read_and_come_back_to_the_same_page(client, reader):
    first, second = _notice(reader, "a"), _notice(reader, "b")
    response = client.post(f"/notifications/{first.pk}/read/", {"next": f"{LIST}?page=1"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?page=1"
    assert _read(first) and not _read(second)
    # Twice is harmless and keeps the first time.
    when = Notification.objects.get(pk=first.pk).read_at
    client.post(f"/notifications/{first.pk}/read/")
    assert Notification.objects.get(pk=first.pk).read_at == when


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/cbms/"])
def test_going_back_never_leaves_the_notifications_page(client, reader, target):
    notice = _notice(reader, "a")
    response = client.post(f"/notifications/{notice.pk}/read/", {"next": target})
    assert response["Location"] == LIST


def test_mark_all_read(client, reader):
    mine = [_notice(reader, key) for key in "abc"]
    theirs = _notice(FocalPointFactory(), "other")
    response = client.post("/notifications/read-all/", {"next": f"{LIST}?page=2"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?page=2"
    assert all(_read(n) for n in mine) and not _read(theirs)
    assert "Marked 3 notices read." in client.get(LIST).text
    home = client.get(reverse("home")).text
    assert "unread</span>" not in home


def test_the_buttons_are_posts_protected_by_csrf(reader):
    notice = _notice(reader, "a")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    assert strict.post(f"/notifications/{notice.pk}/read/").status_code == 403
    assert strict.post("/notifications/read-all/").status_code == 403
    assert strict.get(f"/notifications/{notice.pk}/read/").status_code == 405
    assert strict.get("/notifications/read-all/").status_code == 405
    assert not _read(notice)
    page = strict.get(LIST).text
    assert 'name="csrfmiddlewaretoken"' in page and "Mark all read" in page


def test_opening_the_link_marks_it_read_and_goes_to_the_record(client, reader):
    notice = _notice(reader, "a", link="/reports/5/")
    response = client.get(f"/notifications/{notice.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/reports/5/"
    assert _read(notice)


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_opening_refuses_a_link_outside_the_portal(client, reader, link):
    notice = _notice(reader, "a", link=link)
    response = client.get(f"/notifications/{notice.pk}/open/")
    assert response.status_code == 302 and response["Location"] == LIST
    assert not _read(notice)


@pytest.mark.parametrize("path", ["read/", "open/"])
def test_another_persons_notice_or_an_email_row_is_404(client, reader, path):
    theirs = _notice(FocalPointFactory(), "other")
    email = _notice(reader, "mail", channel="email")
    method = client.post if path == "read/" else client.get
    assert method(f"/notifications/{theirs.pk}/{path}").status_code == 404
    assert method(f"/notifications/{email.pk}/{path}").status_code == 404
    assert not _read(theirs) and not _read(email)


def test_anonymous_is_sent_to_sign_in():
    anonymous = Client()
    for path in (LIST, "/notifications/1/open/"):
        assert anonymous.get(path)["Location"].startswith(reverse("login"))
    assert anonymous.post("/notifications/read-all/")["Location"].startswith(reverse("login"))


def test_the_navbar_counts_the_unread(client, reader):
    for key in "abc":
        _notice(reader, key)
    _notice(reader, "read", read_at=timezone.now())
    _notice(reader, "mail", channel="email")
    assert '3<span class="visually-hidden"> unread' in client.get(reverse("home")).text


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_for_1_and_20_notices(client, reader):
    _notice(reader, "first")
    client.get(LIST)
    few = _count(client, LIST)
    for i in range(20):
        _notice(reader, f"n{i}", read_at=timezone.now() if i % 2 else None)
    assert _count(client, LIST) == few
