"""The calendar feeds as a calendar client reads them: parsed with icalendar, the events each
should list, stable UIDs, statuses, conditional GETs, and queries that do not grow."""

import datetime as dt
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbms.compliance.calendar import calendar_feed_issue, meeting_uid, obligation_uid
from cbms.models import Obligation
from conferences.models import MeetingStatus
from tests.calendar.conftest import events, parse
from tests.conferences.factories import RtgFactory

PUBLIC_FEED = "/calendar/meetings.ics"


def cbm_feed(cbm) -> str:
    return f"/cbms/{quote(cbm.code, safe='')}/calendar.ics"


def private_feed(user) -> str:
    return reverse("calendar:feed", args=[calendar_feed_issue(user=user)])


def _get(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response


def test_the_urls_are_the_documented_ones(cal, client):
    assert reverse("calendar:meetings") == PUBLIC_FEED
    assert cbm_feed(cal.cbm) == "/cbms/DM%26EP/calendar.ics"
    # `&` may stand unencoded in a path: both spellings are the same feed.
    reversed_url = reverse("calendar:cbm", args=[cal.cbm.code])
    assert client.get(reversed_url).content == client.get(cbm_feed(cal.cbm)).content


def test_the_public_feed_lists_the_meetings_held_with_their_place(cal, client):
    calendar = parse(_get(client, PUBLIC_FEED).content)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Asia/Kabul"
    assert str(calendar["x-wr-timezone"]) == "Asia/Kabul"
    found = events(calendar)
    # Held meetings only: neither the planned nor the cancelled RTG.
    assert set(found) == {meeting_uid(m.pk) for m in (cal.held, cal.other_held, cal.som)}
    held = found[meeting_uid(cal.held.pk)]
    assert held.decoded("dtstart") == dt.date(2015, 2, 1)  # all day: a date, no time
    assert held.decoded("dtend") == dt.date(2015, 2, 2)
    assert str(held["location"]) == "Lyon, France"
    assert str(held["status"]) == "CONFIRMED"
    assert str(held["summary"]) == "DM&EP: Regional Technical Group meeting"
    assert str(held["url"]).endswith(f"/meetings/{cal.held.pk}/")
    assert held["dtstamp"].dt.tzinfo is not None
    assert held.decoded("sequence") == 0


def test_a_cbm_feed_lists_that_cbms_public_meetings(cal, client):
    found = events(parse(_get(client, cbm_feed(cal.cbm)).content))
    assert set(found) == {meeting_uid(cal.held.pk)}
    other = events(parse(_get(client, cbm_feed(cal.other_cbm)).content))
    assert set(other) == {meeting_uid(cal.other_held.pk)}


@pytest.mark.parametrize("code", ["NOPE", "DM", "DM%26EP%00", "%00", "DM%2FEP"])
def test_an_unknown_cbm_code_is_404(cal, client, code):
    assert client.get(f"/cbms/{code}/calendar.ics").status_code == 404


def test_the_secretariats_feed_has_every_obligation_and_meeting(cal, client):
    found = events(parse(_get(client, private_feed(cal.secretariat)).content))
    obligations = Obligation.objects.exclude(status="not_in_force")
    assert obligations.count() == 4  # two CBMs, one cycle, two obligations each
    expected = {obligation_uid(o.cbm_id, o.conference_id, o.kind) for o in obligations}
    meetings = (cal.held, cal.planned, cal.cancelled, cal.other_held, cal.som)
    assert set(found) == expected | {meeting_uid(m.pk) for m in meetings}
    assert str(found[meeting_uid(cal.planned.pk)]["status"]) == "TENTATIVE"
    assert str(found[meeting_uid(cal.cancelled.pk)]["status"]) == "CANCELLED"


def test_an_obligation_window_is_an_all_day_event_from_its_start_to_its_deadline(cal, client):
    found = events(parse(_get(client, private_feed(cal.secretariat)).content))
    first = Obligation.objects.get(cbm=cal.cbm, kind="prioritisation")
    review = Obligation.objects.get(cbm=cal.cbm, kind="review")
    event = found[obligation_uid(cal.cbm.pk, first.conference_id, "prioritisation")]
    assert str(event["summary"]) == "DM&EP prioritisation RTG (MC 1): met"
    assert event.decoded("dtstart") == dt.date(2015, 1, 1)  # the conference day, inclusive
    assert event.decoded("dtend") == dt.date(2015, 3, 2)  # the day after the 1 Mar deadline
    assert str(event["url"]).endswith(f"/cbms/{cal.cbm.pk}/")
    assert str(event["transp"]) == "TRANSPARENT"
    later = found[obligation_uid(cal.cbm.pk, review.conference_id, "review")]
    # The next conference has no date: the review deadline (1 Sep 2015) is estimated.
    assert review.estimated and review.deadline == dt.date(2015, 9, 1)
    assert str(later["summary"]) == (
        f"DM&EP review RTG (MC 1): {review.get_status_display()} (deadline estimated)"
    )
    assert "estimated" in str(later["description"])
    assert later.decoded("dtstart") == dt.date(2015, 1, 2)  # the review window opens after MC
    assert later.decoded("dtend") == dt.date(2015, 9, 2)


def test_a_lead_focal_points_feed_has_its_cbms_obligations_and_meetings_only(cal, client):
    found = events(parse(_get(client, private_feed(cal.focal_fr)).content))
    mine = Obligation.objects.filter(cbm=cal.cbm)
    expected = {obligation_uid(o.cbm_id, o.conference_id, o.kind) for o in mine}
    meetings = {meeting_uid(m.pk) for m in (cal.held, cal.planned, cal.cancelled)}
    assert set(found) == expected | meetings


def test_a_supporting_focal_point_gets_no_obligations(cal, client):
    found = events(parse(_get(client, private_feed(cal.focal_de)).content))
    assert not [uid for uid in found if uid.startswith("obligation-")]
    # Its CBM's meetings as it may see them (MeetingQuerySet.visible_to): the held one; the
    # planned and cancelled RTGs are the lead country's.
    assert [uid for uid in found if uid.startswith("meeting-")] == [meeting_uid(cal.held.pk)]


def test_an_analysts_feed_has_every_obligation_and_the_meetings_held(cal, client):
    found = events(parse(_get(client, private_feed(cal.analyst)).content))
    assert len([uid for uid in found if uid.startswith("obligation-")]) == 4
    assert meeting_uid(cal.planned.pk) not in found
    assert meeting_uid(cal.held.pk) in found


def test_uids_stay_the_same_across_edits_and_a_cancelled_meeting_says_so(cal, client):
    feed = private_feed(cal.secretariat)
    before = events(parse(_get(client, feed).content))
    meeting = cal.planned
    meeting.date, meeting.city = dt.date(2030, 4, 1), "Munich"
    meeting.save()
    moved = events(parse(_get(client, feed).content))
    assert set(moved) == set(before)
    event = moved[meeting_uid(meeting.pk)]
    assert event.decoded("dtstart") == dt.date(2030, 4, 1)
    assert str(event["location"]) == "Munich, Germany"
    # The invitation's update raised the SEQUENCE, the feed follows it.
    assert event.decoded("sequence") == before[meeting_uid(meeting.pk)].decoded("sequence") + 1
    meeting.status = MeetingStatus.CANCELLED
    meeting.save()
    cancelled = events(parse(_get(client, feed).content))
    assert set(cancelled) == set(before)
    assert str(cancelled[meeting_uid(meeting.pk)]["status"]) == "CANCELLED"
    assert cancelled[meeting_uid(meeting.pk)].decoded("sequence") == 2


@pytest.mark.parametrize("feed", ["public", "cbm", "private"])
def test_conditional_gets_answer_304_until_something_changes(cal, client, feed):
    url = {
        "public": PUBLIC_FEED,
        "cbm": cbm_feed(cal.cbm),
        "private": private_feed(cal.secretariat),
    }[feed]
    first = _get(client, url)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag and last_modified
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    assert client.get(url, headers={"if-modified-since": last_modified}).status_code == 304
    assert client.get(url, headers={"if-none-match": '"other"'}).status_code == 200

    cal.held.city = "Marseille"
    cal.held.save()
    changed = client.get(url, headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert b"Marseille" in changed.content
    # A client that kept only the date hears of the change too.
    again = client.get(url, headers={"if-modified-since": last_modified})
    assert again.status_code == 200
    assert again["Last-Modified"] != last_modified
    assert client.get(url, headers={"if-modified-since": again["Last-Modified"]}).status_code == 304


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("feed", ["public", "cbm", "private"])
def test_a_feed_takes_the_same_queries_for_1_and_20_meetings(cal, client, feed):
    url = {
        "public": PUBLIC_FEED,
        "cbm": cbm_feed(cal.cbm),
        "private": private_feed(cal.secretariat),
    }[feed]
    one = _queries(client, url)
    for i in range(19):
        RtgFactory(cbm=cal.cbm, date=dt.date(2016, 1, 1) + dt.timedelta(days=i), host=cal.france)
    body = client.get(url).content
    assert len(parse(body).walk("VEVENT")) >= 20
    assert _queries(client, url) == one
