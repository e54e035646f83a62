"""`/api/v1/notifications/`: the caller's own in-portal notices, filtered by `unread`, marked
read one by one or all at once; another person's is 404; nothing is created or changed here."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import Notification
from tests.api.conftest import token_client
from tests.members.factories import FocalPointFactory

pytestmark = pytest.mark.django_db
LIST = "/api/v1/notifications/"


def _notice(user, key: str, **extra) -> Notification:
    return Notification.objects.create(
        recipient=user,
        channel=extra.pop("channel", "portal"),
        event_key=key,
        subject=f"Subject {key}",
        body=f"Body {key}",
        link=f"/reports/{len(key)}/",
        **extra,
    )


@pytest.fixture
def reader():
    return FocalPointFactory()


@pytest.fixture
def api(reader):
    return token_client(reader)


def test_the_list_is_the_callers_own_portal_notices_newest_first(api, reader):
    older = _notice(reader, "older", read_at=timezone.now())
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(1))
    newer = _notice(reader, "newer")
    _notice(reader, "mail", channel="email")
    _notice(FocalPointFactory(), "theirs")

    body = api.get(LIST).json()

    assert body["count"] == 2 and {"next", "previous"} <= set(body)
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    first = body["results"][0]
    assert set(first) == {"id", "subject", "body", "link", "created_at", "read"}
    assert (first["subject"], first["link"], first["read"]) == (
        "Subject newer",
        "/reports/5/",
        False,
    )
    assert body["results"][1]["read"] is True


@pytest.mark.parametrize(("value", "keys"), [("true", ["unread"]), ("false", ["done"])])
def test_filter_unread(api, reader, value, keys):
    _notice(reader, "unread")
    _notice(reader, "done", read_at=timezone.now())
    rows = api.get(LIST, {"unread": value}).json()["results"]
    assert [row["subject"] for row in rows] == [f"Subject {k}" for k in keys]


def test_a_bad_filter_value_is_a_400_naming_it(api):
    response = api.get(LIST, {"unread": "perhaps"})
    assert response.status_code == 400 and "unread" in response.json()


def test_detail_and_another_persons_notice(api, reader):
    mine, theirs = _notice(reader, "mine"), _notice(FocalPointFactory(), "theirs")
    email = _notice(reader, "mail", channel="email")
    assert api.get(f"{LIST}{mine.pk}/").json()["subject"] == "Subject mine"
    assert api.get(f"{LIST}{theirs.pk}/").status_code == 404
    assert api.get(f"{LIST}{email.pk}/").status_code == 404


def test_mark_one_read(api, reader):
    notice, other = _notice(reader, "a"), _notice(reader, "b")
    response = api.post(f"{LIST}{notice.pk}/read/")
    assert response.status_code == 200
    assert response.json()["read"] is True and response.json()["id"] == notice.pk
    notice.refresh_from_db()
    other.refresh_from_db()
    assert notice.read_at is not None and other.read_at is None
    assert api.post(f"{LIST}{notice.pk}/read/").status_code == 200  # twice is harmless


def test_marking_another_persons_notice_is_404_and_changes_nothing(api):
    theirs = _notice(FocalPointFactory(), "theirs")
    assert api.post(f"{LIST}{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_says_how_many(api, reader):
    for key in "abc":
        _notice(reader, key)
    _notice(reader, "done", read_at=timezone.now())
    theirs = _notice(FocalPointFactory(), "theirs")

    assert api.post(f"{LIST}read-all/").json() == {"marked": 3}
    assert api.post(f"{LIST}read-all/").json() == {"marked": 0}
    assert api.get(LIST, {"unread": "true"}).json()["count"] == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_anonymous_is_401_and_nothing_is_written_here(api, reader):
    notice = _notice(reader, "a")
    anonymous = token_client(None)
    for method, path in (
        ("get", LIST),
        ("get", f"{LIST}{notice.pk}/"),
        ("post", f"{LIST}{notice.pk}/read/"),
        ("post", f"{LIST}read-all/"),
    ):
        assert getattr(anonymous, method)(path).status_code == 401, path
    assert api.post(LIST, {"subject": "x", "body": "y"}, format="json").status_code == 405
    for method in ("put", "patch", "delete"):
        response = getattr(api, method)(f"{LIST}{notice.pk}/", {"read": True}, format="json")
        assert response.status_code == 405
    notice.refresh_from_db()
    assert notice.read_at is None


def test_the_csv_export_has_the_same_columns(api, reader):
    _notice(reader, "a")
    response = api.get(LIST, {"format": "csv"})
    assert response.status_code == 200
    header = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == ["id", "subject", "body", "link", "created_at", "read"]


def _queries(api) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        body = api.get(LIST, {"page_size": 500}).json()
    return len(body["results"]), len(captured)


def test_the_list_costs_the_same_queries_for_1_and_100_notices(api, reader):
    _notice(reader, "first")
    rows, few = _queries(api)
    for i in range(99):
        _notice(reader, f"n{i}", read_at=timezone.now() if i % 2 else None)
    more, many = _queries(api)
    assert (rows, more) == (1, 100)
    assert many == few


def test_filter_by_the_kabul_day_it_was_created(api, reader):
    notice = _notice(reader, "a")
    day = timezone.localdate(notice.created_at).isoformat()
    assert api.get(LIST, {"created_at_after": day}).json()["count"] == 1
    assert api.get(LIST, {"created_at_before": "2000-01-01"}).json()["count"] == 0
    assert api.get(LIST, {"created_at_after": "2026-13-01"}).status_code == 400
