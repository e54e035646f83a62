"""Load the real data of the process (cbms.records.hoa_data) into the database, idempotently.

Each record is found by its natural key and written only when a value actually differs, so a
second run saves nothing and writes no history row (django-simple-history records every save).

What a run restores and what it leaves alone:

- A fact the sources give (a name, a date, a lead country, a citation) is restored if the record
  was edited by hand, and the record counts as updated: it is the real data.
- An empty value (None or "") means the sources do not say; it is written when the record is
  created and never overwrites what the secretariat has recorded since.
- The state of things as of the sources (an implementation plan in force or in draft, the ninth
  conference being planned) and free-text notes are written at creation only, so that later
  events the secretariat records (a plan adopted, the conference held) survive a reload.
- A published implementation plan version is frozen: its title is not restored (a draft's is).
- Nothing is ever deleted: records the secretariat adds (meetings, roles, plans) are kept.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from conferences.models import Article, Declaration, MinisterialConference
from members.models import Country, Participation
from organizations.models import Membership, Organization

from ..models import CBM, CBMName, CBMRole, ImplementationPlanVersion, RoleKind
from ..models.plans import plan_content_editable
from . import hoa_data

CHANGE_REASON = "Loaded from the HoA-IP sources (load_hoa_data)"

# In the order they are loaded, which is also the order they are reported in.
LOADED_MODELS: tuple[type[models.Model], ...] = (
    Country,
    Participation,
    Organization,
    Membership,
    MinisterialConference,
    Declaration,
    Article,
    CBM,
    CBMName,
    CBMRole,
    ImplementationPlanVersion,
)


@dataclass
class LoadReport:
    """How many records of each model (by label, e.g. "cbms.CBM") a load created and updated."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())

    @property
    def changed(self) -> bool:
        return bool(self.total_created or self.total_updated)

    def lines(self) -> list[str]:
        """One line per loaded model, in loading order."""
        width = max(len(model._meta.label) for model in LOADED_MODELS)
        return [
            f"{label:<{width}}  {self.created[label]:>3} created, {self.updated[label]:>3} updated"
            for label in (model._meta.label for model in LOADED_MODELS)
        ]


def _unknown(value: Any) -> bool:
    return value is None or value == ""


def _columns(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """Field names to column attributes: a related object becomes its id (`host` → `host_id`),
    so comparing a stored value costs no query."""
    columns = {}
    for name, value in values.items():
        model_field = model._meta.get_field(name)
        if model_field.is_relation:
            columns[model_field.attname] = None if value is None else value.pk
        else:
            columns[model_field.attname] = value
    return columns


def _save(obj: models.Model, **kwargs) -> None:
    obj._change_reason = CHANGE_REASON  # read by django-simple-history for the history row
    obj.save(**kwargs)


def _upsert(
    report: LoadReport,
    model: type[models.Model],
    *,
    key: dict[str, Any],
    facts: dict[str, Any] | None = None,
    initial: dict[str, Any] | None = None,
    recorded_as: dict[str, Any] | None = None,
) -> models.Model | None:
    """Create the record `key` identifies, or restore its `facts` if they differ.

    `facts` are restored on every run, except empty ones (the sources do not say), which like
    `initial` are only written on creation. `recorded_as`: if no record matches `key` but one
    matches this looser lookup, the secretariat has since recorded the fact in more detail (e.g.
    dated a participation the sources leave undated); it is left alone and None is returned.
    """
    facts, initial = facts or {}, initial or {}
    label = model._meta.label
    try:
        obj = model.objects.get(**key)
    except model.DoesNotExist:
        if recorded_as is not None and model.objects.filter(**recorded_as).exists():
            return None
        obj = model(**key, **facts, **initial)
        _save(obj)
        report.created[label] += 1
        return obj

    known = _columns(model, {name: v for name, v in facts.items() if not _unknown(v)})
    changed = [name for name, value in known.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, known[name])
        _save(obj, update_fields=changed)
        report.updated[label] += 1
    return obj


@transaction.atomic
def load_hoa_data() -> LoadReport:
    """Write the facts of cbms.records.hoa_data; a second run changes nothing and reports zeros."""
    report = LoadReport()

    countries: dict[str, Country] = {}
    for fact in hoa_data.COUNTRIES:
        country = _upsert(report, Country, key={"code": fact.code}, facts={"name": fact.name})
        countries[fact.code] = country
        _upsert(
            report,
            Participation,
            key={"country": country, "kind": fact.kind, "since": fact.since},
            facts={"source": fact.source},
            initial={"until": None, "note": fact.note},
            recorded_as=({"country": country, "kind": fact.kind} if fact.since is None else None),
        )

    organizations: dict[str, Organization] = {}
    for fact in hoa_data.ORGANIZATIONS:
        organizations[fact.acronym] = _upsert(
            report,
            Organization,
            key={"acronym": fact.acronym},
            facts={
                "name": fact.name,
                "kind": fact.kind,
                "supports_process": fact.supports_process,
                "source": fact.source,
            },
        )

    for fact in hoa_data.MEMBERSHIPS:
        _upsert(
            report,
            Membership,
            key={
                "organization": organizations[fact.organization],
                "country": countries[fact.country],
                "status": fact.status,
            },
            facts={"since": fact.since, "source": fact.source},
            initial={"until": None},
        )

    conferences: dict[int, MinisterialConference] = {}
    for fact in hoa_data.CONFERENCES:
        state = {"date": fact.date, "year": fact.year, "city": fact.city, "status": fact.status}
        held = fact.status == hoa_data.HELD
        conferences[fact.number] = _upsert(
            report,
            MinisterialConference,
            key={"number": fact.number},
            facts={"host": countries[fact.host], **(state if held else {})},
            # A planned conference is the state of things as of the sources: once the
            # secretariat records it as held (a date, a city, another year), that stands.
            initial={} if held else state,
        )

    declarations: dict[int, Declaration] = {}
    for fact in hoa_data.DECLARATIONS:
        declarations[fact.conference] = _upsert(
            report,
            Declaration,
            key={"conference": conferences[fact.conference]},
            facts={"title": fact.title, "source": fact.source},
            initial={"summary": fact.summary},
        )

    for fact in hoa_data.ARTICLES:
        _upsert(
            report,
            Article,
            key={"declaration": declarations[fact.conference], "number": fact.number},
            facts={
                "text": fact.text,
                "is_rtg_rule": fact.is_rtg_rule,
                "effective_from": fact.effective_from,
            },
        )

    cbms: dict[str, CBM] = {}
    for fact in hoa_data.CBMS:
        approved_at = conferences[fact.approved_at]
        cbm = _upsert(
            report,
            CBM,
            key={"code": fact.code},
            facts={"name": fact.name, "approved_on": approved_at.date, "approved_at": approved_at},
            initial={"notes": fact.notes},
        )
        cbms[fact.code] = cbm
        for code in fact.leads:
            _upsert(
                report,
                CBMRole,
                key={
                    "cbm": cbm,
                    "country": countries[code],
                    "role": RoleKind.LEAD,
                    "since": approved_at.date,
                },
                initial={"until": None},
            )

    for fact in hoa_data.CBM_NAMES:
        _upsert(
            report,
            CBMName,
            key={"cbm": cbms[fact.cbm], "since": fact.since},
            facts={
                "code": fact.code,
                "name": fact.name,
                "until": fact.until,
                "decided_at": conferences[fact.decided_at],
            },
        )

    # A published version's content is frozen (cbms.models.plans.plan_content_editable): its
    # title is restored only while it is a draft. The sources list no priority area or activity;
    # a version is recorded in the state the sources give, content and all, in one INSERT.
    published = {
        (cbm_id, version)
        for cbm_id, version, status in ImplementationPlanVersion.objects.values_list(
            "cbm_id", "version", "status"
        )
        if not plan_content_editable(status)
    }
    for fact in hoa_data.PLANS:
        cbm = cbms[fact.cbm]
        frozen = (cbm.pk, fact.version) in published
        _upsert(
            report,
            ImplementationPlanVersion,
            key={"cbm": cbm, "version": fact.version},
            facts={"adopted_on": fact.adopted_on, **({} if frozen else {"title": fact.title})},
            # Whether a plan is in force or draft is the state as of the sources (2020): a
            # later revision or adoption recorded by the secretariat must survive a reload.
            initial={"status": fact.status, "notes": fact.notes},
        )

    return report
