"""Every list answers in as many queries for 100 rows as for 1 (no N+1), for each role that may
read it (the row scoping of focal points must not add queries per row either)."""

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cbms.models import CBMRole, Obligation, RoleKind
from tests.api.conftest import World, token_client
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import (
    ConferenceFactory,
    DeclarationFactory,
    MeetingFactory,
    RtgFactory,
)
from tests.members.factories import CountryFactory, FocalPointFactory, ParticipationFactory
from tests.organizations.factories import OrganizationFactory


def _country(world: World, i: int) -> None:
    ParticipationFactory(country=CountryFactory(), kind="participating")


def _organization(world: World, i: int) -> None:
    OrganizationFactory()


def _conference(world: World, i: int) -> None:
    DeclarationFactory(conference=ConferenceFactory(number=100 + i, host=CountryFactory()))


def _cbm_with_parties(world: World, i: int) -> None:
    cbm = CBMFactory()
    LeadRoleFactory(cbm=cbm, country=CountryFactory())
    CBMRole.objects.create(
        cbm=cbm, organization=OrganizationFactory(), role=RoleKind.SUPPORTING, since=cbm.approved_on
    )


def _meeting(world: World, i: int) -> None:
    RtgFactory(cbm=world.cbm, host=CountryFactory(), date=dt.date(2015, 1, 1) + dt.timedelta(i))
    MeetingFactory(host=CountryFactory(), date=dt.date(2016, 1, 1) + dt.timedelta(i))


def _obligation(world: World, i: int) -> None:
    cbm = CBMFactory()
    Obligation.objects.create(
        cbm=cbm,
        conference=world.held_conference,
        kind="prioritisation",
        window_start=dt.date(2011, 11, 2),
        deadline=dt.date(2012, 1, 2),
        status="met",
        met_by=RtgFactory(cbm=cbm, date=dt.date(2011, 12, 1)),
        evaluated_on=dt.date(2026, 1, 1),
    )


def _user(world: World, i: int) -> None:
    FocalPointFactory(country=CountryFactory())


LISTS: dict[str, tuple[Callable[[World, int], None], tuple[str, ...]]] = {
    "countries": (_country, ("anonymous", "secretariat")),
    "organizations": (_organization, ("anonymous", "secretariat")),
    "conferences": (_conference, ("anonymous", "secretariat")),
    "cbms": (_cbm_with_parties, ("anonymous", "secretariat")),
    "cbm-roles": (_cbm_with_parties, ("anonymous", "secretariat")),
    "meetings": (_meeting, ("anonymous", "fp_lead", "fp_other", "secretariat")),
    "obligations": (_obligation, ("analyst", "secretariat")),
    "users": (_user, ("secretariat",)),
}


def _queries(client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, {"page_size": 500})
    assert response.status_code == 200
    return len(response.json()["results"]), [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize(
    ("prefix", "role"), [(prefix, role) for prefix, (_, roles) in LISTS.items() for role in roles]
)
def test_a_list_costs_the_same_queries_for_1_and_100_rows(world, prefix, role):
    make, _ = LISTS[prefix]
    client = token_client(world.users[role])
    path = f"/api/v1/{prefix}/"
    make(world, 0)
    rows_before, few = _queries(client, path)

    for i in range(1, 100):
        make(world, i)
    rows_after, many = _queries(client, path)

    assert rows_after >= rows_before + 99
    assert len(many) == len(few), "\n".join(many)
