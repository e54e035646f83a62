"""One small world for the API tests: a CBM led by France, a focal point of France (the leading
country) and one of Germany, and a row of every kind that the writes may change or delete."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import models
from knox.models import AuthToken
from rest_framework.test import APIClient

from cbms.models import CBM, CBMRole, Obligation, RoleKind
from conferences.models import ConferenceStatus, Meeting, MeetingKind, MinisterialConference
from members.models import Country, Participation, User
from organizations.models import Organization
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import (
    ConferenceFactory,
    DeclarationFactory,
    MeetingFactory,
    RtgFactory,
)
from tests.members.factories import (
    CountryFactory,
    FocalPointFactory,
    ParticipationFactory,
    SecretariatFactory,
    UserFactory,
)
from tests.organizations.factories import OrganizationFactory

ROLES = ("anonymous", "analyst", "fp_lead", "fp_other", "secretariat", "inactive")

# Every table an API write could touch: a refused request must leave all of them as they were.
TABLES: tuple[type[models.Model], ...] = (
    Country,
    Participation,
    User,
    Organization,
    MinisterialConference,
    Meeting,
    CBM,
    CBMRole,
    Obligation,
)


@dataclass
class World:
    france: Country
    germany: Country
    cbm: CBM  # CT, led by France
    users: dict[str, User | None]
    # Rows the writes change or delete; nothing else refers to them.
    spare_country: Country
    spare_organization: Organization
    planned_conference: MinisterialConference
    held_conference: MinisterialConference
    spare_cbm: CBM
    spare_role: CBMRole
    spare_user: User
    rtg: Meeting  # an RTG of CT, held
    som: Meeting
    obligation: Obligation


@pytest.fixture
def world(db) -> World:
    france = CountryFactory(code="FRA", name="France")
    germany = CountryFactory(code="DEU", name="Germany")
    ParticipationFactory(country=france, kind="supporting", since=dt.date(2011, 11, 2))
    ParticipationFactory(country=germany, kind="supporting", since=dt.date(2011, 11, 2))
    cbm = CBMFactory(code="CT", name="Counter Terrorism", approved_on=dt.date(2012, 6, 14))
    LeadRoleFactory(cbm=cbm, country=france, since=dt.date(2012, 6, 14))
    held_conference = ConferenceFactory(
        number=1, date=dt.date(2011, 11, 2), year=2011, city="Istanbul", host=france
    )
    DeclarationFactory(conference=held_conference, title="1st Ministerial Declaration")
    users = {
        "anonymous": None,
        "analyst": UserFactory(username="analyst"),
        "fp_lead": FocalPointFactory(username="fp-fra", country=france),
        "fp_other": FocalPointFactory(username="fp-deu", country=germany),
        "secretariat": SecretariatFactory(username="staff"),
        "inactive": SecretariatFactory(username="gone", is_active=False),
    }
    rtg = RtgFactory(cbm=cbm, date=dt.date(2015, 3, 1), city="Paris", host=france)
    return World(
        france=france,
        germany=germany,
        cbm=cbm,
        users=users,
        spare_country=CountryFactory(code="XYZ", name="Spareland"),
        spare_organization=OrganizationFactory(acronym="SPARE", name="Spare Organization"),
        planned_conference=ConferenceFactory(
            number=9, date=None, year=2030, city="", host=germany, status=ConferenceStatus.PLANNED
        ),
        held_conference=held_conference,
        spare_cbm=CBMFactory(code="ZZ", name="Spare Measure", approved_on=dt.date(2019, 12, 9)),
        spare_role=CBMRole.objects.create(
            cbm=cbm, country=germany, role=RoleKind.SUPPORTING, since=dt.date(2013, 1, 1)
        ),
        spare_user=UserFactory(username="spare"),
        rtg=rtg,
        som=MeetingFactory(kind=MeetingKind.SOM, date=dt.date(2015, 4, 1), city="Kabul"),
        obligation=Obligation.objects.create(
            cbm=cbm,
            conference=held_conference,
            kind="prioritisation",
            window_start=dt.date(2011, 11, 2),
            deadline=dt.date(2012, 1, 2),
            status="not_in_force",
            evaluated_on=dt.date(2026, 1, 1),
        ),
    )


def token_client(user: User | None) -> APIClient:
    """A client that signs in as analysts' scripts do: `Authorization: Token <key>`."""
    client = APIClient()
    if user is not None:
        _, key = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def client_for(world) -> Callable[[str], APIClient]:
    return lambda role: token_client(world.users[role])


@pytest.fixture
def staff(world) -> APIClient:
    return token_client(world.users["secretariat"])


@pytest.fixture
def analyst(world) -> APIClient:
    return token_client(world.users["analyst"])


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table the API writes, to compare before and after a request."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in TABLES}
