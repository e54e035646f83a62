"""Reads for compliance: what the rule needs of the records, and its results shaped for the
API and the pages. The rule itself (cbms.compliance.rule) knows nothing of the database; these
feed it rows in a number of queries that does not grow with the data."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from conferences.models import Article, MeetingKind, MinisterialConference
from conferences.models import Meeting as MeetingRow

from ..models import CBM, CBMRole, Obligation, RoleKind
from . import rule


@dataclass(frozen=True)
class Timeline:
    """What the rule needs to know of the process, read once and shared by every CBM."""

    cycles: tuple[rule.Cycle, ...]
    conference_ids: dict[int, int]
    rule_effective_from: date | None


@dataclass(frozen=True)
class CBMHistory:
    cbm_id: int
    approved_on: date
    leads: tuple[rule.LeadPeriod, ...]
    lead_countries: tuple[tuple[int, rule.LeadPeriod], ...]
    meetings: tuple[rule.Meeting, ...]


def timeline_read() -> Timeline:
    conferences = list(MinisterialConference.objects.values("id", "number", "date", "status"))
    effective_from = (
        Article.objects.filter(is_rtg_rule=True).values_list("effective_from", flat=True).first()
    )
    return Timeline(
        cycles=tuple(
            rule.cycles(
                [
                    rule.Conference(c["number"], c["date"], c["status"] == "held")
                    for c in conferences
                ]
            )
        ),
        conference_ids={c["number"]: c["id"] for c in conferences},
        rule_effective_from=effective_from,
    )


def cbm_histories_read(cbm_ids: Iterable[int] | None = None) -> list[CBMHistory]:
    """Every CBM (or those given) with its lead periods and RTGs: three queries in all."""
    cbms = CBM.objects.all() if cbm_ids is None else CBM.objects.filter(pk__in=list(cbm_ids))
    approvals = dict(cbms.values_list("id", "approved_on"))
    leads = defaultdict(list)
    # Tuples, not dicts: a sweep reads every RTG of every CBM.
    for cbm_id, country_id, since, until in CBMRole.objects.filter(
        cbm__in=approvals, role=RoleKind.LEAD
    ).values_list("cbm_id", "country_id", "since", "until"):
        leads[cbm_id].append((country_id, rule.LeadPeriod(since, until)))
    meetings = defaultdict(list)
    for meeting_id, cbm_id, day, status in MeetingRow.objects.filter(
        cbm__in=approvals, kind=MeetingKind.RTG
    ).values_list("id", "cbm_id", "date", "status"):
        meetings[cbm_id].append(rule.Meeting(meeting_id, day, status))
    return [
        CBMHistory(
            cbm_id=cbm_id,
            approved_on=approved_on,
            leads=tuple(period for _, period in leads[cbm_id]),
            lead_countries=tuple(leads[cbm_id]),
            meetings=tuple(meetings[cbm_id]),
        )
        for cbm_id, approved_on in approvals.items()
    ]


def cbm_compliance(*, history: CBMHistory, timeline: Timeline, on: date) -> rule.Compliance:
    return rule.evaluate(
        cycles=timeline.cycles,
        approved_on=history.approved_on,
        leads=history.leads,
        meetings=history.meetings,
        rule_effective_from=timeline.rule_effective_from,
        on=on,
    )


def obligation_list() -> QuerySet[Obligation]:
    return Obligation.objects.select_related("cbm", "conference").order_by(
        "cbm__code", "conference__number", "kind"
    )


@dataclass(frozen=True)
class ObligationOnDay:
    """An obligation as it stood on a given day; `id` is the stored row's, if there is one."""

    id: int | None
    cbm: str
    conference: int
    kind: str
    window_start: date
    deadline: date
    estimated: bool
    status: str
    met_by: int | None
    evaluated_on: date


@dataclass(frozen=True)
class ComplianceReport:
    cbm: str
    on: date
    obligations: list[ObligationOnDay]
    annual: list[rule.AnnualCount]


def cbm_compliance_on(*, cbm: CBM, on: date) -> ComplianceReport:
    """Replay the rule for one CBM on day `on`, from the records as they are now."""
    (history,) = cbm_histories_read([cbm.pk])
    result = cbm_compliance(history=history, timeline=timeline_read(), on=on)
    stored_ids = {
        (number, kind): pk
        for pk, number, kind in Obligation.objects.filter(cbm=cbm).values_list(
            "pk", "conference__number", "kind"
        )
    }
    return ComplianceReport(
        cbm=cbm.code,
        on=on,
        obligations=[
            ObligationOnDay(
                id=stored_ids.get((item.conference, item.kind)),
                cbm=cbm.code,
                conference=item.conference,
                kind=item.kind,
                window_start=item.window_start,
                deadline=item.deadline,
                estimated=item.estimated,
                status=item.status,
                met_by=item.met_by,
                evaluated_on=on,
            )
            for item in result.obligations
        ],
        annual=list(result.annual),
    )
