"""Writes for compliance: storing the obligations the RTG rule computes (cbms.compliance.rule,
fed by cbms.compliance.selectors), the outbox of CBMs to re-evaluate, and the notices a change
of status sends.

Work for a worker is queued by the task's name (`_enqueue_drain`), so this module never imports
the tasks that call it.
"""

import functools
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from celery import current_app
from django.db import transaction
from django.db.models.constants import OnConflict
from django.utils import timezone
from django.utils.translation import gettext
from kombu.exceptions import OperationalError as KombuOperationalError

from members.services import Notice, notices_create, notices_in_languages

from ..models import CBM, ComplianceOutbox, Obligation, ObligationStatus
from . import reminders
from .selectors import Timeline, cbm_compliance, cbm_histories_read, timeline_read

logger = logging.getLogger(__name__)

NOTIFIED_STATUSES = (ObligationStatus.AT_RISK, ObligationStatus.MISSED)
WRITE_BATCH = 2000


@dataclass(frozen=True)
class RecomputeReport:
    cbms: int
    obligations: int
    removed: int
    notices: int
    plan: reminders.PlanReport | None = None


@transaction.atomic
def obligations_recompute(
    *, cbm_ids: Iterable[int] | None = None, on: date | None = None
) -> RecomputeReport:
    """Evaluate the RTG rule for the given CBMs (all by default) on day `on`, store the result,
    plan or retire their reminders to match, and notify of every obligation that has just turned
    at risk or missed and of every cycle whose prioritisation window is open.

    Idempotent: run twice, it stores the same rows and notifies no one twice.
    """
    on = on or timezone.localdate()
    timeline = timeline_read()
    histories = cbm_histories_read(cbm_ids)
    scope = [h.cbm_id for h in histories]
    # Lock the rows we are about to rewrite so two concurrent runs take turns, not interleave.
    stored = {
        (cbm_id, conference_id, kind): (pk, status)
        for pk, cbm_id, conference_id, kind, status in Obligation.objects.select_for_update()
        .filter(cbm__in=scope)
        .values_list("id", "cbm_id", "conference_id", "kind", "status")
    }

    rows, turned, opening = [], [], []
    for history in histories:
        result = cbm_compliance(history=history, timeline=timeline, on=on)
        # The current cycle's prioritisation window: cheap to test before the full pass below.
        if any(
            item.kind == "prioritisation" and item.window_start <= on <= item.deadline
            for item in result.obligations[-2:]
        ):
            opening.append((history, result))
        for item in result.obligations:
            conference_id = timeline.conference_ids[item.conference]
            key = (history.cbm_id, conference_id, item.kind)
            # In UPSERTED_FIELDS order, enum members as plain str: the driver adapts those faster.
            rows.append(
                (
                    history.cbm_id,
                    conference_id,
                    str(item.kind),
                    item.window_start,
                    item.deadline,
                    item.estimated,
                    str(item.status),
                    item.met_by,
                    on,
                )
            )
            previous = stored.pop(key, None)
            if previous and item.status in NOTIFIED_STATUSES and previous[1] != item.status:
                turned.append((history, item))

    _obligations_upsert(rows)
    # Cycles that no longer exist for a CBM (a conference deleted, an approval date moved).
    removed = 0
    if stored:
        removed, _ = Obligation.objects.filter(pk__in=[pk for pk, _ in stored.values()]).delete()
    # Same transaction: the reminders always agree with the statuses just stored.
    plan = reminders.reminders_plan(cbm_ids=None if cbm_ids is None else scope)
    notices = _obligation_notices(turned, timeline) if turned else []
    notices += reminders.cycle_opened_notices(_opened_cycles(opening, timeline, on))
    stored = notices_create(notices=notices) if notices else 0
    return RecomputeReport(
        cbms=len(scope), obligations=len(rows), removed=removed, notices=stored, plan=plan
    )


def _opened_cycles(opening, timeline: Timeline, on: date) -> list[reminders.OpenedCycle]:
    if not opening:
        return []
    cycles = {cycle.conference: cycle for cycle in timeline.cycles}
    return [
        opened
        for history, result in opening
        for opened in reminders.opened_cycles(
            cbm_id=history.cbm_id,
            lead_countries=history.lead_countries,
            cycles=cycles,
            items=result.obligations,
            on=on,
        )
    ]


# The order of the values in the rows _obligations_upsert takes; the first three are the key.
UPSERTED_FIELDS = (
    "cbm",
    "conference",
    "kind",
    "window_start",
    "deadline",
    "estimated",
    "status",
    "met_by",
    "evaluated_on",
)


def _obligations_upsert(rows: list[tuple]) -> None:
    """Store the rows as bulk_create(update_conflicts=True) would, in the same batches.

    The values are already plain ids, strings, booleans and dates: building a model instance
    for each and preparing its values field by field cost more than evaluating the rule.
    """
    if not rows:
        return
    connection = transaction.get_connection()
    ops = connection.ops
    fields = [Obligation._meta.get_field(name) for name in UPSERTED_FIELDS]
    columns = [field.column for field in fields]
    insert = "INSERT INTO {} ({})".format(
        ops.quote_name(Obligation._meta.db_table), ", ".join(map(ops.quote_name, columns))
    )
    on_conflict = ops.on_conflict_suffix_sql(fields, OnConflict.UPDATE, columns[3:], columns[:3])
    batch_size = min(WRITE_BATCH, ops.bulk_batch_size(fields, rows))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            source, params = _upsert_source(connection, fields, rows[start : start + batch_size])
            cursor.execute(f"{insert} {source} {on_conflict}", params)


def _upsert_source(connection, fields, batch: list[tuple]) -> tuple[str, list]:
    """The rows to insert as SQL and its parameters.

    PostgreSQL takes one array per column, as Django's own bulk_create sends them there: a
    VALUES list of thousands of rows costs nearly twice as much to adapt, parse and plan.
    """
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
        columns = [list(column) for column in zip(*batch, strict=True)]
        return f"SELECT * FROM UNNEST({arrays})", columns
    dates = {i for i, field in enumerate(fields) if field.get_internal_type() == "DateField"}
    adapt_date = functools.cache(connection.ops.adapt_datefield_value)
    params = [
        adapt_date(value) if i in dates else value for row in batch for i, value in enumerate(row)
    ]
    return connection.ops.bulk_insert_sql(fields, [["%s"] * len(fields)] * len(batch)), params


def _obligation_notices(turned, timeline: Timeline) -> list[Notice]:
    """The lead countries' focal points of that cycle and the CBM's desk officer, for each,
    linking to the CBM on the compliance dashboard."""
    cbms = {cbm.pk: cbm for cbm in CBM.objects.filter(pk__in={h.cbm_id for h, _ in turned})}
    audience = reminders.audience_read(
        cbms=cbms.values(),
        country_ids={country for h, _ in turned for country, _ in h.lead_countries},
    )
    cycles = {cycle.conference: cycle for cycle in timeline.cycles}

    notices = []
    for history, item in turned:
        cbm = cbms[history.cbm_id]
        cycle = cycles[item.conference]
        recipients = audience.leads(history.lead_countries, cycle.start, cycle.end)
        recipients += audience.desk(cbm.pk)

        def compose(cbm=cbm, item=item):
            values = {
                "cbm": cbm.code,
                "name": cbm.name,
                "kind": reminders.kind_name(item.kind),
                "number": item.conference,
                "status": str(ObligationStatus(item.status).label),
                "deadline": reminders.day(item.deadline),
                "estimated": f" {gettext('(estimated)')}" if item.estimated else "",
            }
            subject = gettext("%(cbm)s: the %(kind)s after MC %(number)s is %(status)s") % values
            body = (
                gettext(
                    "The %(kind)s of %(cbm)s – %(name)s for the cycle opened by Ministerial "
                    "Conference %(number)s is %(status)s: deadline %(deadline)s%(estimated)s."
                )
                % values
            )
            return subject, body

        notices += notices_in_languages(
            recipients=recipients,
            event_key=f"obligation:{history.cbm_id}:{item.conference}:{item.kind}:{item.status}",
            compose=compose,
            link=reminders.dashboard_link(cbm.pk),
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
    if not _drain_already_due():
        transaction.on_commit(_enqueue_drain, robust=True)


def _drain_already_due() -> bool:
    """Whether this transaction, at this savepoint, already nudges a drain when it commits: one
    nudge serves every record it saves (loading the HoA-IP data saves ~150 in one transaction).
    Only a nudge registered at the same savepoint counts: a savepoint rolled back takes its
    callbacks with it, so what is still registered there is exactly what will run."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return False
    here = set(connection.savepoint_ids)
    return any(
        func is _enqueue_drain and savepoints == here
        for savepoints, func, _ in connection.run_on_commit
    )


def all_cbm_ids() -> list[int]:
    return list(CBM.objects.values_list("pk", flat=True))


# After a failed publish, stop trying for a while: a request that saved several records must not
# wait for the unreachable broker once per record. The outbox keeps the work meanwhile.
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0


# By name: the task module imports this one, never the reverse.
DRAIN_TASK = "cbms.compliance.tasks.compliance_outbox_drain"


def _enqueue_drain() -> None:
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return
    try:
        # A signature by name still runs in-process when no broker is configured (always eager).
        current_app.signature(DRAIN_TASK).delay()
    except (KombuOperationalError, OSError):  # the broker is unreachable; the outbox keeps the work
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


@dataclass(frozen=True)
class DailyReport:
    on: date
    sweep: RecomputeReport
    sent: reminders.SendReport
    digests: int


def compliance_daily(*, on: date | None = None) -> DailyReport:
    """The daily run, in order: every obligation re-evaluated (reminders planned and retired to
    match), then the reminders due sent and the missed digest stored. Each step commits on its
    own; the caller sends the emails afterwards (notifications_email), outside any transaction."""
    on = on or timezone.localdate()
    sweep = compliance_sweep(on=on)
    sent = reminders.reminders_send(on=on)
    digests = reminders.missed_digest_send(on=on)
    return DailyReport(on=on, sweep=sweep, sent=sent, digests=digests)
