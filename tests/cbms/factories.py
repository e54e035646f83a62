import datetime as dt
from contextlib import contextmanager

import factory
from django.db import connection, transaction

from cbms.models import (
    CBM,
    Activity,
    CBMRole,
    ImplementationPlanVersion,
    PlanStatus,
    PriorityArea,
    ProgressReport,
    ReportState,
    RoleKind,
)
from cbms.models.plans import UNFROZEN_PLANS_SETTING, plans_unfreeze_for_transaction
from tests.members.factories import CountryFactory, SecretariatFactory


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


@contextmanager
def published_content_seeded(plan_id: int):
    """Let a fixture write the content of a published version, as the sources gave it.

    The portal never may (cbms.models.plans.plan_content_editable); the tests' worlds need plans
    in force with activities to report on. The database's guard (migration cbms 0006) is lifted
    for this version only, and put back as it was, so a test still sees it hold afterwards.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [UNFROZEN_PLANS_SETTING])
        (before,) = cursor.fetchone()
        plans_unfreeze_for_transaction([plan_id])
        yield
        cursor.execute("SELECT set_config(%s, %s, true)", [UNFROZEN_PLANS_SETTING, before or ""])


class PlanContentFactory(factory.django.DjangoModelFactory):
    """Areas and activities of any version, a published one included (see above)."""

    class Meta:
        abstract = True

    @classmethod
    def _plan_id(cls, kwargs) -> int:
        raise NotImplementedError

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with published_content_seeded(cls._plan_id(kwargs)):
            return super()._create(model_class, *args, **kwargs)


class PriorityAreaFactory(PlanContentFactory):
    class Meta:
        model = PriorityArea

    plan = factory.SubFactory(PlanVersionFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Priority area {n}")

    @classmethod
    def _plan_id(cls, kwargs) -> int:
        return kwargs["plan"].pk


class ActivityFactory(PlanContentFactory):
    class Meta:
        model = Activity

    priority_area = factory.SubFactory(PriorityAreaFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Activity {n}")

    @classmethod
    def _plan_id(cls, kwargs) -> int:
        return kwargs["priority_area"].plan_id


class ReportFactory(factory.django.DjangoModelFactory):
    """A report row in the state asked for, without the workflow (cbms.reports.services) that
    would otherwise have to be walked to reach it: for pages that only show reports."""

    class Meta:
        model = ProgressReport

    cbm = factory.SubFactory(CBMFactory)
    conference = factory.SubFactory("tests.conferences.factories.ConferenceFactory")
    country = factory.SubFactory(CountryFactory)
    state = ReportState.DRAFT
    created_by = factory.SubFactory(SecretariatFactory)
