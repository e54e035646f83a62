"""Writes for compliance: storing the obligations the RTG rule computes (cbms.compliance.rule,
fed by cbms.compliance.selectors), the outbox of CBMs to re-evaluate, and the notices a change
of status sends.

Work for a worker is queued by the task's name (`_enqueue_drain`), so this module never imports
the tasks that call it.
"""

import functools
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from celery import current_app
from django.db import transaction
from django.db.models.constants import OnConflict
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from members.models import Role, User
from members.services import Notice, notices_create

from ..models import CBM, ComplianceOutbox, Obligation, ObligationStatus
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
        (cbm_id, conference_id, kind): (pk, status)
        for pk, cbm_id, conference_id, kind, status in Obligation.objects.select_for_update()
        .filter(cbm__in=scope)
        .values_list("id", "cbm_id", "conference_id", "kind", "status")
    }

    rows, turned = [], []
    for history in histories:
        result = cbm_compliance(history=history, timeline=timeline, on=on)
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
    notices = notices_create(notices=_obligation_notices(turned, timeline)) if turned else 0
    return RecomputeReport(cbms=len(scope), obligations=len(rows), removed=removed, notices=notices)


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
