"""`?format=csv` exports every row the filters match, the same rows and values as the JSON list
(all its pages), in the same order (SPEC §6)."""

import csv
import datetime as dt
import io

import pytest

from cbms.models import CBMRole, Obligation, RoleKind
from tests.api.conftest import token_client
from tests.cbms.factories import CBMFactory
from tests.conferences.factories import ConferenceFactory, DeclarationFactory, RtgFactory
from tests.members.factories import CountryFactory, FocalPointFactory, ParticipationFactory
from tests.organizations.factories import OrganizationFactory


def _json_rows(client, path: str, params: dict) -> list[dict]:
    """Every page of the JSON list, following `next`."""
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["results"]
    while body["next"]:
        body = client.get(body["next"]).json()
        rows += body["results"]
    assert len(rows) == response.json()["count"]
    return rows


def _csv_rows(client, path: str, params: dict) -> tuple[list[str], list[dict]]:
    response = client.get(path, {**params, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    return list(reader.fieldnames or []), list(reader)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(_cell(v) for v in value)
    return str(value)


def _as_csv(rows: list[dict]) -> list[dict]:
    return [{key: _cell(value) for key, value in row.items()} for row in rows]


def _countries(world):
    for i in range(5):
        ParticipationFactory(
            country=CountryFactory(), kind="participating", since=dt.date(2012, 1, i + 1)
        )


def _conferences(world):
    for number in range(2, 6):
        DeclarationFactory(conference=ConferenceFactory(number=number, host=world.germany))


def _roles(world):
    for _ in range(3):
        CBMRole.objects.create(
            cbm=world.cbm,
            organization=OrganizationFactory(),
            role=RoleKind.SUPPORTING,
            since=dt.date(2014, 1, 1),
        )


def _meetings(world):
    for day in range(1, 6):
        RtgFactory(cbm=world.cbm, date=dt.date(2016, 1, day), host=world.france)


def _obligations(world):
    for _ in range(3):
        cbm = CBMFactory()
        Obligation.objects.create(
            cbm=cbm,
            conference=world.held_conference,
            kind="review",
            window_start=dt.date(2011, 11, 2),
            deadline=dt.date(2012, 7, 2),
            estimated=True,
            status="met",
            met_by=RtgFactory(cbm=cbm, date=dt.date(2012, 3, 1)),
            evaluated_on=dt.date(2026, 1, 1),
        )


def _users(world):
    for _ in range(3):
        FocalPointFactory(country=world.germany)


def _many_organizations(world):
    OrganizationFactory.create_batch(61, kind="mechanism")


EXPORTS = [
    pytest.param("countries", {"participation": "participating"}, _countries, id="countries"),
    pytest.param("organizations", {"kind": "mechanism"}, _many_organizations, id="organizations"),
    pytest.param(
        "conferences", {"host": "DEU", "ordering": "-date"}, _conferences, id="conferences"
    ),
    pytest.param("cbms", {"leads": "FRA"}, lambda w: None, id="cbms"),
    pytest.param("cbm-roles", {"cbm": "CT", "role": "supporting"}, _roles, id="cbm-roles"),
    pytest.param("meetings", {"kind": "rtg", "date_after": "2015-06-01"}, _meetings, id="meetings"),
    pytest.param(
        "obligations", {"kind": "review", "estimated": "true"}, _obligations, id="obligations"
    ),
    pytest.param("users", {"country": "DEU", "role": "focal_point"}, _users, id="users"),
]


@pytest.mark.parametrize(("prefix", "params", "make"), EXPORTS)
def test_the_csv_export_is_the_json_list_of_the_same_filter(world, prefix, params, make):
    make(world)
    client = token_client(world.users["secretariat"])
    path = f"/api/v1/{prefix}/"

    rows = _json_rows(client, path, params)
    header, exported = _csv_rows(client, path, params)

    assert rows, "the filter should match something"
    assert header == list(rows[0])
    assert exported == _as_csv(rows)
    assert "password" not in header


def test_the_export_holds_every_row_not_one_page(world):
    _many_organizations(world)
    client = token_client(world.users["analyst"])

    first_page = client.get("/api/v1/organizations/", {"kind": "mechanism"}).json()
    _, exported = _csv_rows(client, "/api/v1/organizations/", {"kind": "mechanism"})

    assert len(first_page["results"]) == 50 < first_page["count"] == 61 == len(exported)


def test_an_export_with_a_bad_filter_is_a_400(world):
    client = token_client(world.users["analyst"])
    response = client.get("/api/v1/meetings/", {"cbm": "NOPE", "format": "json"})
    assert response.status_code == 400
    assert "cbm" in response.json()
    assert client.get("/api/v1/meetings/", {"cbm": "NOPE", "format": "csv"}).status_code == 400
