"""Meetings and conferences are dated within the years the process can be in (issue #15, item 1):
not before 2011 (the Istanbul Process began on 2 November 2011), not more than ten years ahead.
The API and the pages refuse other dates with an error on `date`; the database refuses what lies
outside 2011-01-01 … 2100-12-31, the bound a check constraint can hold without knowing today; the
migration that adds it will not run over a row outside it; and the compliance timeline draws a
meeting stored with any date at all, where a focal point's RTG on 9999-12-31 used to break
/dashboard/ and /my-country/ for everyone (OverflowError)."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from cbms.compliance.views import SVG_LEFT, SVG_RIGHT, SVG_WIDTH, compliance_for
from conferences.models import (
    EARLIEST_DAY,
    LATEST_STORED_DAY,
    PLANNING_HORIZON,
    ConferenceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MinisterialConference,
    date_implausibility,
)
from tests.api.conftest import token_client
from tests.conferences.factories import ConferenceFactory, MeetingFactory
from tests.web.conftest import build_world

FAR_FUTURE = dt.date(9999, 12, 31)
DAY = dt.timedelta(days=1)


@pytest.fixture
def world(db):
    return build_world()


def _today() -> dt.date:
    return timezone.localdate()


def _horizon() -> dt.date:
    return _today() + PLANNING_HORIZON


def _refusal(day: dt.date) -> str:
    return date_implausibility(day, today=_today())


# --- The rule -----------------------------------------------------------------------------------

TODAY = dt.date(2026, 12, 3)


@pytest.mark.parametrize(
    ("day", "today", "plausible"),
    [
        (dt.date(2010, 12, 31), TODAY, False),
        (dt.date(2011, 1, 1), TODAY, True),
        (dt.date(2011, 11, 2), TODAY, True),  # the first conference
        (TODAY, TODAY, True),
        (dt.date(2036, 12, 3), TODAY, True),  # ten years ahead, to the day
        (dt.date(2036, 12, 4), TODAY, False),
        # Ten years after a leap day is the end of February, as the calendar months go.
        (dt.date(2038, 2, 28), dt.date(2028, 2, 29), True),
        (dt.date(2038, 3, 1), dt.date(2028, 2, 29), False),
        (dt.date(1, 1, 1), TODAY, False),
        (FAR_FUTURE, TODAY, False),
    ],
)
def test_a_date_is_plausible_from_2011_to_ten_years_ahead(day, today, plausible):
    assert (date_implausibility(day, today=today) is None) is plausible


def test_the_refusals_say_what_the_bounds_are():
    assert date_implausibility(dt.date(2010, 12, 31), today=TODAY) == (
        "Dates start in 2011, the year the Istanbul Process began."
    )
    assert date_implausibility(dt.date(2036, 12, 4), today=TODAY) == (
        "A date more than ten years ahead is not plausible: 03 Dec 2036 at the latest."
    )


@pytest.mark.parametrize("status", [MeetingStatus.PLANNED, MeetingStatus.CANCELLED])
def test_a_meeting_far_ahead_is_refused_on_its_date(status):
    meeting = MeetingFactory.build(kind=MeetingKind.SOM, date=FAR_FUTURE, status=status)

    with pytest.raises(ValidationError) as refused:
        meeting.clean()

    assert refused.value.message_dict == {"date": [_refusal(FAR_FUTURE)]}


def test_a_held_meeting_tomorrow_keeps_its_own_refusal():
    meeting = MeetingFactory.build(date=_today() + DAY, status=MeetingStatus.HELD)

    with pytest.raises(ValidationError) as refused:
        meeting.clean()

    assert refused.value.message_dict == {"date": ["A held meeting cannot be dated after today."]}


@pytest.mark.django_db
def test_a_planned_conference_without_a_date_needs_none():
    conference = ConferenceFactory.build(
        number=40, date=None, year=2030, status=ConferenceStatus.PLANNED
    )

    conference.clean()  # nothing raised


# --- The API ------------------------------------------------------------------------------------


def _meeting_payload(day: dt.date, status: str = "planned", **extra) -> dict:
    return {"kind": "som", "date": day.isoformat(), "status": status, **extra}


def test_a_focal_point_cannot_schedule_an_rtg_on_9999_12_31(world):
    client = token_client(world.users["focal_fr"])
    before = Meeting.objects.count()

    response = client.post(
        "/api/v1/meetings/",
        {"kind": "rtg", "cbm": "FRX", "date": "9999-12-31", "status": "planned"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"date": [_refusal(FAR_FUTURE)]}
    assert Meeting.objects.count() == before


@pytest.mark.parametrize(
    ("day", "status", "accepted"),
    [
        (lambda: _horizon(), "planned", True),
        (lambda: _horizon() + DAY, "planned", False),
        (lambda: _horizon() + DAY, "cancelled", False),
        (lambda: EARLIEST_DAY, "held", True),
        (lambda: EARLIEST_DAY - DAY, "held", False),
        (lambda: EARLIEST_DAY - DAY, "cancelled", False),
    ],
    ids=[
        "planned ten years ahead",
        "planned a day later",
        "cancelled a day later",
        "held on 1 Jan 2011",
        "held a day before",
        "cancelled a day before",
    ],
)
def test_the_secretariat_records_a_meeting_within_the_bounds(world, day, status, accepted):
    day = day()
    before = Meeting.objects.count()

    response = token_client(world.users["secretariat"]).post(
        "/api/v1/meetings/", _meeting_payload(day, status), format="json"
    )

    if accepted:
        assert response.status_code == 201, response.content
        assert Meeting.objects.get(pk=response.json()["id"]).date == day
    else:
        assert response.status_code == 400
        assert response.json() == {"date": [_refusal(day)]}
        assert Meeting.objects.count() == before


def test_a_meeting_cannot_be_moved_out_of_range(world):
    rtg = world.de_planned_rtg
    history = rtg.history.count()

    response = token_client(world.users["secretariat"]).patch(
        f"/api/v1/meetings/{rtg.pk}/", {"date": "9999-12-31"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"date": [_refusal(FAR_FUTURE)]}
    rtg.refresh_from_db()
    assert rtg.date == dt.date(2030, 1, 10)
    assert rtg.history.count() == history


@pytest.mark.parametrize(("offset", "accepted"), [(dt.timedelta(0), True), (DAY, False)])
def test_a_conference_is_planned_at_most_ten_years_ahead(world, offset, accepted):
    day = _horizon() + offset
    before = MinisterialConference.objects.count()

    response = token_client(world.users["secretariat"]).post(
        "/api/v1/conferences/",
        {"number": 7, "date": day.isoformat(), "host": "FRA", "status": "planned"},
        format="json",
    )

    if accepted:
        assert response.status_code == 201, response.content
        assert response.json()["date"] == day.isoformat()
    else:
        assert response.status_code == 400
        assert response.json() == {"date": [_refusal(day)]}
        assert MinisterialConference.objects.count() == before


def test_a_conference_cannot_be_dated_before_2011(world):
    conference = world.planned
    before = {"date": conference.date, "year": conference.year}

    response = token_client(world.users["secretariat"]).patch(
        f"/api/v1/conferences/{conference.number}/", {"date": "2010-06-14"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["date"] == [_refusal(dt.date(2010, 6, 14))]
    conference.refresh_from_db()
    assert {"date": conference.date, "year": conference.year} == before


# --- The pages ----------------------------------------------------------------------------------


def test_the_secretariats_meeting_form_refuses_a_date_far_ahead(world, client):
    client.force_login(world.users["secretariat"])
    before = Meeting.objects.count()

    response = client.post(
        reverse("conferences:meeting_create"),
        {"kind": "som", "date": "9999-12-31", "status": "planned", "city": "Kabul"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"date": [_refusal(FAR_FUTURE)]}
    assert Meeting.objects.count() == before


def test_the_focal_points_rtg_form_refuses_a_date_before_2011(world, client):
    client.force_login(world.users["focal_fr"])
    before = Meeting.objects.count()

    response = client.post(
        reverse("conferences:meeting_create"),
        {"cbm": world.fr_cbm.pk, "date": "2010-12-31", "status": "held", "city": "Lyon"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"date": [_refusal(dt.date(2010, 12, 31))]}
    assert Meeting.objects.count() == before


def test_the_conference_form_refuses_a_date_far_ahead(world, client):
    client.force_login(world.users["secretariat"])
    day = _horizon() + DAY

    response = client.post(
        reverse("conferences:conference_create"),
        {
            "number": 7,
            "date": day.isoformat(),
            "year": day.year,
            "host": world.france.pk,
            "status": "planned",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"date": [_refusal(day)]}
    assert not MinisterialConference.objects.filter(number=7).exists()


# --- The database -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "stored"),
    [
        (EARLIEST_DAY, True),
        (EARLIEST_DAY - DAY, False),
        (LATEST_STORED_DAY, True),
        (LATEST_STORED_DAY + DAY, False),
        (FAR_FUTURE, False),
    ],
)
@pytest.mark.parametrize("make", [MeetingFactory, ConferenceFactory], ids=["meeting", "conference"])
def test_the_database_holds_the_fixed_bounds(make, day, stored):
    row = make()
    rows = type(row).objects.filter(pk=row.pk)
    # A conference's year must be its date's (conference_year_plausible is another constraint).
    change = {"date": day} if make is MeetingFactory else {"date": day, "year": min(day.year, 2100)}

    if stored:
        rows.update(**change)
        assert rows.get().date == day
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**change)


@pytest.fixture
def unchecked_dates(db):
    """The meetings' date constraint lifted for one test, as if the rows were stored before it
    existed: dropped inside the test's transaction (PostgreSQL), or ignored (SQLite)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _check_foreign_keys_now()
            cursor.execute("ALTER TABLE conferences_meeting DROP CONSTRAINT meeting_date_plausible")
        else:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


def _check_foreign_keys_now() -> None:
    """PostgreSQL alters no table with checks still pending in the transaction: Django's foreign
    keys are checked at commit, so the rows the test made are checked now instead."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _store(meeting: Meeting, day: dt.date) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(date=day)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_migration_refuses_a_database_with_a_date_out_of_range(db):
    executor = MigrationExecutor(connection)
    executor.migrate([("conferences", "0004_meeting_tally")])
    stray = MeetingFactory(date=dt.date(2010, 6, 1))

    _check_foreign_keys_now()
    executor = MigrationExecutor(connection)
    with pytest.raises(RuntimeError, match=f"meeting {stray.pk} dated 2010-06-01"):
        executor.migrate([("conferences", "0005_plausible_dates")])
    assert Meeting.objects.filter(pk=stray.pk).exists()  # nothing moved, nothing deleted

    Meeting.objects.filter(pk=stray.pk).delete()
    _check_foreign_keys_now()
    executor = MigrationExecutor(connection)
    executor.migrate([("conferences", "0005_plausible_dates")])
    survivor = MeetingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=survivor.pk).update(date=dt.date(2010, 6, 1))


# --- The timeline -------------------------------------------------------------------------------

STORED = [FAR_FUTURE, dt.date(1, 1, 1), LATEST_STORED_DAY]


@pytest.mark.parametrize("day", STORED, ids=str)
def test_the_timeline_draws_a_meeting_of_any_date_at_its_edge(world, unchecked_dates, day):
    _store(world.de_planned_rtg, day)

    (row,) = compliance_for([world.de_cbm], on=_today())[0]
    picture = row.timeline

    xs = [w["x"] for w in picture["windows"]] + [r["x"] for r in picture["rtgs"]]
    xs += [c["x"] for c in picture["conferences"]] + [y["x"] for y in picture["years"]]
    assert all(SVG_LEFT <= x <= SVG_WIDTH - SVG_RIGHT for x in xs)
    (stray,) = [r for r in picture["rtgs"] if r["kind"] == "planned"]
    assert stray["x"] == (SVG_LEFT if day < EARLIEST_DAY else SVG_WIDTH - SVG_RIGHT)
    assert str(day.year) in stray["title"]
    # The picture spans the cycles and the plausible meetings, not the stray one.
    years = [y["label"] for y in picture["years"]]
    assert min(years) >= 2013 and max(years) <= _horizon().year + 1


@pytest.mark.parametrize("day", STORED, ids=str)
def test_the_dashboard_and_my_country_show_a_meeting_of_any_date(
    world, unchecked_dates, client, day
):
    _store(world.de_planned_rtg, day)

    client.force_login(world.users["secretariat"])
    dashboard = client.get(reverse("dashboard"))
    client.force_login(world.users["focal_de"])
    my_country = client.get(reverse("my_country"))

    assert dashboard.status_code == 200
    assert my_country.status_code == 200
    # The stray RTG is listed, with its date, on the focal point's page.
    assert re.search(rf"\b{day.year:04d}\b", my_country.text)
