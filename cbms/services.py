"""Writes for CBMs: storing the obligations the RTG rule computes, and queuing their re-evaluation.

The rule itself lives in cbms.compliance and knows nothing of the database; this module feeds it
rows and stores what it returns, in a number of queries that does not grow with the data.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from conferences.models import Article, MeetingKind, MinisterialConference
from conferences.models import Meeting as MeetingRow
from members.models import Role, User
from members.services import Notice, notices_create

from . import compliance
from .models import CBM, CBMRole, ComplianceOutbox, Obligation, ObligationStatus, RoleKind

logger = logging.getLogger(__name__)

NOTIFIED_STATUSES = (ObligationStatus.AT_RISK, ObligationStatus.MISSED)
WRITE_BATCH = 2000


@dataclass(frozen=True)
class Timeline:
    """What the rule needs to know of the process, read once and shared by every CBM."""

    cycles: tuple[compliance.Cycle, ...]
    conference_ids: dict[int, int]
    rule_effective_from: date | None


@dataclass(frozen=True)
class CBMHistory:
    cbm_id: int
    approved_on: date
    leads: tuple[compliance.LeadPeriod, ...]
    lead_countries: tuple[tuple[int, compliance.LeadPeriod], ...]
    meetings: tuple[compliance.Meeting, ...]


def timeline_read() -> Timeline:
    conferences = list(MinisterialConference.objects.values("id", "number", "date", "status"))
    rule = Article.objects.filter(is_rtg_rule=True).values_list("effective_from", flat=True).first()
    return Timeline(
        cycles=tuple(
            compliance.cycles(
                [
                    compliance.Conference(c["number"], c["date"], c["status"] == "held")
                    for c in conferences
                ]
            )
        ),
        conference_ids={c["number"]: c["id"] for c in conferences},
        rule_effective_from=rule,
    )


def cbm_histories_read(cbm_ids: Iterable[int] | None = None) -> list[CBMHistory]:
    """Every CBM (or those given) with its lead periods and RTGs: three queries in all."""
    cbms = CBM.objects.all() if cbm_ids is None else CBM.objects.filter(pk__in=list(cbm_ids))
    approvals = dict(cbms.values_list("id", "approved_on"))
    leads = defaultdict(list)
    for role in CBMRole.objects.filter(cbm__in=approvals, role=RoleKind.LEAD).values(
        "cbm_id", "country_id", "since", "until"
    ):
        period = compliance.LeadPeriod(role["since"], role["until"])
        leads[role["cbm_id"]].append((role["country_id"], period))
    meetings = defaultdict(list)
    for meeting in MeetingRow.objects.filter(cbm__in=approvals, kind=MeetingKind.RTG).values(
        "id", "cbm_id", "date", "status"
    ):
        meetings[meeting["cbm_id"]].append(
            compliance.Meeting(meeting["id"], meeting["date"], meeting["status"])
        )
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


def cbm_compliance(*, history: CBMHistory, timeline: Timeline, on: date) -> compliance.Compliance:
    return compliance.evaluate(
        cycles=timeline.cycles,
        approved_on=history.approved_on,
        leads=history.leads,
        meetings=history.meetings,
        rule_effective_from=timeline.rule_effective_from,
        on=on,
    )


@dataclass(frozen=True)
class RecomputeReport:
    cbms: int
    obligations: int
    removed: int
    notices: int


@transaction.atomic
def obligations_recompute(
    *, cbm_ids: Iterable[int] | None = None, on: date | None = None
) -> RecomputeReport:
    """Evaluate the RTG rule for the given CBMs (all by default) on day `on`, store the result,
    and notify of every obligation that has just turned at risk or missed.

    Idempotent: run twice, it stores the same rows and notifies no one twice.
    """
    on = on or timezone.localdate()
    timeline = timeline_read()
    histories = cbm_histories_read(cbm_ids)
    scope = [h.cbm_id for h in histories]
    # Lock the rows we are about to rewrite so two concurrent runs take turns, not interleave.
    stored = {
        (row["cbm_id"], row["conference_id"], row["kind"]): row
        for row in Obligation.objects.select_for_update()
        .filter(cbm__in=scope)
        .values("id", "cbm_id", "conference_id", "kind", "status")
    }

    rows, turned = [], []
    for history in histories:
        result = cbm_compliance(history=history, timeline=timeline, on=on)
        for item in result.obligations:
            conference_id = timeline.conference_ids[item.conference]
            key = (history.cbm_id, conference_id, item.kind)
            rows.append(
                Obligation(
                    cbm_id=history.cbm_id,
                    conference_id=conference_id,
                    kind=item.kind,
                    window_start=item.window_start,
                    deadline=item.deadline,
                    estimated=item.estimated,
                    status=item.status,
                    met_by_id=item.met_by,
                    evaluated_on=on,
                )
            )
            previous = stored.pop(key, None)
            if previous and item.status in NOTIFIED_STATUSES and previous["status"] != item.status:
                turned.append((history, item))

    Obligation.objects.bulk_create(
        rows,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["cbm", "conference", "kind"],
        update_fields=[
            "window_start",
            "deadline",
            "estimated",
            "status",
            "met_by",
            "evaluated_on",
        ],
    )
    # Cycles that no longer exist for a CBM (a conference deleted, an approval date moved).
    removed = 0
    if stored:
        removed, _ = Obligation.objects.filter(pk__in=[r["id"] for r in stored.values()]).delete()
    notices = notices_create(notices=_obligation_notices(turned, timeline)) if turned else 0
    return RecomputeReport(cbms=len(scope), obligations=len(rows), removed=removed, notices=notices)


def _obligation_notices(turned, timeline: Timeline) -> list[Notice]:
    """The lead countries' focal points of that cycle and the CBM's desk officer, for each."""
    cbm_ids = {history.cbm_id for history, _ in turned}
    cbms = {cbm.pk: cbm for cbm in CBM.objects.filter(pk__in=cbm_ids)}
    focal_points = defaultdict(list)
    for user in User.objects.filter(role=Role.FOCAL_POINT, is_active=True, country__isnull=False):
        focal_points[user.country_id].append(user)
    desk_officers = {
        user.pk: user
        for user in User.objects.filter(
            pk__in={c.desk_officer_id for c in cbms.values() if c.desk_officer_id},
            is_active=True,
        )
    }
    cycles = {cycle.conference: cycle for cycle in timeline.cycles}

    notices = []
    for history, item in turned:
        cbm = cbms[history.cbm_id]
        cycle = cycles[item.conference]
        recipients = [
            user
            for country_id, period in history.lead_countries
            if period.overlaps(cycle.start, cycle.end)
            for user in focal_points[country_id]
        ]
        if cbm.desk_officer_id in desk_officers:
            recipients.append(desk_officers[cbm.desk_officer_id])
        status = ObligationStatus(item.status).label
        kind = "prioritisation RTG" if item.kind == "prioritisation" else "review RTG"
        subject = f"{cbm.code}: the {kind} after MC {item.conference} is {status}"
        body = (
            f"The {kind} of {cbm.code} – {cbm.name} for the cycle opened by Ministerial "
            f"Conference {item.conference} is {status}: deadline {item.deadline:%d %b %Y}"
            f"{' (estimated)' if item.estimated else ''}."
        )
        key = f"obligation:{history.cbm_id}:{item.conference}:{item.kind}:{item.status}"
        notices.extend(
            Notice(recipient=user, event_key=key, subject=subject, body=body)
            for user in dict.fromkeys(recipients)
        )
    return notices


def compliance_recompute_request(*, cbm_ids: Iterable[int]) -> None:
    """Mark CBMs stale in this transaction and nudge a worker once it commits.

    The outbox row is the guarantee, the task only a nudge: if the broker is down the edit still
    succeeds, and the next drain or the daily sweep re-evaluates what the outbox lists.
    """
    rows = [ComplianceOutbox(cbm_pk=pk) for pk in sorted(set(cbm_ids))]
    if not rows:
        return
    ComplianceOutbox.objects.bulk_create(rows)
    transaction.on_commit(_enqueue_drain, robust=True)


def all_cbm_ids() -> list[int]:
    return list(CBM.objects.values_list("pk", flat=True))


# After a failed publish, stop trying for a while: a request that saved several records must not
# wait for the unreachable broker once per record. The outbox keeps the work meanwhile.
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0


def _enqueue_drain() -> None:
    global _broker_down_until
    from .tasks import compliance_outbox_drain

    if time.monotonic() < _broker_down_until:
        return
    try:
        compliance_outbox_drain.delay()
    except Exception:  # the broker is unreachable: the outbox keeps the work for the sweep
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning("Could not queue the compliance re-evaluation", exc_info=True)


@transaction.atomic
def compliance_outbox_drain(*, on: date | None = None) -> RecomputeReport | None:
    """Re-evaluate every CBM the outbox lists, then clear the entries that were handled."""
    entries = list(ComplianceOutbox.objects.values_list("pk", "cbm_pk"))
    if not entries:
        return None
    report = obligations_recompute(cbm_ids={cbm_pk for _, cbm_pk in entries}, on=on)
    ComplianceOutbox.objects.filter(pk__in=[pk for pk, _ in entries]).delete()
    return report


@transaction.atomic
def compliance_sweep(*, on: date | None = None) -> RecomputeReport:
    """Every CBM: what the outbox held is covered too, so it is cleared up to where we started."""
    last = ComplianceOutbox.objects.order_by("-pk").values_list("pk", flat=True).first()
    report = obligations_recompute(on=on)
    if last is not None:
        ComplianceOutbox.objects.filter(pk__lte=last).delete()
    return report
