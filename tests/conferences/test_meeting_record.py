"""A meeting's record (issue #18, first slice): its end date, venue and agenda, and who took part.

The database holds to the rules (a participant is a country or an organization, once per meeting;
absent means no delegates; a meeting ends no earlier than it starts) and the forms, the model's
clean() and the API say the same in words. Participants are recorded on the portal's pages by
whoever may edit the meeting, and read in the API with the meeting.
"""

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conferences.models import (
    MEETING_ENDS_BEFORE_IT_STARTS,
    PARTICIPANT_ABSENT_WITH_DELEGATES,
    MeetingParticipant,
)
from tests.api.conftest import token_client
from tests.conferences.factories import MeetingFactory, ParticipantFactory, RtgFactory
from tests.members.factories import CountryFactory
from tests.organizations.factories import OrganizationFactory
from tests.web.conftest import build_world

START = dt.date(2015, 3, 1)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def client_for(world):
    def make(role: str) -> Client:
        client = Client()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        return client

    return make


def _violates(constraint: str, **fields) -> None:
    """The row is refused by the database itself, by the constraint named."""
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        MeetingParticipant.objects.create(**fields)


# --- The meeting's dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "valid"),
    [
        (None, True),
        (START - dt.timedelta(days=1), False),
        (START, True),
        (START.replace(day=3), True),
    ],
    ids=["one day", "the day before", "the same day", "three days"],
)
def test_a_meeting_ends_no_earlier_than_it_starts(db, end, valid):
    meeting = MeetingFactory.build(date=START, end_date=end)

    if valid:
        meeting.full_clean()
        return
    with pytest.raises(ValidationError) as refused:
        meeting.full_clean()
    assert refused.value.message_dict == {"end_date": [str(MEETING_ENDS_BEFORE_IT_STARTS)]}


def test_the_database_refuses_an_end_before_the_start(db):
    meeting = MeetingFactory(date=START)

    with pytest.raises(IntegrityError, match="meeting_ends_after_it_starts"), transaction.atomic():
        type(meeting).objects.filter(pk=meeting.pk).update(end_date=START - dt.timedelta(days=1))
    type(meeting).objects.filter(pk=meeting.pk).update(end_date=START)  # the same day is fine


# --- Participants -------------------------------------------------------------------------------


def test_a_participant_is_a_country_or_an_organization_not_both_nor_neither(db):
    meeting, country, organization = MeetingFactory(), CountryFactory(), OrganizationFactory()

    _violates(
        "participant_country_xor_organization",
        meeting=meeting,
        country=country,
        organization=organization,
    )
    _violates("participant_country_xor_organization", meeting=meeting)
    MeetingParticipant.objects.create(meeting=meeting, country=country)
    MeetingParticipant.objects.create(meeting=meeting, organization=organization)
    assert meeting.participants.count() == 2


def test_a_participant_is_recorded_once_per_meeting(db):
    meeting, country, organization = MeetingFactory(), CountryFactory(), OrganizationFactory()
    ParticipantFactory(meeting=meeting, country=country)
    ParticipantFactory(meeting=meeting, country=None, organization=organization)

    _violates("participant_country_once_per_meeting", meeting=meeting, country=country)
    _violates(
        "participant_organization_once_per_meeting", meeting=meeting, organization=organization
    )
    # At another meeting, the same country and organization are new participants.
    other = MeetingFactory(date=START.replace(day=2))
    ParticipantFactory(meeting=other, country=country)
    ParticipantFactory(meeting=other, country=None, organization=organization)


@pytest.mark.parametrize(
    ("attended", "delegates", "valid"),
    [(True, 0, True), (True, 5, True), (False, 0, True), (False, 1, False)],
)
def test_an_absent_participant_sent_no_delegates(db, attended, delegates, valid):
    fields = {"meeting": MeetingFactory(), "country": CountryFactory()}
    participant = MeetingParticipant(**fields, attended=attended, delegates=delegates)

    if valid:
        participant.full_clean()
        participant.save()
        return
    with pytest.raises(ValidationError) as refused:
        participant.full_clean()
    assert refused.value.message_dict == {"delegates": [str(PARTICIPANT_ABSENT_WITH_DELEGATES)]}
    _violates(
        "participant_absent_has_no_delegates", **fields, attended=attended, delegates=delegates
    )


def test_deleting_a_meeting_deletes_its_participants_and_keeps_their_history(db):
    participant = ParticipantFactory()
    participant.meeting.delete()

    assert not MeetingParticipant.objects.exists()
    assert [row.history_type for row in participant.history.order_by("history_date")] == [
        "+",
        "-",
    ]


# --- The pages ----------------------------------------------------------------------------------


def _add(client: Client, meeting, **data):
    return client.post(reverse("conferences:participant_create", args=[meeting.pk]), data)


def test_the_lead_focal_point_adds_a_participant_and_the_history_says_who(world, client_for):
    response = _add(
        client_for("focal_de"), world.de_rtg, country=world.france.pk, attended="on", delegates=3
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("conferences:meeting_detail", args=[world.de_rtg.pk])
    participant = world.de_rtg.participants.get()
    assert (participant.country, participant.attended, participant.delegates) == (
        world.france,
        True,
        3,
    )
    assert participant.history.get().history_user == world.users["focal_de"]


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 302), ("analyst", 403), ("focal_fr", 404)],
)
def test_who_may_not_edit_the_meeting_adds_no_participant(world, client_for, role, status):
    response = _add(client_for(role), world.de_rtg, country=world.france.pk, delegates=1)

    assert response.status_code == status
    assert not MeetingParticipant.objects.exists()


def test_a_focal_point_edits_no_participant_of_another_countrys_rtg(world, client_for):
    participant = ParticipantFactory(meeting=world.de_rtg, country=world.germany, delegates=4)
    client = client_for("focal_fr")

    edit = client.post(
        reverse("conferences:participant_update", args=[participant.pk]),
        {"country": world.germany.pk, "attended": "on", "delegates": 9},
    )
    delete = client.post(reverse("conferences:participant_delete", args=[participant.pk]))

    assert (edit.status_code, delete.status_code) == (404, 404)
    participant.refresh_from_db()
    assert participant.delegates == 4


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"delegates": 2, "attended": "on"}, "country"),  # neither country nor organization
        ({"country": "both", "delegates": 2, "attended": "on"}, "country"),
        ({"country": "france", "delegates": 2}, "delegates"),  # absent, with delegates
        ({"country": "germany", "delegates": 1, "attended": "on"}, None),  # already there
        ({"country": "france", "delegates": -1, "attended": "on"}, "delegates"),
        ({"country": "france", "delegates": "many", "attended": "on"}, "delegates"),
        ({"country": "999999", "delegates": 1, "attended": "on"}, "country"),
    ],
    ids=["neither", "both", "absent with delegates", "twice", "negative", "not a number", "none"],
)
def test_bad_input_is_a_form_error_and_saves_nothing(world, client_for, data, field):
    ParticipantFactory(meeting=world.de_rtg, country=world.germany)
    if data.get("country") == "both":
        data = {**data, "country": world.france.pk, "organization": world.organization.pk}
    elif data.get("country") in ("france", "germany"):
        data = {**data, "country": getattr(world, data["country"]).pk}

    response = _add(client_for("secretariat"), world.de_rtg, **data)

    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors.get(field) if field else form.non_field_errors()
    assert errors, form.errors
    assert world.de_rtg.participants.count() == 1


def test_the_secretariat_edits_and_removes_a_participant(world, client_for):
    participant = ParticipantFactory(meeting=world.som, country=world.france, delegates=2)
    client = client_for("secretariat")

    edited = client.post(
        reverse("conferences:participant_update", args=[participant.pk]),
        {"country": world.france.pk, "delegates": 0},
    )
    participant.refresh_from_db()
    assert edited.status_code == 302, edited.context["form"].errors
    assert not participant.attended

    removed = client.post(reverse("conferences:participant_delete", args=[participant.pk]))
    assert removed.status_code == 302
    assert not MeetingParticipant.objects.exists()
    assert participant.history.filter(history_type="-").exists()


def test_the_meeting_page_shows_its_record_and_who_attended_apart_from_who_did_not(
    world, client_for
):
    meeting = world.de_rtg
    type(meeting).objects.filter(pk=meeting.pk).update(
        end_date=dt.date(2014, 12, 17), venue="Federal Foreign Office", agenda="Work plan 2015"
    )
    ParticipantFactory(meeting=meeting, country=world.germany, delegates=4)
    ParticipantFactory(meeting=meeting, country=None, organization=world.organization, delegates=1)
    ParticipantFactory(meeting=meeting, country=world.france, attended=False, delegates=0)

    response = client_for("anonymous").get(reverse("conferences:meeting_detail", args=[meeting.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "15 December 2014 – 17 December 2014" in page
    assert "Federal Foreign Office" in page and "Work plan 2015" in page
    assert [p.party for p in response.context["attendees"]] == [world.germany, world.organization]
    assert [p.party for p in response.context["absentees"]] == [world.france]
    assert response.context["delegates"] == 5
    absent = page.index("Invited, did not attend")
    assert page.index("Germany") < absent < page.index("France", absent)
    assert "Add a participant" not in page  # the public reads, edits nothing


def test_the_add_link_is_for_who_may_edit_the_meeting(world, client_for):
    url = reverse("conferences:meeting_detail", args=[world.de_rtg.pk])

    shown = {role: "Add a participant" in client_for(role).get(url).text for role in world.users}

    assert shown == {
        "anonymous": False,
        "analyst": False,
        "focal_fr": False,
        "focal_de": True,
        "secretariat": True,
    }


def test_the_meeting_form_records_end_date_venue_and_agenda(world, client_for):
    url = reverse("conferences:meeting_update", args=[world.de_rtg.pk])
    data = {
        "cbm": world.de_cbm.pk,
        "date": "2014-12-15",
        "status": "held",
        "city": "Berlin",
        "venue": "Federal Foreign Office",
        "agenda": "1. Work plan",
    }
    client = client_for("focal_de")

    refused = client.post(url, {**data, "end_date": "2014-12-14"})
    assert refused.status_code == 200
    assert refused.context["form"].errors["end_date"] == [str(MEETING_ENDS_BEFORE_IT_STARTS)]

    saved = client.post(url, {**data, "end_date": "2014-12-16"})
    assert saved.status_code == 302
    world.de_rtg.refresh_from_db()
    assert (world.de_rtg.end_date, world.de_rtg.venue, world.de_rtg.agenda) == (
        dt.date(2014, 12, 16),
        "Federal Foreign Office",
        "1. Work plan",
    )


# --- The API ------------------------------------------------------------------------------------


def _api(world, role: str):
    return token_client(world.users[role])


def test_the_api_shows_participants_in_the_list_and_the_detail(world):
    meeting = world.de_rtg
    ParticipantFactory(meeting=meeting, country=world.germany, delegates=4)
    ParticipantFactory(meeting=meeting, country=None, organization=world.organization, delegates=1)
    ParticipantFactory(meeting=meeting, country=world.france, attended=False, delegates=0)
    expected = [
        {"country": world.france.code, "organization": None, "attended": False, "delegates": 0},
        {"country": world.germany.code, "organization": None, "attended": True, "delegates": 4},
        {"country": None, "organization": "SCO", "attended": True, "delegates": 1},
    ]
    client = _api(world, "analyst")

    detail = client.get(f"/api/v1/meetings/{meeting.pk}/").json()
    listed = client.get("/api/v1/meetings/").json()["results"]

    assert detail["participants"] == expected
    by_id = {row["id"]: row for row in listed}
    assert by_id[meeting.pk] == detail
    assert by_id[world.fr_rtg.pk]["participants"] == []


def test_the_api_writes_and_checks_end_date_venue_and_agenda(world):
    url = f"/api/v1/meetings/{world.de_rtg.pk}/"
    client = _api(world, "focal_de")

    refused = client.patch(url, {"end_date": "2014-12-14"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"end_date": [str(MEETING_ENDS_BEFORE_IT_STARTS)]}

    saved = client.patch(url, {"end_date": "2014-12-16", "venue": "Auswärtiges Amt"}, format="json")
    assert saved.status_code == 200
    assert (saved.json()["end_date"], saved.json()["venue"]) == ("2014-12-16", "Auswärtiges Amt")
    assert saved.json()["participants"] == []
    assert client.patch(url, {"participants": []}, format="json").status_code == 200  # read-only
    assert not world.de_rtg.participants.exists()


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/meetings/").status_code == 200
    return len(captured)


def _more_meetings_with_participants(world, n: int) -> None:
    for i in range(n):
        meeting = RtgFactory(cbm=world.de_cbm, date=dt.date(2016, 1, 1) + dt.timedelta(days=i))
        ParticipantFactory(meeting=meeting, country=CountryFactory())
        ParticipantFactory(meeting=meeting, country=None, organization=OrganizationFactory())


@pytest.mark.parametrize("role", ["anonymous", "focal_de", "secretariat"])
def test_the_list_costs_the_same_queries_for_one_meeting_and_many(world, role):
    ParticipantFactory(meeting=world.de_rtg, country=world.germany)
    client = _api(world, role)
    client.get("/api/v1/meetings/")  # warm caches
    few = _list_queries(client)

    _more_meetings_with_participants(world, 12)

    assert _list_queries(client) == few


def test_the_detail_costs_the_same_queries_for_one_participant_and_many(world):
    client = _api(world, "analyst")
    url = f"/api/v1/meetings/{world.de_rtg.pk}/"
    ParticipantFactory(meeting=world.de_rtg, country=world.germany)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(8):
        ParticipantFactory(meeting=world.de_rtg, country=CountryFactory())
        ParticipantFactory(meeting=world.de_rtg, country=None, organization=OrganizationFactory())
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["participants"]) == 17

    assert len(many) == len(few)


def test_the_export_has_the_new_columns(world):
    type(world.de_rtg).objects.filter(pk=world.de_rtg.pk).update(
        end_date=dt.date(2014, 12, 16), venue="Federal Foreign Office", agenda="Work plan"
    )

    response = _api(world, "analyst").get("/api/v1/meetings/", {"format": "csv"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    (berlin,) = [row for row in rows if row["id"] == str(world.de_rtg.pk)]
    assert (berlin["end_date"], berlin["venue"], berlin["agenda"]) == (
        "2014-12-16",
        "Federal Foreign Office",
        "Work plan",
    )
