"""A small world for the portal's pages: two lead countries, France and Germany, each leading one
CBM, one person per role, and records both published and not (a draft plan, a planned RTG).

France's plan in force is frozen (cbms.models.plans); its draft revision starts as a copy of it,
as "New draft version from this one" makes it, and is where the secretariat edits rows."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from cbms.models import CBM, Activity, ImplementationPlanVersion, PlanStatus, PriorityArea
from conferences.models import (
    ConferenceStatus,
    Declaration,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MinisterialConference,
)
from members.models import Country, Notification, Participation, User
from organizations.models import Membership, Organization
from tests.cbms.factories import (
    ActivityFactory,
    CBMFactory,
    LeadRoleFactory,
    PlanVersionFactory,
    PriorityAreaFactory,
)
from tests.conferences.factories import (
    ConferenceFactory,
    DeclarationFactory,
    MeetingFactory,
    RtgFactory,
    RtgRuleFactory,
)
from tests.members.factories import (
    CountryFactory,
    FocalPointFactory,
    ParticipationFactory,
    SecretariatFactory,
    UserFactory,
)
from tests.organizations.factories import MembershipFactory, OrganizationFactory

PASSWORD = "pass-word-123"  # the factories' password


def sign_in(client: Client, username: str, password: str, **extra):
    """The sign-in form, posted as a browser does (Client.login would skip the request, which
    the lockout needs). Signed in when the answer is a redirect. `extra`: WSGI environ keys
    (`REMOTE_ADDR`, `HTTP_X_FORWARDED_FOR`) or `secure=True`."""
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


ROLES = ("anonymous", "analyst", "focal_fr", "focal_de", "secretariat")


@dataclass
class World:
    france: Country
    germany: Country
    afghanistan: Country
    participation: Participation
    organization: Organization
    membership: Membership
    beijing: MinisterialConference
    islamabad: MinisterialConference
    planned: MinisterialConference
    declaration: Declaration
    article: object
    fr_cbm: CBM
    de_cbm: CBM
    fr_role: object
    de_role: object
    fr_plan: ImplementationPlanVersion
    fr_draft: ImplementationPlanVersion
    area: PriorityArea
    activity: Activity
    draft_area: PriorityArea
    draft_activity: Activity
    fr_rtg: Meeting
    de_rtg: Meeting
    de_planned_rtg: Meeting
    som: Meeting
    users: dict[str, User | None]
    notice: Notification


def build_world() -> World:
    france = CountryFactory(code="FRA", name="France")
    germany = CountryFactory(code="DEU", name="Germany")
    afghanistan = CountryFactory(code="AFG", name="Afghanistan")
    participation = ParticipationFactory(country=afghanistan)
    organization = OrganizationFactory(acronym="SCO", name="Shanghai Cooperation Organisation")
    membership = MembershipFactory(organization=organization, country=afghanistan)
    ConferenceFactory(number=3, date=dt.date(2013, 4, 26), host=afghanistan, city="Almaty")
    beijing = ConferenceFactory(
        number=4, date=dt.date(2014, 10, 31), host=afghanistan, city="Beijing"
    )
    islamabad = ConferenceFactory(
        number=5, date=dt.date(2015, 12, 9), host=afghanistan, city="Islamabad"
    )
    planned = ConferenceFactory(
        number=6, date=None, year=2030, city="", host=france, status=ConferenceStatus.PLANNED
    )
    declaration = DeclarationFactory(conference=beijing, title="Beijing Declaration")
    article = RtgRuleFactory(declaration=declaration)
    fr_cbm = CBMFactory(code="FRX", name="French Measure", approved_on=dt.date(2012, 6, 14))
    de_cbm = CBMFactory(code="DEX", name="German Measure", approved_on=dt.date(2012, 6, 14))
    fr_role = LeadRoleFactory(cbm=fr_cbm, country=france)
    de_role = LeadRoleFactory(cbm=de_cbm, country=germany)
    # Adopted before the Beijing cycle, so that its reports speak of this plan's activities.
    fr_plan = PlanVersionFactory(
        cbm=fr_cbm, version=1, status=PlanStatus.IN_FORCE, adopted_on=dt.date(2012, 12, 1)
    )
    fr_draft = PlanVersionFactory(
        cbm=fr_cbm, version=2, status=PlanStatus.DRAFT, adopted_on=None, title="Draft revision"
    )
    area = PriorityAreaFactory(plan=fr_plan, number=1, title="Border security")
    activity = ActivityFactory(priority_area=area, number=1, title="Joint training")
    draft_area = PriorityAreaFactory(plan=fr_draft, number=1, title="Border security")
    draft_activity = ActivityFactory(priority_area=draft_area, number=1, title="Joint training")
    fr_rtg = RtgFactory(cbm=fr_cbm, date=dt.date(2014, 12, 1), city="Paris")
    de_rtg = RtgFactory(cbm=de_cbm, date=dt.date(2014, 12, 15), city="Berlin")
    de_planned_rtg = RtgFactory(
        cbm=de_cbm, date=dt.date(2030, 1, 10), status=MeetingStatus.PLANNED, city="Bonn"
    )
    som = MeetingFactory(kind=MeetingKind.SOM, date=dt.date(2015, 3, 1), city="Kabul")
    users = {
        "anonymous": None,
        "analyst": UserFactory(username="analyst"),
        "focal_fr": FocalPointFactory(username="focal-fr", country=france),
        "focal_de": FocalPointFactory(username="focal-de", country=germany),
        "secretariat": SecretariatFactory(username="staff", first_name="Sam", last_name="Staff"),
    }
    notice = Notification.objects.create(
        recipient=users["focal_fr"],
        channel="portal",
        event_key="obligation:1:5:review:missed",
        subject="FRX: the review RTG after MC 5 is missed",
        body="The review RTG of FRX is missed: deadline 9 Aug 2016.",
    )
    return World(
        france=france,
        germany=germany,
        afghanistan=afghanistan,
        participation=participation,
        organization=organization,
        membership=membership,
        beijing=beijing,
        islamabad=islamabad,
        planned=planned,
        declaration=declaration,
        article=article,
        fr_cbm=fr_cbm,
        de_cbm=de_cbm,
        fr_role=fr_role,
        de_role=de_role,
        fr_plan=fr_plan,
        fr_draft=fr_draft,
        area=area,
        activity=activity,
        draft_area=draft_area,
        draft_activity=draft_activity,
        fr_rtg=fr_rtg,
        de_rtg=de_rtg,
        de_planned_rtg=de_planned_rtg,
        som=som,
        users=users,
        notice=notice,
    )


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def client_for(world):
    """A test client signed in as one of ROLES (anonymous: not signed in)."""

    def make(role: str) -> Client:
        client = Client()
        user = world.users[role]
        if user is not None:
            client.force_login(user)
        return client

    return make
