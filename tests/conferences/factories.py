import datetime as dt

import factory

from conferences.models import (
    Article,
    ConferenceStatus,
    Declaration,
    MeetingKind,
    MeetingStatus,
    MinisterialConference,
)
from conferences.models import Meeting as MeetingModel
from tests.members.factories import CountryFactory


class ConferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MinisterialConference
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: n + 1)
    # Distinct days that stay within the plausible years however long the test session runs.
    date = factory.LazyAttribute(
        lambda c: dt.date(2011, 11, 2) + dt.timedelta(days=37 * (c.number % 800))
    )
    year = factory.LazyAttribute(lambda c: c.date.year if c.date else 2030)
    city = factory.Sequence(lambda n: f"City {n}")
    host = factory.SubFactory(CountryFactory)
    status = ConferenceStatus.HELD


class DeclarationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Declaration

    conference = factory.SubFactory(ConferenceFactory)
    title = factory.LazyAttribute(lambda d: f"{d.conference.ordinal} Ministerial Declaration")


class RtgRuleFactory(factory.django.DjangoModelFactory):
    """Article 25 of the Beijing Declaration, the rule compliance reads its effective date from."""

    class Meta:
        model = Article

    declaration = factory.SubFactory(DeclarationFactory)
    number = 25
    text = "The lead countries of the CBMs should convene at least two RTGs each year."
    is_rtg_rule = True
    effective_from = dt.date(2014, 10, 31)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingModel

    kind = MeetingKind.SOM
    date = dt.date(2015, 3, 1)
    status = MeetingStatus.HELD
    city = "Kabul"


class RtgFactory(MeetingFactory):
    kind = MeetingKind.RTG
    cbm = factory.SubFactory("tests.cbms.factories.CBMFactory")
