"""Reads for CBMs, shaped for the API and the pages."""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from . import compliance
from .models import CBM, Obligation
from .services import cbm_compliance, cbm_histories_read, timeline_read


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
    annual: list[compliance.AnnualCount]


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
