import datetime as dt

import factory

from cbms.models import (
    CBM,
    Activity,
    CBMRole,
    ImplementationPlanVersion,
    PlanStatus,
    PriorityArea,
    RoleKind,
)
from tests.members.factories import CountryFactory


class CBMFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CBM
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n}")
    name = factory.Sequence(lambda n: f"Measure {n}")
    approved_on = dt.date(2012, 6, 14)


class LeadRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CBMRole

    cbm = factory.SubFactory(CBMFactory)
    country = factory.SubFactory(CountryFactory)
    role = RoleKind.LEAD
    since = factory.LazyAttribute(lambda r: r.cbm.approved_on)


class PlanVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImplementationPlanVersion

    cbm = factory.SubFactory(CBMFactory)
    version = factory.Sequence(lambda n: n + 1)
    title = "Implementation Plan"
    status = PlanStatus.IN_FORCE
    adopted_on = dt.date(2019, 12, 9)


class PriorityAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriorityArea

    plan = factory.SubFactory(PlanVersionFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Priority area {n}")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    priority_area = factory.SubFactory(PriorityAreaFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Activity {n}")
