"""Conferences, organizations, CBMs and their roles as SPEC §6 writes them: fields, lookups and
filters."""

import datetime as dt

import pytest

from cbms.models import CBMRole
from tests.cbms.factories import CBMFactory
from tests.conferences.factories import ConferenceFactory
from tests.organizations.factories import OrganizationFactory

# --- Conferences ------------------------------------------------------------------------------


def test_a_conference_shows_its_declaration_title_or_null(world, analyst):
    assert analyst.get("/api/v1/conferences/1/").json() == {
        "number": 1,
        "date": "2011-11-02",
        "year": 2011,
        "city": "Istanbul",
        "host": "FRA",
        "status": "held",
        "declaration": "1st Ministerial Declaration",
    }
    planned = analyst.get("/api/v1/conferences/9/").json()
    assert (planned["date"], planned["status"], planned["declaration"]) == (None, "planned", None)


def test_a_conference_given_a_date_takes_its_year(world, staff):
    response = staff.post(
        "/api/v1/conferences/",
        {"number": 2, "date": "2012-06-14", "city": "Kabul", "host": "DEU", "status": "held"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["year"] == 2012


def test_a_year_that_is_not_the_dates_is_a_400(world, staff):
    response = staff.post(
        "/api/v1/conferences/",
        {"number": 2, "date": "2012-06-14", "year": 2013, "host": "DEU", "status": "held"},
        format="json",
    )
    assert response.status_code == 400
    assert "year" in response.json()


def test_moving_a_conference_out_of_order_is_a_400(world, staff):
    ConferenceFactory(number=2, date=dt.date(2012, 6, 14), host=world.france)
    response = staff.patch("/api/v1/conferences/1/", {"date": "2012-07-01"}, format="json")
    assert response.status_code == 400
    assert "date" in response.json()


@pytest.mark.parametrize(
    ("params", "numbers"),
    [
        ({"status": "planned"}, [9]),
        ({"host": "FRA"}, [1]),
        ({"date_after": "2011-01-01"}, [1]),
        ({"year": 2030}, [9]),
        ({"declaration": "ministerial"}, [1]),
        ({"ordering": "-number"}, [9, 1]),
    ],
)
def test_conferences_filter_on_their_fields(world, analyst, params, numbers):
    results = analyst.get("/api/v1/conferences/", params).json()["results"]
    assert [r["number"] for r in results] == numbers


# --- Organizations ----------------------------------------------------------------------------


def test_an_organization_is_found_by_an_acronym_with_a_space(world, analyst):
    OrganizationFactory(acronym="Colombo Plan", name="The Colombo Plan", kind="regional")
    response = analyst.get("/api/v1/organizations/Colombo%20Plan/")
    assert response.json() == {
        "acronym": "Colombo Plan",
        "name": "The Colombo Plan",
        "kind": "regional",
    }


def test_an_acronym_with_a_slash_is_a_400(world, staff):
    response = staff.post(
        "/api/v1/organizations/", {"acronym": "A/B", "name": "AB", "kind": "format"}, format="json"
    )
    assert response.status_code == 400
    assert "acronym" in response.json()


# --- CBMs and their roles ---------------------------------------------------------------------


def test_a_cbm_is_created_and_found_by_an_encoded_code(world, staff):
    response = staff.post(
        "/api/v1/cbms/",
        {"code": "DM&EP", "name": "Disaster Management", "approved_on": "2012-06-14"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json() == {
        "code": "DM&EP",
        "name": "Disaster Management",
        "approved_on": "2012-06-14",
        "leads": [],
        "supporting": [],
    }
    assert staff.get("/api/v1/cbms/DM%26EP/").json()["name"] == "Disaster Management"


def test_roles_written_at_cbm_roles_show_on_the_cbm(world, staff):
    response = staff.post(
        "/api/v1/cbm-roles/",
        {"cbm": "CT", "organization": "SPARE", "role": "supporting", "since": "2019-12-09"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json() == {
        "id": response.json()["id"],
        "cbm": "CT",
        "country": None,
        "organization": "SPARE",
        "role": "supporting",
        "since": "2019-12-09",
        "until": None,
    }
    assert staff.get("/api/v1/cbms/CT/").json()["supporting"] == ["DEU", "SPARE"]


def test_an_ended_lead_no_longer_leads(world, staff):
    lead = CBMRole.objects.get(cbm=world.cbm, role="lead")
    response = staff.patch(f"/api/v1/cbm-roles/{lead.pk}/", {"until": "2020-12-31"}, format="json")
    assert response.status_code == 200
    assert staff.get("/api/v1/cbms/CT/").json()["leads"] == []


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({"leads": "FRA"}, ["CT"]),
        ({"leads": "DEU"}, []),
        ({"supporting": "DEU"}, ["CT"]),
        ({"supporting": "SPARE"}, ["WE"]),
        ({"approved_on_after": "2019-01-01"}, ["WE", "ZZ"]),
        ({"name": "terror"}, ["CT"]),
        ({"code": "we"}, ["WE"]),
    ],
)
def test_cbms_filter_on_their_fields(world, analyst, params, codes):
    women = CBMFactory(code="WE", name="Women Empowerment", approved_on=dt.date(2019, 12, 9))
    CBMRole.objects.create(
        cbm=women, organization=world.spare_organization, role="supporting", since=women.approved_on
    )
    results = analyst.get("/api/v1/cbms/", params).json()["results"]
    assert sorted(r["code"] for r in results) == codes


@pytest.mark.parametrize(
    ("params", "parties"),
    [
        ({"role": "lead"}, ["FRA"]),
        ({"country": "DEU"}, ["DEU"]),
        ({"organization": "SPARE"}, ["SPARE"]),
        ({"ongoing": "false"}, ["SPARE"]),
        ({"on": "2012-01-01"}, []),
        ({"on": "2013-06-01"}, ["DEU", "FRA"]),
        ({"until_before": "2016-12-31"}, ["SPARE"]),
        ({"since_after": "2013-01-01"}, ["DEU", "SPARE"]),
        ({"cbm": "CT", "ordering": "-since"}, ["DEU", "FRA", "SPARE"]),
    ],
)
def test_cbm_roles_filter_on_their_fields(world, analyst, params, parties):
    CBMRole.objects.create(
        cbm=world.cbm,
        organization=world.spare_organization,
        role="supporting",
        since=dt.date(2014, 1, 1),
        until=dt.date(2016, 1, 1),
    )
    results = analyst.get("/api/v1/cbm-roles/", params).json()["results"]
    assert sorted(r["country"] or r["organization"] for r in results) == parties


# --- History ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "payload", "model"),
    [
        ("countries/XYZ/", {"name": "Spare Union", "participation": "supporting"}, "country"),
        ("organizations/SPARE/", {"name": "Spare Union"}, "organization"),
        ("conferences/9/", {"city": "Dushanbe"}, "conference"),
        ("cbms/ZZ/", {"name": "Spare Union"}, "cbm"),
        ("users/{user}/", {"email": "new@example.org"}, "user"),
    ],
)
def test_a_write_through_a_token_is_in_the_history_with_its_author(
    world, staff, path, payload, model
):
    row = {
        "country": world.spare_country,
        "organization": world.spare_organization,
        "conference": world.planned_conference,
        "cbm": world.spare_cbm,
        "user": world.spare_user,
    }[model]

    response = staff.patch(
        f"/api/v1/{path.format(user=world.spare_user.pk)}", payload, format="json"
    )

    assert response.status_code == 200
    latest = row.history.latest()
    assert (latest.history_type, latest.history_user) == ("~", world.users["secretariat"])
