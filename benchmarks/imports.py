"""How long ten thousand meetings from a spreadsheet take to preview and import, and what it costs.

The secretariat brings years of meetings in from Excel (cbms.imports.services): the file is read
and run as a dry run (the preview), then run again for real (the confirmation). This benchmark
builds what the meetings refer to on the configured database - the 15 participating countries,
a held conference a year from 2011 with the RTG rule, 40 CBMs with their lead countries - and
writes two workbooks:

* the history a secretariat would send, written with openpyxl: 10,000 meetings held or
  cancelled over 2012-2025 (RTGs of 38 of the CBMs, senior officials' and ambassadorial
  meetings), with cities, hosts and notes, a few kinds and statuses written as their labels,
  dates as date cells, and no id or revision column: every row is new;
* the portal's export of those meetings once imported (resource_table, xlsx_file), with 10% of
  the cells people correct (date, status, city, host, notes) changed in openpyxl and saved, as
  Excel would save it: every row is matched by id, the edited ones are updates.

It times the preview and the confirmation of each, and checks that each takes under 30 s;
that the previews count what the files hold (rows to create, to update, unchanged, no error)
and that after the confirmations the meetings are exactly what the files say. Its query counts
must not grow with the rows, only with the write batches: the same phases run on a file of 1,000
rows, and the counts may differ by the extra batches alone (PortalResource.Meta.batch_size
rows, each written with its history). Compliance is evaluated once per import: each
confirmation asks compliance_recompute_request once, for the CBMs the file touched, and the one
drain of the outbox (run here, as a worker would: there is no broker) re-evaluates exactly those:
not the two CBMs no row names, nor, after the edited export, the one whose rows were left alone.
The drains and the export are timed too, for the record, with no goal.

The previews are the best of 3 runs, the others having measured whatever else the machine was
doing; a confirmation writes, so it runs once.

Run it with `make bench-import` (PostgreSQL database hoa_portal_benchimport, created and migrated
if missing) or `DATABASE_URL=... python -m benchmarks.imports`. It wipes the tables it fills, so
it refuses a database whose name does not contain "bench". Exits 1 on any FAIL.
"""

import io
import math
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from cbms.compliance import services as compliance_services
from cbms.imports import services as import_services
from cbms.imports.services import import_confirm, import_preview, resource_table
from cbms.models import (
    CBM,
    CBMRole,
    ComplianceOutbox,
    ImportKind,
    ImportStatus,
    Obligation,
    Reminder,
    SpreadsheetImport,
)
from conferences.models import (
    Article,
    ConferenceStatus,
    Declaration,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MinisterialConference,
)
from conferences.resources import MeetingResource
from hoa_portal.api.renderers import xlsx_file
from members.models import Country, Notification, Role, User

from .compliance import database_prepare, rule_and_cbms_build

MAX_PHASE_SECONDS = 30.0
FULL_ROWS = 10_000
SMALL_ROWS = 1_000
EDITED_SHARE = 0.10
REPEATS = 3  # for the previews; a confirmation writes, so it runs once
SEED = 14  # issue 14: the spreadsheet import
FIRST_DAY, LAST_DAY = date(2012, 1, 1), date(2025, 12, 31)
# The days the two drains evaluate compliance on: which obligations each re-evaluated shows.
DRAIN_DAY_NEW, DRAIN_DAY_EDITED = date(2026, 1, 5), date(2026, 1, 6)
CBM_COUNT = 40
CBMS_NOT_IN_FILE = 2  # CBMs no row names: the import must leave their compliance alone
EDITED_COLUMNS = ("date", "status", "city", "host", "notes")

COUNTRIES = {
    "AFG": ("Afghanistan", ["Kabul", "Herat", "Mazar-i-Sharif"]),
    "ARE": ("United Arab Emirates", ["Abu Dhabi", "Dubai"]),
    "AZE": ("Azerbaijan", ["Baku", "Ganja"]),
    "CHN": ("China", ["Beijing", "Urumqi", "Shanghai"]),
    "IND": ("India", ["New Delhi", "Amritsar", "Mumbai"]),
    "IRN": ("Iran", ["Tehran", "Mashhad"]),
    "KAZ": ("Kazakhstan", ["Astana", "Almaty"]),
    "KGZ": ("Kyrgyzstan", ["Bishkek", "Osh"]),
    "PAK": ("Pakistan", ["Islamabad", "Lahore", "Karachi"]),
    "RUS": ("Russia", ["Moscow", "Kazan"]),
    "SAU": ("Saudi Arabia", ["Riyadh", "Jeddah"]),
    "TJK": ("Tajikistan", ["Dushanbe"]),
    "TKM": ("Turkmenistan", ["Ashgabat"]),
    "TUR": ("Turkey", ["Istanbul", "Ankara", "Antalya"]),
    "UZB": ("Uzbekistan", ["Tashkent", "Samarkand"]),
}
NOTES = (
    "Minutes circulated to the participating countries.",
    "Hosted at the Ministry of Foreign Affairs.",
    "Back to back with the Senior Officials Meeting.",
    "Agenda adopted; plan activities reviewed.",
    "Held online.",
)
# The tables the reference data fills, emptied before it is built; and those the imports and the
# drains after them write, emptied before each file.
REFERENCE_MODELS = (
    CBMRole,
    CBM,
    Article,
    Declaration,
    MinisterialConference,
    User,
    Country,
)
IMPORT_MODELS = (
    Notification,
    Reminder,
    Obligation,
    ComplianceOutbox,
    SpreadsheetImport,
    Meeting.history.model,
    Meeting,
)

# --- What a batch of rows costs ---------------------------------------------------------------
# django-import-export (4.x, use_bulk) persists a batch when it fills up, in a savepoint of its
# own (SAVEPOINT, RELEASE), dry run or not; the rest of the file goes in the savepoint that
# always ends the import, a fixed cost. On a confirmation, PortalResource writes each batch in a
# savepoint of its own besides, with one statement for the meetings (INSERT or UPDATE) and one
# for their history (bulk_create_with_history, bulk_update_with_history: same batch size).
FILLED_BATCH_STATEMENTS = 2
WRITTEN_BATCH_STATEMENTS = 4


def batch_statements(rows: int, *, writes: bool) -> int:
    """The statements the batches of `rows` created or updated rows cost beyond the fixed ones."""
    size = MeetingResource._meta.batch_size
    filled = rows // size * FILLED_BATCH_STATEMENTS
    return filled + (math.ceil(rows / size) * WRITTEN_BATCH_STATEMENTS if writes else 0)


@dataclass(frozen=True)
class Measurement:
    seconds: float
    queries: int
    rows: int  # rows of the file
    batch_statements: int  # statements among the queries that the write batches account for
    statements: Counter = field(compare=False, repr=False)  # by kind and table, for a FAIL

    @property
    def fixed_queries(self) -> int:
        return self.queries - self.batch_statements

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


@dataclass(frozen=True)
class Run:
    """The phases measured on one file of `rows` new meetings and on its edited export."""

    rows: int
    preview_new: Measurement
    confirm_new: Measurement
    drain_new: Measurement
    export: Measurement
    preview_edited: Measurement
    confirm_edited: Measurement
    drain_edited: Measurement
    checks: list[tuple[bool, str]]

    def timed(self) -> list[tuple[str, Measurement]]:
        """The phases the issue sets a time for."""
        return [
            ("preview of new rows (dry run)", self.preview_new),
            ("confirm of new rows", self.confirm_new),
            ("preview of the edited export", self.preview_edited),
            ("confirm of the edited export", self.confirm_edited),
        ]

    def phases(self) -> list[tuple[str, Measurement]]:
        return [
            *self.timed()[:2],
            ("  drain after the new rows", self.drain_new),
            ("  export for editing", self.export),
            *self.timed()[2:],
            ("  drain after the edits", self.drain_edited),
        ]


# --- Database -----------------------------------------------------------------------------------


def tables_clear(models) -> None:
    tables = [model._meta.db_table for model in models]
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=True, allow_cascade=True
    )
    connection.ops.execute_sql_flush(statements)


@dataclass(frozen=True)
class Reference:
    """What the meetings of the files refer to."""

    actor: User
    countries: list[Country]
    cbms_in_file: list[CBM]
    cbms_not_in_file: list[CBM]


def reference_build() -> Reference:
    """Countries, conferences, the rule, CBMs and their leads, with bulk inserts only: no signal
    asks for a re-evaluation, and the outbox is emptied anyway so the imports start clean."""
    tables_clear(IMPORT_MODELS + REFERENCE_MODELS)
    countries = Country.objects.bulk_create(
        Country(code=code, name=name) for code, (name, _cities) in COUNTRIES.items()
    )
    conferences = MinisterialConference.objects.bulk_create(
        MinisterialConference(
            number=number,
            date=day,
            year=day.year,
            city=COUNTRIES[countries[number % len(countries)].code][1][0],
            host=countries[number % len(countries)],
            status=ConferenceStatus.HELD,
        )
        for number, day in enumerate(_conference_dates(), start=1)
    )
    cbms = rule_and_cbms_build(conferences, count=CBM_COUNT, leads=countries)
    actor = User(
        username="bench-secretariat",
        role=Role.SECRETARIAT,
        is_staff=True,
        is_superuser=True,
        email="desk@example.org",
    )
    actor.set_unusable_password()
    User.objects.bulk_create([actor])
    ComplianceOutbox.objects.all().delete()
    return Reference(
        actor=User.objects.get(username=actor.username),
        countries=countries,
        cbms_in_file=cbms[:-CBMS_NOT_IN_FILE],
        cbms_not_in_file=cbms[-CBMS_NOT_IN_FILE:],
    )


def _conference_dates() -> list[date]:
    """One a year from the Istanbul conference of 2 November 2011, drifting over the autumn."""
    return [date(2011 + i, 11, 2) + timedelta(days=(i * 17) % 40) for i in range(15)]


# --- The files ----------------------------------------------------------------------------------


def history_rows(rows: int, reference: Reference, rng: random.Random) -> list[dict[str, Any]]:
    """Meetings as a secretariat keeps them: mostly RTGs, held or now and then cancelled, in the
    city of one of the countries with that country as host, sometimes a note; no two the same
    meeting (CBM, kind, date and city: the natural key)."""
    span = (LAST_DAY - FIRST_DAY).days
    taken: set[tuple] = set()
    meetings = []
    while len(meetings) < rows:
        country = rng.choice(reference.countries)
        is_rtg = rng.random() < 0.85
        meeting = {
            "kind": MeetingKind.RTG if is_rtg else rng.choice([MeetingKind.SOM, MeetingKind.AM]),
            "cbm": rng.choice(reference.cbms_in_file).code if is_rtg else "",
            "date": FIRST_DAY + timedelta(days=rng.randrange(span + 1)),
            "status": MeetingStatus.HELD if rng.random() < 0.92 else MeetingStatus.CANCELLED,
            "city": rng.choice(COUNTRIES[country.code][1]),
            "host": country.code if rng.random() < 0.9 else "",
            "notes": rng.choice(NOTES) if rng.random() < 0.4 else "",
        }
        key = (meeting["date"], meeting["kind"], meeting["cbm"], meeting["city"].casefold())
        if key not in taken:
            taken.add(key)
            meetings.append(meeting)
    return sorted(meetings, key=lambda meeting: meeting["date"])


def history_workbook(meetings: list[dict[str, Any]], rng: random.Random) -> bytes:
    """The rows as typed into Excel: kinds and statuses mostly as the template writes them, a
    few as the portal's labels; dates as date cells."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Meetings"
    columns = ["kind", "cbm", "date", "status", "city", "host", "notes"]
    sheet.append(columns)
    labels = {**dict(MeetingKind.choices), **dict(MeetingStatus.choices)}
    for meeting in meetings:
        cells = dict(meeting)
        for column in ("kind", "status"):
            if rng.random() < 0.05:
                cells[column] = str(labels[meeting[column]]).capitalize()
            else:
                cells[column] = str(meeting[column])
        sheet.append([cells[column] or None for column in columns])
    for cell in sheet["C"][1:]:
        cell.number_format = "yyyy-mm-dd"
    return _saved(workbook)


def _saved(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_workbook(actor: User) -> bytes:
    """Every meeting as the portal's list exports it for editing (with ids and revisions)."""
    resource = MeetingResource(actor=actor)
    table = resource_table(resource, resource.get_queryset().order_by("pk"), name="meetings")
    with xlsx_file([table]) as workbook:
        return workbook.read()


# A meeting's state as the import may change it, to compare the database with the files.
STATE_FIELDS = ("kind", "cbm_id", "date", "status", "city", "host_id", "notes")


def meeting_states() -> dict[int, tuple]:
    return {pk: tuple(rest) for pk, *rest in Meeting.objects.values_list("pk", *STATE_FIELDS)}


@dataclass(frozen=True)
class Edits:
    data: bytes
    cells: int
    expected: dict[int, tuple]  # every meeting's state once the file is imported
    updated_ids: set[int]
    touched_cbm_ids: set[int]


def edit_export(data: bytes, reference: Reference, rng: random.Random) -> Edits:
    """A tenth of the cells people correct, changed in openpyxl: dates moved a few days,
    held meetings marked cancelled and back, cities and hosts corrected, notes added. The rows
    of one CBM are left as they were, so its compliance must not be re-evaluated."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    column_of = {name: header.index(name) + 1 for name in header}
    states = meeting_states()
    left_alone = reference.cbms_in_file[0].pk
    by_code = {country.code: country for country in reference.countries}
    codes = sorted(by_code)
    cities = sorted({city for _name, names in COUNTRIES.values() for city in names})
    rows = {}
    for number in range(2, sheet.max_row + 1):
        pk = int(sheet.cell(row=number, column=column_of["id"]).value)
        if states[pk][STATE_FIELDS.index("cbm_id")] != left_alone:
            rows[pk] = number
    count = round(EDITED_SHARE * len(states) * len(EDITED_COLUMNS))
    chosen = rng.sample([(pk, column) for pk in rows for column in EDITED_COLUMNS], count)
    expected = {pk: list(state) for pk, state in states.items()}
    for pk, column in chosen:
        state = expected[pk]
        cell_value, state_value = _edited(column, state, rng, codes, by_code, cities)
        state[STATE_FIELDS.index(_state_field(column))] = state_value
        sheet.cell(row=rows[pk], column=column_of[column], value=cell_value)
    updated = {pk for pk, state in expected.items() if tuple(state) != states[pk]}
    return Edits(
        data=_saved(workbook),
        cells=count,
        expected={pk: tuple(state) for pk, state in expected.items()},
        updated_ids=updated,
        touched_cbm_ids={expected[pk][1] for pk in updated} - {None},
    )


def _state_field(column: str) -> str:
    return "host_id" if column == "host" else column


def _edited(column, state, rng, codes, by_code, cities) -> tuple[Any, Any]:
    """A new value for the cell, unlike the one it has: (what the cell says, what is stored)."""
    current = state[STATE_FIELDS.index(_state_field(column))]
    if column == "date":
        moved = current + timedelta(days=rng.choice([-1, 1]) * rng.randint(1, 10))
        moved = min(max(moved, FIRST_DAY), min(LAST_DAY, timezone.localdate()))
        moved = moved if moved != current else current - timedelta(days=1)
        return moved, moved
    if column == "status":
        flipped = MeetingStatus.CANCELLED if current == MeetingStatus.HELD else MeetingStatus.HELD
        return str(flipped), str(flipped)
    if column == "city":
        city = rng.choice([name for name in cities if name != current])
        return city, city
    if column == "host":
        code = rng.choice([code for code in codes if by_code[code].pk != current])
        return code, by_code[code].pk
    note = f"{current} Report circulated.".strip()
    return note, note


# --- Measurements -------------------------------------------------------------------------------


TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"')


@contextmanager
def statements_counted() -> Iterator[Counter]:
    """Every statement sent, by kind and table (SAVEPOINT, INSERT conferences_meeting, ...).
    Counted in a wrapper rather than Django's query log, which keeps only the last 9,000."""
    counted: Counter = Counter()

    def count(execute, sql, params, many, context):
        kind = sql.split(None, 1)[0].upper() if sql.strip() else ""
        table = TABLE.search(sql)
        counted[f"{kind} {table.group(1)}" if table else kind] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield counted


def measure(phase: Callable[[], Any], *, rows: int, batch_statements: int = 0):
    with statements_counted() as counted:
        started = time.perf_counter()
        outcome = phase()
        seconds = time.perf_counter() - started
    measurement = Measurement(
        seconds=seconds,
        queries=sum(counted.values()),
        rows=rows,
        batch_statements=batch_statements,
        statements=counted,
    )
    return measurement, outcome


def best_of(phase: Callable[[], Any], **kwargs) -> tuple[Measurement, Any]:
    """The fastest of REPEATS runs, with the outcome of the last (the one to confirm)."""
    runs = [measure(phase, **kwargs) for _ in range(REPEATS)]
    return min((run[0] for run in runs), key=lambda m: m.seconds), runs[-1][1]


def preview(data: bytes, name: str, actor: User) -> SpreadsheetImport:
    return import_preview(
        kind=ImportKind.MEETINGS, uploaded_file=SimpleUploadedFile(name, data), actor=actor
    )


@dataclass
class Compliance:
    """The calls the imports make to ask for compliance, and the nudges to a worker."""

    requests: list[set[int]] = field(default_factory=list)
    nudges: int = 0

    def taken(self) -> tuple[list[set[int]], int]:
        taken = (self.requests, self.nudges)
        self.requests, self.nudges = [], 0
        return taken


@contextmanager
def compliance_watched() -> Iterator[Compliance]:
    """compliance_recompute_request as the import services call it, counted; the nudge it
    sends after the commit counted instead of run, so the drain is timed on its own."""
    watched = Compliance()
    request = compliance_services.compliance_recompute_request

    def counted_request(*, cbm_ids):
        cbm_ids = set(cbm_ids)
        watched.requests.append(cbm_ids)
        return request(cbm_ids=cbm_ids)

    def counted_nudge():
        watched.nudges += 1

    with (
        mock.patch.object(import_services, "compliance_recompute_request", counted_request),
        mock.patch.object(compliance_services, "_enqueue_drain", counted_nudge),
    ):
        yield watched


def drain(on: date) -> set[int]:
    """The outbox drained once, as the worker's task does; the CBMs it evaluated on `on`."""
    compliance_services.compliance_outbox_drain(on=on)
    return set(
        Obligation.objects.filter(evaluated_on=on).values_list("cbm_id", flat=True).distinct()
    )


@dataclass(frozen=True)
class Imported:
    """One file previewed, confirmed, and the outbox drained after it."""

    preview: Measurement
    confirm: Measurement
    drain: Measurement
    spreadsheet_import: SpreadsheetImport
    checks: list[tuple[bool, str]]


def file_import(
    label: str,
    data: bytes,
    *,
    rows: int,
    counts: tuple[int, int, int],  # rows the preview must show to create, update, leave
    touched: set[int],  # the CBMs whose compliance the rows may move
    drain_day: date,
    actor: User,
    watched: Compliance,
) -> Imported:
    written = counts[0] + counts[1]
    history_before = Meeting.history.count()
    preview_run, previewed = best_of(
        lambda: preview(data, f"{label}.xlsx", actor),
        rows=rows,
        batch_statements=batch_statements(written, writes=False),
    )
    shown = (previewed.created, previewed.updated, previewed.unchanged)
    checks = [
        (
            previewed.status == ImportStatus.PREVIEWED and shown == counts,
            f"{rows:,} rows, {label}: the preview shows {shown} to create, update and leave"
            f" (expected {counts}), {previewed.errors} errors {previewed.preview['errors'][:2]}",
        ),
        (
            Meeting.history.count() == history_before,
            f"{rows:,} rows, {label}: the previews wrote no meeting (no history row)",
        ),
    ]
    preview_requests, preview_nudges = watched.taken()
    confirm_run, imported = measure(
        lambda: import_confirm(spreadsheet_import=previewed, actor=actor),
        rows=rows,
        batch_statements=batch_statements(written, writes=True),
    )
    requests, nudges = watched.taken()
    checks += [
        (
            imported.status == ImportStatus.IMPORTED,
            f"{rows:,} rows, {label}: the confirm imported the file ({imported.status})",
        ),
        (
            not preview_requests and not preview_nudges,
            f"{rows:,} rows, {label}: the previews asked for no re-evaluation"
            f" ({len(preview_requests)} calls)",
        ),
        (
            requests == [touched] and nudges == 1,
            f"{rows:,} rows, {label}: the confirm called compliance_recompute_request"
            f" {len(requests)} time(s), for {[len(ids) for ids in requests]} CBMs of the"
            f" {len(touched)} touched, and nudged a worker {nudges} time(s)",
        ),
    ]
    outbox = ComplianceOutbox.objects.count()
    drain_run, evaluated = measure(lambda: drain(drain_day), rows=rows)
    checks.append(
        (
            evaluated == touched and outbox > 0 and not ComplianceOutbox.objects.exists(),
            f"{rows:,} rows, {label}: one drain emptied the outbox ({outbox} CBMs) and"
            f" re-evaluated the {len(touched)} CBMs touched, no other ({len(evaluated)})",
        )
    )
    return Imported(preview_run, confirm_run, drain_run, imported, checks)


def run(rows: int, reference: Reference) -> Run:
    started = time.perf_counter()
    tables_clear(IMPORT_MODELS)
    rng = random.Random(SEED)
    meetings = history_rows(rows, reference, rng)
    new_file = history_workbook(meetings, rng)
    print(
        f"Wrote {rows:,} meetings ({len(new_file) // 1024} KiB) in"
        f" {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    actor = reference.actor
    cbm_pks = {cbm.code: cbm.pk for cbm in reference.cbms_in_file}
    with compliance_watched() as watched:
        new = file_import(
            "meetings-2012-2025",
            new_file,
            rows=rows,
            counts=(rows, 0, 0),
            touched={cbm_pks[meeting["cbm"]] for meeting in meetings if meeting["cbm"]},
            drain_day=DRAIN_DAY_NEW,
            actor=actor,
            watched=watched,
        )
        reason = new.spreadsheet_import.history_reason
        histories = Meeting.history.filter(history_change_reason=reason, history_type="+")
        stored, recorded = Meeting.objects.count(), histories.count()
        checks = [
            *new.checks,
            (
                stored == recorded == rows,
                f"{rows:,} rows, new file: {stored:,} meetings stored,"
                f" {recorded:,} history rows naming the import",
            ),
        ]

        export, exported = measure(lambda: export_workbook(actor), rows=rows)
        edits = edit_export(exported, reference, rng)
        updated = len(edits.updated_ids)
        print(f"Edited {edits.cells:,} cells of the export: {updated:,} rows", flush=True)
        edited = file_import(
            "meetings-edited",
            edits.data,
            rows=rows,
            counts=(0, updated, rows - updated),
            touched=edits.touched_cbm_ids,
            drain_day=DRAIN_DAY_EDITED,
            actor=actor,
            watched=watched,
        )
        differing = sum(state != edits.expected.get(pk) for pk, state in meeting_states().items())
        checks += [
            *edited.checks,
            (
                differing == 0,
                f"{rows:,} rows, edited export: every meeting is as the file says"
                f" ({differing} differ)",
            ),
        ]
    untouched = {cbm.pk for cbm in reference.cbms_not_in_file}
    evaluated = set(Obligation.objects.values_list("cbm_id", flat=True))
    checks.append(
        (
            not evaluated & untouched,
            f"{rows:,} rows: the {len(untouched)} CBMs no row names were never evaluated",
        )
    )
    return Run(
        rows,
        new.preview,
        new.confirm,
        new.drain,
        export,
        edited.preview,
        edited.confirm,
        edited.drain,
        checks,
    )


# --- Report -------------------------------------------------------------------------------------


def report_print(full: Run, small: Run) -> None:
    batch = MeetingResource._meta.batch_size
    print()
    print(f"Meetings imported from XLSX on {connection.display_name}")
    print(
        f"Previews best of {REPEATS}; queries = fixed + batch statements"
        f" ({batch} rows a batch); the indented phases are shown, not held to the goal"
    )
    print(f"{'':<32}{full.rows:>,} rows".ljust(73) + f"{small.rows:>,} rows")
    print(f"{'phase':<32}{'seconds':>8}{'rows/s':>9}{'queries':>24}{'seconds':>9}{'queries':>20}")
    for (label, big), (_, little) in zip(full.phases(), small.phases(), strict=True):
        print(
            f"{label:<32}{big.seconds:>8.2f}{big.rows_per_second:>9,.0f}{_queries(big):>24}"
            f"{little.seconds:>9.2f}{_queries(little):>20}"
        )
    print()


def _queries(measurement: Measurement) -> str:
    if not measurement.batch_statements:
        return str(measurement.queries)
    return f"{measurement.queries} = {measurement.fixed_queries} + {measurement.batch_statements}"


def checks(full: Run, small: Run) -> list[tuple[bool, str]]:
    results = [*small.checks, *full.checks]
    for label, big in full.timed():
        results.append(
            (
                big.seconds <= MAX_PHASE_SECONDS,
                f"{label}: {big.seconds:.2f} s <= {MAX_PHASE_SECONDS:.0f} s"
                f" at {full.rows:,} rows ({big.rows_per_second:,.0f} rows/s)",
            )
        )
    for (label, big), (_, little) in zip(full.timed(), small.timed(), strict=True):
        allowed = big.batch_statements - little.batch_statements
        grown = big.queries - little.queries
        passed = grown <= allowed
        results.append(
            (
                passed,
                f"{label}: {little.queries} queries at {little.rows:,} rows,"
                f" {big.queries} at {big.rows:,}: {grown} more, {allowed} allowed"
                " (the extra batches)",
            )
        )
        if not passed:
            results[-1] = (False, results[-1][1] + _grown(big, little))
    return results


def _grown(big: Measurement, little: Measurement) -> str:
    """The statements that grew most, to say where the extra queries come from."""
    grown = Counter(big.statements)
    grown.subtract(little.statements)
    top = ", ".join(f"{key} +{n}" for key, n in grown.most_common(4) if n > 0)
    return f"; grew most: {top}"


def main() -> int:
    database_prepare()
    started = time.perf_counter()
    reference = reference_build()
    print(
        f"Built {len(reference.countries)} countries, {CBM_COUNT} CBMs and their leads in"
        f" {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    small = run(SMALL_ROWS, reference)
    full = run(FULL_ROWS, reference)
    report_print(full, small)
    results = checks(full, small)
    for passed, description in results:
        print(f"{'PASS' if passed else 'FAIL'} {description}")
    return 0 if all(passed for passed, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
