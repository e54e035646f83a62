"""A CBM with a code that needs URL-encoding (DM&EP), led by France and supported by Germany, with
meetings in every status, and one person in each position an invitation or a feed cares about."""

import datetime as dt
from dataclasses import dataclass
from unittest import mock

import icalendar
import pytest
from django.utils import timezone

from cbms.compliance import invitations, services
from cbms.models import CBM, InvitationDelivery, RoleKind
from conferences.models import Meeting, MeetingKind, MeetingStatus
from members.models import Country, EmailDelivery, User
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import (
    ConferenceFactory,
    MeetingFactory,
    RtgFactory,
    RtgRuleFactory,
)
from tests.members.factories import (
    CountryFactory,
    FocalPointFactory,
    SecretariatFactory,
    UserFactory,
)

CONFERENCE_DAY = dt.date(2015, 1, 1)


@dataclass
class Calendars:
    france: Country
    germany: Country
    cbm: CBM
    other_cbm: CBM
    focal_fr: User
    focal_de: User
    focal_it: User
    desk: User
    analyst: User
    secretariat: User
    held: Meeting
    planned: Meeting
    cancelled: Meeting
    other_held: Meeting
    som: Meeting


def _nothing() -> None:
    """Stands in for the on-commit nudges while the world is built."""


@pytest.fixture
def broker_backoff_reset(monkeypatch):
    monkeypatch.setattr(invitations, "_broker_down_until", 0.0)
    monkeypatch.setattr(services, "_broker_down_until", 0.0)


@pytest.fixture
def cal(db, broker_backoff_reset) -> Calendars:
    with mock.patch.object(services, "_enqueue_drain", _nothing):
        france = CountryFactory(code="FRA", name="France")
        germany = CountryFactory(code="DEU", name="Germany")
        italy = CountryFactory(code="ITA", name="Italy")
        conference = ConferenceFactory(number=1, date=CONFERENCE_DAY, host=france, city="Paris")
        RtgRuleFactory(declaration__conference=conference, effective_from=CONFERENCE_DAY)
        desk = SecretariatFactory(username="desk", first_name="Dana", last_name="Desk")
        cbm = CBMFactory(code="DM&EP", name="Disaster Management", desk_officer=desk)
        other_cbm = CBMFactory(code="CT", name="Counter Terrorism")
        LeadRoleFactory(cbm=cbm, country=france, since=dt.date(2012, 1, 1))
        LeadRoleFactory(
            cbm=cbm, country=germany, role=RoleKind.SUPPORTING, since=dt.date(2012, 1, 1)
        )
        LeadRoleFactory(cbm=other_cbm, country=italy, since=dt.date(2012, 1, 1))
        world = Calendars(
            france=france,
            germany=germany,
            cbm=cbm,
            other_cbm=other_cbm,
            focal_fr=FocalPointFactory(username="focal-fr", country=france),
            focal_de=FocalPointFactory(username="focal-de", country=germany),
            focal_it=FocalPointFactory(username="focal-it", country=italy),
            desk=desk,
            analyst=UserFactory(username="analyst"),
            secretariat=SecretariatFactory(username="staff"),
            held=RtgFactory(cbm=cbm, date=dt.date(2015, 2, 1), city="Lyon", host=france),
            planned=RtgFactory(
                cbm=cbm,
                date=dt.date(2030, 3, 10),
                status=MeetingStatus.PLANNED,
                city="Bonn",
                host=germany,
            ),
            cancelled=RtgFactory(
                cbm=cbm, date=dt.date(2015, 6, 1), status=MeetingStatus.CANCELLED, city="Nice"
            ),
            other_held=RtgFactory(cbm=other_cbm, date=dt.date(2015, 2, 20), city="Rome"),
            som=MeetingFactory(kind=MeetingKind.SOM, date=dt.date(2015, 3, 1), city="Kabul"),
        )
        services.obligations_recompute(on=dt.date(2015, 4, 1))
    # The planned RTG above was invited as it was saved: those emails are not the tests' own.
    InvitationDelivery.objects.update(sent_at=timezone.now())
    return world


def parse(body: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(body)


def events(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def no_email(user: User) -> User:
    user.email_delivery = EmailDelivery.NONE
    user.save()
    return user
