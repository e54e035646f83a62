"""A CBM with one open review obligation whose deadline is known: the reminder tests' world.

The Istanbul 2019 cycle of the spec's worked example: MC 8 held on 9 Dec 2019, MC 9 not dated
yet, so the next conference is estimated at 9 Dec 2020 and the review RTG is due by 9 Aug 2020
(estimated). The prioritisation RTG was held on 15 Jan 2020, so only the review is reminded of.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

import pytest

from cbms.compliance import services
from cbms.models import CBM, ComplianceOutbox, Obligation, ObligationKind
from conferences.models import Meeting, MeetingStatus, MinisterialConference
from members.models import Country, Notification, User
from tests.cbms.conftest import (  # noqa: F401  (fixtures, shared)
    celery_broker_url,
    celery_workers,
    smtp_server,
)
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import ConferenceFactory, RtgFactory, RtgRuleFactory
from tests.members.factories import CountryFactory, FocalPointFactory, SecretariatFactory

CONFERENCE_DAY = dt.date(2019, 12, 9)
PRIORITISATION_DEADLINE = dt.date(2020, 2, 9)
DEADLINE = dt.date(2020, 8, 9)


def days_before(n: int) -> dt.date:
    return DEADLINE - dt.timedelta(days=n)


@dataclass(frozen=True)
class World:
    cbm: CBM
    lead_country: Country
    focal_point: User
    other_focal_point: User  # of a country that does not lead the CBM
    desk_officer: User
    conference: MinisterialConference
    prioritisation_rtg: Meeting

    def review(self) -> Obligation:
        return Obligation.objects.get(
            cbm=self.cbm, conference=self.conference, kind=ObligationKind.REVIEW
        )

    def notices(self, prefix: str = "") -> set[tuple[str, str, str]]:
        """(username, channel, event key) of every notice whose key starts with `prefix`."""
        return set(
            Notification.objects.filter(event_key__startswith=prefix).values_list(
                "recipient__username", "channel", "event_key"
            )
        )


def _no_nudge() -> None:
    """Stands in for the on-commit enqueue: the test decides what is evaluated and when."""


@pytest.fixture
def no_nudge():
    with mock.patch.object(services, "_enqueue_drain", _no_nudge):
        yield


@pytest.fixture
def reminder_world(db, no_nudge) -> Callable[..., World]:
    def build() -> World:
        lead_country = CountryFactory()
        focal_point = FocalPointFactory(country=lead_country)
        other_focal_point = FocalPointFactory()
        desk_officer = SecretariatFactory()
        conference = ConferenceFactory(number=8, date=CONFERENCE_DAY, host=lead_country)
        ConferenceFactory(number=9, date=None, year=2020, status="planned", host=lead_country)
        RtgRuleFactory(declaration__conference=conference)
        cbm = CBMFactory(code="CT", name="Counter Terrorism", desk_officer=desk_officer)
        LeadRoleFactory(cbm=cbm, country=lead_country, since=dt.date(2012, 6, 14))
        rtg = RtgFactory(cbm=cbm, date=dt.date(2020, 1, 15), status=MeetingStatus.HELD)
        ComplianceOutbox.objects.all().delete()
        return World(
            cbm=cbm,
            lead_country=lead_country,
            focal_point=focal_point,
            other_focal_point=other_focal_point,
            desk_officer=desk_officer,
            conference=conference,
            prioritisation_rtg=rtg,
        )

    return build
