"""The database enforces what must hold (RELIABILITY goal 11): every constraint, violated through
`QuerySet.update()`, raises IntegrityError; the same bad data through a ModelForm is a form error
and saves nothing."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import IntegrityError, models, transaction
from django.forms import model_to_dict, modelform_factory

from cbms.models import CBMName, Obligation, PlanStatus
from tests.cbms.factories import (
    ActivityFactory,
    CBMFactory,
    LeadRoleFactory,
    PlanVersionFactory,
    PriorityAreaFactory,
)
from tests.conferences.factories import (
    ConferenceFactory,
    MeetingFactory,
    RtgFactory,
    RtgRuleFactory,
)
from tests.members.factories import (
    CountryFactory,
    FocalPointFactory,
    ParticipationFactory,
    UserFactory,
)
from tests.organizations.factories import MembershipFactory, OrganizationFactory


@dataclass(frozen=True)
class Violation:
    """A row that is valid, and the change that breaks one constraint."""

    id: str
    make: Callable[[], models.Model]
    change: Callable[[models.Model], dict[str, Any]]


def _obligation(**overrides) -> Obligation:
    conference = ConferenceFactory()
    return Obligation.objects.create(
        cbm=CBMFactory(),
        conference=conference,
        kind="prioritisation",
        window_start=conference.date,
        deadline=conference.date + dt.timedelta(days=60),
        status="missed",
        evaluated_on=dt.date(2026, 1, 1),
        **overrides,
    )


def _draft_plan(**overrides):
    return PlanVersionFactory(status=PlanStatus.DRAFT, adopted_on=None, **overrides)


VIOLATIONS = [
    Violation("country code not alpha-3", CountryFactory, lambda c: {"code": "af1"}),
    Violation("country code taken", CountryFactory, lambda c: {"code": CountryFactory().code}),
    Violation("country name taken", CountryFactory, lambda c: {"name": CountryFactory().name}),
    Violation(
        "participation ends before it starts",
        ParticipationFactory,
        lambda p: {"until": p.since - dt.timedelta(days=1)},
    ),
    Violation("participation kind unknown", ParticipationFactory, lambda p: {"kind": "observer"}),
    Violation(
        "participation period starts twice",
        ParticipationFactory,
        lambda p: {"country": ParticipationFactory(since=p.since, kind=p.kind).country},
    ),
    Violation("focal point without a country", FocalPointFactory, lambda u: {"country": None}),
    Violation("analyst with a country", UserFactory, lambda u: {"country": CountryFactory()}),
    Violation("user role unknown", UserFactory, lambda u: {"role": "admin"}),
    Violation("organization kind unknown", OrganizationFactory, lambda o: {"kind": "club"}),
    Violation("organization acronym empty", OrganizationFactory, lambda o: {"acronym": ""}),
    Violation(
        "organization acronym taken",
        OrganizationFactory,
        lambda o: {"acronym": OrganizationFactory().acronym},
    ),
    Violation(
        "membership ends before it starts",
        lambda: MembershipFactory(since=dt.date(2013, 1, 1)),
        lambda m: {"until": dt.date(2012, 12, 31)},
    ),
    Violation("membership status unknown", MembershipFactory, lambda m: {"status": "friend"}),
    Violation(
        "membership recorded twice",
        MembershipFactory,
        lambda m: {"country": MembershipFactory(organization=m.organization).country},
    ),
    Violation("held conference without a date", ConferenceFactory, lambda c: {"date": None}),
    Violation("conference number zero", ConferenceFactory, lambda c: {"number": 0}),
    Violation(
        "conference number taken",
        ConferenceFactory,
        lambda c: {"number": ConferenceFactory().number},
    ),
    Violation(
        "two conferences on one day",
        ConferenceFactory,
        lambda c: {"date": ConferenceFactory().date},
    ),
    Violation(
        "conference year implausible",
        lambda: ConferenceFactory(status="planned", date=None, year=2030),
        lambda c: {"year": 1999},
    ),
    Violation("conference status unknown", ConferenceFactory, lambda c: {"status": "rumoured"}),
    Violation(
        "second RTG rule",
        lambda: RtgRuleFactory(
            declaration=RtgRuleFactory().declaration, number=26, is_rtg_rule=False
        ),
        lambda a: {"is_rtg_rule": True},
    ),
    Violation("RTG rule without a date", RtgRuleFactory, lambda a: {"effective_from": None}),
    Violation(
        "article number taken",
        RtgRuleFactory,
        lambda a: {
            "declaration": RtgRuleFactory(number=3, is_rtg_rule=False).declaration,
            "number": 3,
        },
    ),
    Violation("RTG without a CBM", RtgFactory, lambda m: {"cbm": None}),
    Violation("SOM with a CBM", MeetingFactory, lambda m: {"cbm": CBMFactory()}),
    Violation("meeting kind unknown", MeetingFactory, lambda m: {"kind": "agm"}),
    Violation("meeting status unknown", MeetingFactory, lambda m: {"status": "postponed"}),
    Violation("CBM code empty", CBMFactory, lambda c: {"code": ""}),
    Violation("CBM code taken", CBMFactory, lambda c: {"code": CBMFactory().code}),
    Violation(
        "CBM name period ends before it starts",
        lambda: CBMName.objects.create(
            cbm=CBMFactory(), code="DM", name="Disaster Management", since=dt.date(2012, 6, 14)
        ),
        lambda n: {"until": dt.date(2012, 6, 14)},
    ),
    Violation(
        "role for a country and an organization",
        LeadRoleFactory,
        lambda r: {"role": "supporting", "organization": OrganizationFactory()},
    ),
    Violation(
        "role for no one", LeadRoleFactory, lambda r: {"role": "supporting", "country": None}
    ),
    Violation(
        "organization as lead",
        lambda: LeadRoleFactory(
            role="supporting", country=None, organization=OrganizationFactory()
        ),
        lambda r: {"role": "lead"},
    ),
    Violation("role kind unknown", LeadRoleFactory, lambda r: {"role": "chair"}),
    Violation(
        "role ends before it starts",
        LeadRoleFactory,
        lambda r: {"until": r.since - dt.timedelta(days=1)},
    ),
    Violation(
        "role recorded twice",
        LeadRoleFactory,
        lambda r: {"cbm": LeadRoleFactory(country=r.country, since=r.since).cbm},
    ),
    # A published version's content is frozen (its own trigger, tests/cbms/test_plan_freeze.py):
    # the constraints on content are broken in drafts, so that they are what refuses.
    Violation(
        "second plan in force",
        _draft_plan,
        lambda p: {
            "status": PlanStatus.IN_FORCE,
            "adopted_on": dt.date(2019, 12, 9),
            "cbm": PlanVersionFactory().cbm,
        },
    ),
    Violation(
        "draft plan with an adoption date",
        _draft_plan,
        lambda p: {"adopted_on": dt.date(2019, 12, 9)},
    ),
    Violation("plan version zero", _draft_plan, lambda p: {"version": 0}),
    Violation("plan status unknown", PlanVersionFactory, lambda p: {"status": "archived"}),
    Violation(
        "plan version taken",
        _draft_plan,
        lambda p: {"cbm": PlanVersionFactory(version=p.version).cbm},
    ),
    Violation(
        "priority area number taken",
        lambda: PriorityAreaFactory(plan=_draft_plan()),
        lambda a: {"plan": PriorityAreaFactory(number=a.number, plan=_draft_plan()).plan},
    ),
    Violation(
        "activity number taken",
        lambda: ActivityFactory(priority_area=PriorityAreaFactory(plan=_draft_plan())),
        lambda a: {
            "priority_area": ActivityFactory(
                number=a.number, priority_area=PriorityAreaFactory(plan=_draft_plan())
            ).priority_area
        },
    ),
    Violation(
        "missed obligation met by a meeting",
        _obligation,
        lambda o: {"met_by": RtgFactory(cbm=o.cbm)},
    ),
    Violation("obligation status unknown", _obligation, lambda o: {"status": "excused"}),
    Violation("obligation kind unknown", _obligation, lambda o: {"kind": "third"}),
    Violation(
        "obligation recorded twice",
        _obligation,
        lambda o: {"kind": _other_obligation_kind(o)},
    ),
]


def _other_obligation_kind(obligation: Obligation) -> str:
    Obligation.objects.create(
        cbm=obligation.cbm,
        conference=obligation.conference,
        kind="review",
        window_start=obligation.window_start,
        deadline=obligation.deadline,
        status="missed",
        evaluated_on=obligation.evaluated_on,
    )
    return "review"


@pytest.mark.django_db
@pytest.mark.parametrize("violation", VIOLATIONS, ids=lambda v: v.id)
def test_the_database_refuses_a_bad_update(violation):
    row = violation.make()
    change = violation.change(row)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(row).objects.filter(pk=row.pk).update(**change)


# Obligations are computed, never entered through a form.
FORMLESS = {v.id for v in VIOLATIONS if v.id.startswith(("obligation", "missed obligation"))}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "violation", [v for v in VIOLATIONS if v.id not in FORMLESS], ids=lambda v: v.id
)
def test_a_form_explains_the_same_bad_data_and_saves_nothing(violation):
    row = violation.make()
    change = violation.change(row)
    model = type(row)
    before = {field.name: getattr(row, field.attname) for field in model._meta.concrete_fields}
    data = {**model_to_dict(row), **{k: _form_value(v) for k, v in change.items()}}
    form_class = modelform_factory(model, exclude=["password", "last_login"])

    form = form_class(data=data, instance=row)

    assert not form.is_valid()
    assert form.errors
    row.refresh_from_db()
    after = {field.name: getattr(row, field.attname) for field in model._meta.concrete_fields}
    assert after == before


def _form_value(value):
    if isinstance(value, models.Model):
        return value.pk
    return "" if value is None else value
