"""`/api/v1/cbms/{code}/compliance/` and `/api/v1/obligations/` as SPEC §6 writes them."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cbms.compliance.services import obligations_recompute
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import ConferenceFactory, RtgFactory, RtgRuleFactory
from tests.members.factories import UserFactory

CONFERENCES = [
    (2, dt.date(2012, 6, 14)),
    (3, dt.date(2013, 4, 26)),
    (4, dt.date(2014, 10, 31)),
    (5, dt.date(2015, 12, 9)),
    (6, dt.date(2016, 12, 4)),
]


@pytest.fixture
def analyst_client(db):
    client = APIClient()
    client.force_authenticate(UserFactory())
    return client


@pytest.fixture
def worked_example(db):
    """SPEC §3's worked example: a CBM led since Kabul 2012 with four RTGs held."""
    conferences = {n: ConferenceFactory(number=n, date=d) for n, d in CONFERENCES}
    RtgRuleFactory(declaration__conference=conferences[4])
    cbm = CBMFactory(code="DM&EP", approved_on=dt.date(2012, 6, 14))
    LeadRoleFactory(cbm=cbm)
    rtgs = [
        RtgFactory(cbm=cbm, date=day)
        for day in (
            dt.date(2014, 12, 31),
            dt.date(2015, 8, 9),
            dt.date(2016, 2, 10),
            dt.date(2016, 8, 5),
        )
    ]
    return cbm, rtgs


def test_compliance_replays_the_worked_example(analyst_client, worked_example):
    _, rtgs = worked_example
    response = analyst_client.get("/api/v1/cbms/DM%26EP/compliance/", {"on": "2017-01-01"})

    assert response.status_code == 200
    body = response.json()
    assert (body["cbm"], body["on"]) == ("DM&EP", "2017-01-01")
    found = {(o["conference"], o["kind"]): o for o in body["obligations"]}
    assert [(o["conference"], o["kind"]) for o in body["obligations"]] == [
        (n, k) for n, _ in CONFERENCES[:-1] for k in ("prioritisation", "review")
    ] + [(6, "prioritisation"), (6, "review")]
    assert found[(4, "prioritisation")] | {"id": None} == {
        "id": None,
        "cbm": "DM&EP",
        "conference": 4,
        "kind": "prioritisation",
        "window_start": "2014-10-31",
        "deadline": "2014-12-31",
        "estimated": False,
        "status": "met",
        "met_by": rtgs[0].pk,
        "evaluated_on": "2017-01-01",
    }
    assert (found[(5, "review")]["status"], found[(5, "review")]["met_by"]) == ("met", rtgs[2].pk)
    assert (found[(5, "prioritisation")]["status"], found[(5, "prioritisation")]["met_by"]) == (
        "late",
        rtgs[3].pk,
    )
    assert found[(6, "review")]["estimated"] is True
    assert body["annual"] == [
        {"year": 2014, "held": 1, "required": 2},
        {"year": 2015, "held": 1, "required": 2},
        {"year": 2016, "held": 2, "required": 2},
        {"year": 2017, "held": 0, "required": 2},
    ]


def test_compliance_carries_the_stored_obligation_ids(analyst_client, worked_example):
    obligations_recompute(on=dt.date(2026, 11, 22))
    body = analyst_client.get("/api/v1/cbms/DM%26EP/compliance/").json()
    assert all(isinstance(o["id"], int) for o in body["obligations"])


@pytest.mark.parametrize("on", ["2017-13-01", "yesterday", "2017-02-30"])
def test_a_malformed_day_is_a_400_naming_the_field(analyst_client, worked_example, on):
    response = analyst_client.get("/api/v1/cbms/DM%26EP/compliance/", {"on": on})
    assert response.status_code == 400
    assert list(response.json()) == ["on"]


def test_an_unknown_cbm_is_a_404(analyst_client, worked_example):
    assert analyst_client.get("/api/v1/cbms/XX/compliance/").status_code == 404


def test_compliance_is_not_for_the_anonymous_public(worked_example):
    assert APIClient().get("/api/v1/cbms/DM%26EP/compliance/").status_code == 401
    assert APIClient().get("/api/v1/obligations/").status_code == 401


def test_obligations_filter_on_their_fields(analyst_client, worked_example):
    obligations_recompute(on=dt.date(2026, 11, 22))
    response = analyst_client.get(
        "/api/v1/obligations/", {"cbm": "DM&EP", "kind": "prioritisation", "status": "late"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (late,) = body["results"]
    assert (late["conference"], late["kind"], late["status"]) == (5, "prioritisation", "late")


@pytest.mark.parametrize(
    "params", [{"cbm": "NOPE"}, {"status": "excused"}, {"kind": "third"}, {"conference": 99}]
)
def test_an_unknown_filter_value_is_a_400(analyst_client, worked_example, params):
    response = analyst_client.get("/api/v1/obligations/", params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)


def test_the_obligation_list_costs_the_same_queries_for_few_and_many_rows(analyst_client, db):
    def queries_for_listing() -> int:
        obligations_recompute(on=dt.date(2026, 11, 22))
        with CaptureQueriesContext(connection) as queries:
            assert analyst_client.get("/api/v1/obligations/", {"page_size": 500}).status_code == 200
        return len(queries)

    conferences = [ConferenceFactory(number=n, date=d) for n, d in CONFERENCES]
    RtgRuleFactory(declaration__conference=conferences[2])
    LeadRoleFactory(cbm=CBMFactory(approved_on=dt.date(2012, 6, 14)))
    few = queries_for_listing()
    for _ in range(10):
        LeadRoleFactory(cbm=CBMFactory(approved_on=dt.date(2012, 6, 14)))
    assert queries_for_listing() == few
