"""How long the nightly RTG compliance sweep takes on a long history, and what it costs to store.

The sweep (`cbms.compliance.services.obligations_recompute`) reads every CBM's history,
evaluates the RTG rule on it and upserts two obligations per CBM per conference cycle. This
benchmark builds a synthetic history on the configured database - 40 held conferences, 500 CBMs,
6 RTGs per CBM per cycle (120,000 meetings) - and times:

* the sweep on an empty obligation table (40,000 inserts), then again (40,000 updates);
* its lower bound: the same reads and the same evaluation in memory, writing nothing.

It checks that the sweep takes under 30 s and at most 3 times its lower bound (storing may cost
at most twice what reading and evaluating do), and that its query count does not grow with the
number of CBMs or meetings, only with the number of write batches: the same phases are counted
on a small history (50 CBMs x 10 conferences) and must differ by the extra batches alone. Each
timing is the best of 3 runs, the others having measured whatever else the machine was doing.

Run it with `make bench-compliance` (PostgreSQL database hoa_portal_bench by default, created and
migrated if missing) or `DATABASE_URL=... python -m benchmarks.compliance`. It wipes the tables it
fills, so it refuses a database whose name does not contain "bench". Exits 1 on any FAIL.
"""

import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cbms.compliance import rule as compliance
from cbms.compliance import selectors, services
from cbms.models import CBM, CBMRole, ComplianceOutbox, Obligation, Reminder, RoleKind
from conferences.models import (
    Article,
    ConferenceStatus,
    Declaration,
    MeetingKind,
    MeetingStatus,
    MinisterialConference,
)
from conferences.models import Meeting as MeetingRow
from members.models import Country

MAX_SWEEP_SECONDS = 30.0
MAX_RATIO = 3.0
# Every conference is held and every meeting dated before this day, so all cycles are closed.
FIXED_DAY = date(2052, 1, 1)
FIRST_YEAR = 2011
SEED = 25  # Article 25: the RTG rule
CBMS_PER_CHUNK = 100  # meetings are built and inserted a chunk of CBMs at a time
INSERT_BATCH = 5000
REPEATS = 3
# Every table the benchmark fills or the sweep writes, emptied before each build.
BENCH_MODELS = (
    Obligation,
    ComplianceOutbox,
    MeetingRow,
    CBMRole,
    CBM,
    Article,
    Declaration,
    MinisterialConference,
    Country,
)


@dataclass(frozen=True)
class Scale:
    conferences: int
    cbms: int
    rtgs_per_cycle: int = 6

    @property
    def obligations(self) -> int:
        return self.conferences * self.cbms * 2

    def __str__(self) -> str:
        rtgs = self.conferences * self.cbms * self.rtgs_per_cycle
        return f"{self.cbms} CBMs x {self.conferences} conferences ({rtgs:,} RTGs)"


FULL = Scale(conferences=40, cbms=500)
SMALL = Scale(conferences=10, cbms=50)


@dataclass(frozen=True)
class Measurement:
    seconds: float
    queries: int
    rows: int  # obligations evaluated
    write_batches: int  # upsert statements among the queries

    @property
    def fixed_queries(self) -> int:
        return self.queries - self.write_batches


@dataclass(frozen=True)
class Run:
    """The three phases measured on one synthetic history, each the best of REPEATS."""

    scale: Scale
    first_sweep: Measurement
    second_sweep: Measurement
    lower_bound: Measurement

    def phases(self) -> list[tuple[str, Measurement]]:
        return [
            ("sweep, first run (inserts)", self.first_sweep),
            ("sweep, second run (updates)", self.second_sweep),
            ("lower bound (read + evaluate)", self.lower_bound),
        ]


# --- Database -----------------------------------------------------------------------------------


def database_prepare() -> None:
    """Refuse a database that is not a benchmark one, create it if missing, and migrate it."""
    name = str(settings.DATABASES["default"]["NAME"])
    if "bench" not in name:
        sys.exit(f"Refusing to wipe {name!r}: point DATABASE_URL at a database named *bench*.")
    if connection.vendor == "postgresql":
        _postgres_database_create(settings.DATABASES["default"])
    call_command("migrate", interactive=False, verbosity=0)


def _postgres_database_create(database: dict) -> None:
    import psycopg2
    from psycopg2 import sql

    server = {
        key: database[setting]
        for key, setting in (("host", "HOST"), ("port", "PORT"), ("user", "USER"))
        if database.get(setting)
    }
    if database.get("PASSWORD"):
        server["password"] = database["PASSWORD"]
    with closing(psycopg2.connect(dbname="postgres", **server)) as admin:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database["NAME"]))
                )


def data_clear() -> None:
    tables = [model._meta.db_table for model in BENCH_MODELS]
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=True, allow_cascade=True
    )
    connection.ops.execute_sql_flush(statements)


# --- Synthetic history --------------------------------------------------------------------------


def history_build(scale: Scale) -> None:
    """Conferences, the rule, CBMs, their leads and RTGs, with bulk inserts only.

    bulk_create sends no post_save signal, so nothing is queued for re-evaluation; the outbox is
    emptied anyway so the history starts clean.
    """
    data_clear()
    host = Country.objects.bulk_create([Country(code="BNH", name="Benchland")])[0]
    conferences = MinisterialConference.objects.bulk_create(
        MinisterialConference(
            number=number,
            date=day,
            year=day.year,
            city=f"City {number}",
            host=host,
            status=ConferenceStatus.HELD,
        )
        for number, day in enumerate(conference_dates(scale.conferences), start=1)
    )
    cbms = rule_and_cbms_build(conferences, count=scale.cbms, leads=[host])
    spans = cycle_spans([conference.date for conference in conferences])
    rng = random.Random(SEED)
    for start in range(0, len(cbms), CBMS_PER_CHUNK):
        chunk = cbms[start : start + CBMS_PER_CHUNK]
        MeetingRow.objects.bulk_create(
            rtgs_build(chunk, spans, scale.rtgs_per_cycle, rng), batch_size=INSERT_BATCH
        )
    ComplianceOutbox.objects.all().delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum soon would after such a load


def rule_and_cbms_build(
    conferences: list[MinisterialConference], *, count: int, leads: list[Country]
) -> list[CBM]:
    """The RTG rule in the first conference's declaration, and `count` CBMs approved there, each
    led from then on by one of `leads` in turn: bulk inserts, no signal."""
    first = conferences[0]
    declaration = Declaration.objects.bulk_create(
        [Declaration(conference=first, title="Benchmark Declaration")]
    )[0]
    Article.objects.bulk_create(
        [
            Article(
                declaration=declaration,
                number=25,
                text="Lead countries convene two RTGs per cycle.",
                is_rtg_rule=True,
                effective_from=first.date,
            )
        ]
    )
    cbms = CBM.objects.bulk_create(
        CBM(code=f"B{n:04d}", name=f"Benchmark CBM {n}", approved_on=first.date, approved_at=first)
        for n in range(1, count + 1)
    )
    CBMRole.objects.bulk_create(
        CBMRole(cbm=cbm, country=leads[n % len(leads)], role=RoleKind.LEAD, since=first.date)
        for n, cbm in enumerate(cbms)
    )
    return cbms


def conference_dates(count: int) -> list[date]:
    """One conference a year, on a date that drifts up to two months either side of 1 May."""
    return [date(FIRST_YEAR + i, 5, 1) + timedelta(days=(i * 37) % 121 - 60) for i in range(count)]


def cycle_spans(dates: list[date]) -> list[tuple[date, date]]:
    """[start, end) of each cycle; the last ends when the rule expects the next conference."""
    ends = [*dates[1:], dates[-1] + compliance.UNKNOWN_NEXT_CONFERENCE_AFTER]
    return list(zip(dates, ends, strict=True))


def rtgs_build(
    cbms: list[CBM], spans: list[tuple[date, date]], per_cycle: int, rng: random.Random
) -> Iterator[MeetingRow]:
    for cbm in cbms:
        for start, end in spans:
            for day in _rtg_dates(rng, start, end, per_cycle):
                yield MeetingRow(kind=MeetingKind.RTG, cbm=cbm, date=day, status=_rtg_status(rng))


def _rtg_dates(rng: random.Random, start: date, end: date, count: int) -> list[date]:
    """In the prioritisation window, around the review deadline, anywhere in the cycle."""
    deadline = compliance.review_deadline(end)
    pickers = [
        lambda: start + timedelta(days=rng.randint(0, 61)),
        lambda: deadline - timedelta(days=rng.randint(0, 90)),
        lambda: deadline + timedelta(days=rng.randint(1, 100)),
        lambda: start + timedelta(days=rng.randrange((end - start).days)),
    ]
    return [pickers[i % len(pickers)]() for i in range(count)]


def _rtg_status(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.6:
        return MeetingStatus.HELD
    return MeetingStatus.PLANNED if draw < 0.8 else MeetingStatus.CANCELLED


# --- Measurements -------------------------------------------------------------------------------


def measure(phase: Callable[[], int], *, writes: bool) -> Measurement:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        rows = phase()
        seconds = time.perf_counter() - started
    return Measurement(
        seconds=seconds,
        queries=len(queries.captured_queries),
        rows=rows,
        write_batches=math.ceil(rows / write_batch_size(rows)) if writes else 0,
    )


def write_batch_size(rows: int) -> int:
    """services.WRITE_BATCH, or fewer where the backend caps the parameters of a query."""
    fields = [Obligation._meta.get_field(name) for name in services.UPSERTED_FIELDS]
    return min(services.WRITE_BATCH, connection.ops.bulk_batch_size(fields, range(rows)))


def fastest(runs: list[Measurement]) -> Measurement:
    return min(runs, key=lambda run: run.seconds)


def sweep() -> int:
    return services.obligations_recompute(on=FIXED_DAY).obligations


def lower_bound() -> int:
    """What the sweep cannot avoid: read the history and evaluate every CBM, storing nothing."""
    timeline = selectors.timeline_read()
    histories = selectors.cbm_histories_read()
    return sum(
        len(selectors.cbm_compliance(history=history, timeline=timeline, on=FIXED_DAY).obligations)
        for history in histories
    )


def obligations_clear() -> None:
    # The reminders planned for the obligations go with them (their foreign key).
    tables = [Reminder._meta.db_table, Obligation._meta.db_table]
    statements = connection.ops.sql_flush(no_style(), tables)
    connection.ops.execute_sql_flush(statements)


def run(scale: Scale) -> Run:
    started = time.perf_counter()
    history_build(scale)
    print(f"Built {scale} in {time.perf_counter() - started:.1f} s", flush=True)
    first_sweeps, second_sweeps = [], []
    for _ in range(REPEATS):
        obligations_clear()
        first_sweeps.append(measure(sweep, writes=True))
        second_sweeps.append(measure(sweep, writes=True))
    lower_bounds = [measure(lower_bound, writes=False) for _ in range(REPEATS)]
    return Run(scale, fastest(first_sweeps), fastest(second_sweeps), fastest(lower_bounds))


# --- Report -------------------------------------------------------------------------------------


def report_print(full: Run, small: Run) -> None:
    batch = write_batch_size(full.first_sweep.rows)
    print()
    print(f"RTG compliance sweep on {connection.display_name}, evaluated on {FIXED_DAY}")
    print(f"Best of {REPEATS} runs; queries = fixed + write batches of {batch} rows")
    print(
        f"{'':<31}{full.scale.cbms:>7} CBMs x {full.scale.conferences} conf."
        f"{small.scale.cbms:>10} CBMs x {small.scale.conferences} conf."
    )
    print(f"{'phase':<31}{'seconds':>9}{'queries':>16}{'seconds':>12}{'queries':>16}")
    for (label, big), (_, little) in zip(full.phases(), small.phases(), strict=True):
        print(
            f"{label:<31}{big.seconds:>9.2f}{_queries(big):>16}"
            f"{little.seconds:>12.2f}{_queries(little):>16}"
        )
    print()


def _queries(measurement: Measurement) -> str:
    return f"{measurement.queries} = {measurement.fixed_queries} + {measurement.write_batches}"


def checks(full: Run, small: Run) -> list[tuple[bool, str]]:
    slowest = max(full.first_sweep.seconds, full.second_sweep.seconds)
    ratios = [m.seconds / full.lower_bound.seconds for m in (full.first_sweep, full.second_sweep)]
    fixed_full = [m.fixed_queries for _, m in full.phases()]
    fixed_small = [m.fixed_queries for _, m in small.phases()]
    return [
        (
            all(m.rows == run.scale.obligations for run in (full, small) for _, m in run.phases()),
            f"every phase evaluated 2 obligations per CBM per cycle ({full.scale.obligations:,})",
        ),
        (slowest < MAX_SWEEP_SECONDS, f"sweep {slowest:.2f} s < {MAX_SWEEP_SECONDS:.0f} s"),
        (
            max(ratios) <= MAX_RATIO,
            "sweep / lower bound "
            + " and ".join(f"{ratio:.2f}x" for ratio in ratios)
            + f" (first and second run) <= {MAX_RATIO:.0f}x",
        ),
        (
            fixed_full == fixed_small,
            f"queries other than write batches {fixed_full} at {full.scale.cbms} CBMs"
            f" == {fixed_small} at {small.scale.cbms} CBMs",
        ),
        (not ComplianceOutbox.objects.exists(), "no compliance outbox rows left behind"),
    ]


def main() -> int:
    database_prepare()
    small = run(SMALL)
    full = run(FULL)
    report_print(full, small)
    results = checks(full, small)
    for passed, description in results:
        print(f"{'PASS' if passed else 'FAIL'} {description}")
    return 0 if all(passed for passed, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
