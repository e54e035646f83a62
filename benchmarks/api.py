"""Throughput of the API's list endpoints against a plain Django view serving the same rows.

On PostgreSQL, with a synthetic 10,000 held meetings and 5,000 obligations (bulk_create: no
signals, no history, no outbox), gunicorn serves the project (2 sync workers, 127.0.0.1 only,
DEBUG off, benchmarks/settings.py). A load generator on loopback drives, for a fixed time each:

* `GET /api/v1/meetings/?page_size=100` and `GET /api/v1/obligations/?page_size=100`, as an
  analyst with a knox token header (obligations need a signed-in user);
* the baseline: a plain Django view returning the same 100 rows with `.values()` as JSON
  (benchmarks/baseline_urls.py; no DRF, no serializer, no count(), no authentication, no
  transaction).

It prints requests/s and p50/p95 latency side by side, and PASS when each API endpoint reaches at
least half its baseline's throughput. Before timing anything it checks that both return 200 and
the same 100 ids, and that the server runs with DEBUG off.

Then it times the exports of all 10,000 meetings, `?format=csv` and `?format=xlsx`, one request
at a time, the two alternating for EXPORT_ROUNDS rounds, after checking that each holds every
meeting; PASS when the XLSX export's median time is at most MAX_EXPORT_RATIO times the CSV's.

The load generator is wrk when it is installed (`make bench-api` installs Debian's), else a small
Python one (threads with keep-alive connections). Either runs for DURATION seconds per endpoint
over CONNECTIONS connections and stops by itself; nothing leaves 127.0.0.1. The API and its
baseline alternate in ROUNDS slices, so load from elsewhere on the machine falls on both.

Run it with `make bench-api` (PostgreSQL database hoa_portal_benchapi, created and migrated if
missing) or `DATABASE_URL=... python -m benchmarks.api [--profile]`. It wipes the tables it fills,
so it refuses a database whose name does not contain "bench". `--profile` (automatic on FAIL)
profiles 200 in-process requests per API endpoint with pyinstrument. Exits 1 on any FAIL.
"""

import argparse
import datetime as dt
import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from django.conf import settings

import benchmarks

API_DATABASE_NAME = "hoa_portal_benchapi"
if os.environ.get("DATABASE_URL") == benchmarks.BENCH_DATABASE_URL:
    # The package defaults to the compliance benchmark's database; this one has its own. No
    # connection is open yet, so renaming the database here is enough.
    settings.DATABASES["default"]["NAME"] = API_DATABASE_NAME

from django.core.management.color import no_style  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from benchmarks import serving  # noqa: E402
from benchmarks.compliance import database_prepare  # noqa: E402
from benchmarks.serving import (  # noqa: E402
    HOST,
    WRK_REPORT,
    Result,
    free_port,
    gunicorn,
    python_run,
    wrk_run,
)
from cbms.models import CBM, CBMRole, ComplianceOutbox, Obligation, RoleKind  # noqa: E402
from conferences.models import (  # noqa: E402
    ConferenceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MinisterialConference,
)
from members.models import Country, Role, User  # noqa: E402

MEETINGS = 10_000
CONFERENCES = 25
CBMS = 100  # x 25 conferences x 2 kinds = 5,000 obligations
PAGE_SIZE = 100
DURATION = 10  # seconds per endpoint
ROUNDS = 5  # the API and its baseline alternate in this many slices of DURATION / ROUNDS
WARMUP = 2  # seconds per endpoint, not counted
CONNECTIONS = 4
WORKERS = 2
MIN_RATIO = 0.5
EXPORT_ROUNDS = 5
MAX_EXPORT_RATIO = 2.0
EXPORT_TIMEOUT = 60  # seconds for one export request
SEED = 21
DEADLINE_DAYS = {"prioritisation": 61, "review": 240}
INSERT_BATCH = 2000

ENDPOINTS = {
    "meetings": ("/api/v1/meetings/", "/bench/baseline/meetings/"),
    "obligations": ("/api/v1/obligations/", "/bench/baseline/obligations/"),
}
EXPORTS = {
    "csv": "/api/v1/meetings/?format=csv",
    "xlsx": "/api/v1/meetings/?format=xlsx",
}


# --- Data ---------------------------------------------------------------------------------------


def data_build() -> str:
    """Wipe the benchmark's tables, bulk-insert the synthetic history; return an analyst token."""
    models = [Obligation, ComplianceOutbox, Meeting, CBMRole, CBM, MinisterialConference, Country]
    tables = [model._meta.db_table for model in models]
    tables += [AuthToken._meta.db_table, User._meta.db_table, User.history.model._meta.db_table]
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=True, allow_cascade=True
    )
    connection.ops.execute_sql_flush(statements)

    rng = random.Random(SEED)
    countries = Country.objects.bulk_create(
        Country(code=code, name=f"Benchland {code}") for code in ("BNA", "BNB", "BNC", "BND")
    )
    conferences = MinisterialConference.objects.bulk_create(
        MinisterialConference(
            number=number,
            date=dt.date(2010 + number, 5, 1),
            year=2010 + number,
            city=f"City {number}",
            host=countries[number % len(countries)],
            status=ConferenceStatus.HELD,
        )
        for number in range(1, CONFERENCES + 1)
    )
    cbms = CBM.objects.bulk_create(
        CBM(code=f"B{n:03d}", name=f"Benchmark CBM {n}", approved_on=conferences[0].date)
        for n in range(1, CBMS + 1)
    )
    CBMRole.objects.bulk_create(
        CBMRole(cbm=cbm, country=rng.choice(countries), role=RoleKind.LEAD, since=cbm.approved_on)
        for cbm in cbms
    )
    kinds = [MeetingKind.RTG] * 8 + [MeetingKind.SOM, MeetingKind.AM]
    meetings = Meeting.objects.bulk_create(
        (
            Meeting(
                kind=(kind := rng.choice(kinds)),
                cbm=rng.choice(cbms) if kind == MeetingKind.RTG else None,
                date=dt.date(2011, 1, 1) + dt.timedelta(days=rng.randrange(25 * 365)),
                status=MeetingStatus.HELD,
                city=f"City {rng.randrange(50)}",
                host=rng.choice(countries) if rng.random() < 0.5 else None,
            )
            for _ in range(MEETINGS)
        ),
        batch_size=INSERT_BATCH,
    )
    statuses = ["met", "late", "missed", "open", "at_risk", "scheduled"]
    Obligation.objects.bulk_create(
        (
            Obligation(
                cbm=cbm,
                conference=conference,
                kind=kind,
                window_start=conference.date,
                deadline=conference.date + dt.timedelta(days=DEADLINE_DAYS[kind]),
                estimated=False,
                status=(status := rng.choice(statuses)),
                met_by=rng.choice(meetings) if status in ("met", "late") else None,
                evaluated_on=dt.date(2036, 1, 1),
            )
            for cbm in cbms
            for conference in conferences
            for kind in ("prioritisation", "review")
        ),
        batch_size=INSERT_BATCH,
    )
    ComplianceOutbox.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    analyst = User.objects.create_user("bench-analyst", role=Role.ANALYST)
    _, token = AuthToken.objects.create(user=analyst)
    return token


# --- The server ---------------------------------------------------------------------------------


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def fetch(port: int, path: str, token: str, timeout: float = 10) -> tuple[int, bytes]:
    return serving.fetch(port, path, auth(token), timeout)


def server_check(port: int, token: str) -> None:
    """The server runs without DEBUG, API and baseline return the same 100 rows, and the API
    counts every row (the meetings' count comes from the tally the triggers keep)."""
    status, body = fetch(port, "/bench/no-such-page/", token)
    if status != 404 or b"URLconf" in body:
        sys.exit(f"The server looks misconfigured (DEBUG on?): {status} {body[:200]!r}")
    expected_counts = {"meetings": MEETINGS, "obligations": Obligation.objects.count()}
    for name, (api, baseline) in ENDPOINTS.items():
        found, count = {}, None
        for label, path in (("api", api_url(api)), ("baseline", baseline)):
            status, body = fetch(port, path, token)
            if status != 200:
                sys.exit(f"{name} {label}: {path} answered {status}: {body[:300]!r}")
            answer = json.loads(body)
            found[label] = [row["id"] for row in answer["results"]]
            count = answer.get("count", count)
        if len(found["api"]) != PAGE_SIZE or found["api"] != found["baseline"]:
            sys.exit(f"{name}: API and baseline rows differ: {found}")
        if count != expected_counts[name]:
            sys.exit(f"{name}: the API counts {count} rows, not {expected_counts[name]}")


def api_url(path: str) -> str:
    return f"{path}?page_size={PAGE_SIZE}"


# --- Exports ------------------------------------------------------------------------------------


def exported_rows(export_format: str, body: bytes) -> int:
    """Data rows of an export: CSV lines, or the sheet's `<row>` elements, less the header."""
    if export_format == "csv":
        return len(body.decode("utf-8-sig").splitlines()) - 1
    with zipfile.ZipFile(io.BytesIO(body)) as workbook:
        return workbook.read("xl/worksheets/sheet1.xml").count(b"<row ") - 1


def exports_time(port: int, token: str, rounds: int) -> dict[str, list[float]]:
    """Seconds per export of every meeting, each format in turn, after checking each holds all."""
    for export_format, path in EXPORTS.items():
        status, body = fetch(port, path, token, timeout=EXPORT_TIMEOUT)
        if status != 200 or exported_rows(export_format, body) != MEETINGS:
            sys.exit(f"{path} answered {status} without the {MEETINGS} meetings: {body[:200]!r}")
    times: dict[str, list[float]] = {export_format: [] for export_format in EXPORTS}
    for _ in range(rounds):
        for export_format, path in EXPORTS.items():
            started = time.perf_counter()
            status, _body = fetch(port, path, token, timeout=EXPORT_TIMEOUT)
            times[export_format].append(time.perf_counter() - started)
            if status != 200:
                sys.exit(f"{path} answered {status}")
    return times


# --- Profile ------------------------------------------------------------------------------------


# Where a list request spends its time: (label, file suffix, function) of the frames summed.
PROFILE_PHASES = [
    ("authentication (knox token lookup)", "rest_framework/views.py", "perform_authentication"),
    ("filters and ordering (django-filter)", "rest_framework/generics.py", "filter_queryset"),
    ("pagination: count()", "django/core/paginator.py", "count"),
    ("pagination: page query + model instances", "django/core/paginator.py", "__len__"),
    ("serializer (100 rows to dicts)", "rest_framework/serializers.py", "data"),
    ("JSON rendering", "rest_framework/renderers.py", "render"),
    ("transaction commit (ATOMIC_REQUESTS)", "django/db/transaction.py", "__exit__"),
]


def profile(token: str, requests: int = 200) -> None:
    """Where an API request spends its time, in-process (no network), DEBUG off."""
    from pyinstrument import Profiler

    client = Client(headers={"Authorization": f"Token {token}"})
    served_as_benchmarked = override_settings(
        DEBUG=False, ALLOWED_HOSTS=["testserver"], ROOT_URLCONF="benchmarks.baseline_urls"
    )
    with served_as_benchmarked:
        for api, baseline in ENDPOINTS.values():
            timings = {}
            for path in (api_url(api), baseline):
                if client.get(path).status_code != 200:  # also warms caches and the connection
                    sys.exit(f"{path} does not answer 200 in-process")
                started = time.perf_counter()
                for _ in range(requests):
                    client.get(path)
                timings[path] = (time.perf_counter() - started) / requests * 1e3
            profiler = Profiler(interval=0.0005)
            with profiler:
                for _ in range(requests):
                    client.get(api_url(api))
            root = profiler.last_session.root_frame()
            print(
                f"\npyinstrument, {requests} in-process requests: GET {api_url(api)} "
                f"{timings[api_url(api)]:.1f} ms each, baseline {timings[baseline]:.1f} ms"
            )
            whole = "whole request, under the profiler"
            print(f"  {whole:<46}{root.time / requests * 1e3:>7.1f} ms")
            for label, path_suffix, function in PROFILE_PHASES:
                seconds = _time_in(root, path_suffix, function)
                print(
                    f"  {label:<46}{seconds / requests * 1e3:>7.1f} ms{seconds / root.time:>6.0%}"
                )


def _time_in(frame, path_suffix: str, function: str) -> float:
    """Time in the outermost frames of `function` in a file ending with `path_suffix`."""
    if frame.function == function and (frame.file_path or "").endswith(path_suffix):
        return frame.time
    return sum(_time_in(child, path_suffix, function) for child in frame.children)


# --- Report -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=DURATION, help="seconds per endpoint")
    parser.add_argument("--profile", action="store_true", help="profile the API with pyinstrument")
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    options = parser.parse_args()

    database_prepare()
    started = time.perf_counter()
    token = data_build()
    print(
        f"Built {Meeting.objects.count():,} meetings and {Obligation.objects.count():,} "
        f"obligations on {connection.settings_dict['NAME']} in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    use_wrk = shutil.which("wrk") is not None and not options.python_client
    generator = "wrk" if use_wrk else "Python threads"
    results: dict[tuple[str, str], Result] = {}
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch, gunicorn(port, workers=WORKERS):
        script = Path(scratch) / "report.lua"
        script.write_text(WRK_REPORT)

        def load(path: str, seconds: int) -> Result:
            if use_wrk:
                return wrk_run(port, path, auth(token), seconds, script, connections=CONNECTIONS)
            return python_run(port, path, auth(token), seconds, connections=CONNECTIONS)

        server_check(port, token)
        # API and baseline take turns in ROUNDS slices, so a machine that gets busier halfway
        # through (other jobs, CPU frequency) weighs on both sides alike.
        slice_seconds = max(1, options.duration // ROUNDS)
        for name, (api, baseline) in ENDPOINTS.items():
            paths = {"API": api_url(api), "baseline": baseline}
            for path in paths.values():
                load(path, WARMUP)
            slices = {label: [] for label in paths}
            for _ in range(ROUNDS):
                for label, path in paths.items():
                    slices[label].append(load(path, slice_seconds))
            for label, parts in slices.items():
                results[(name, label)] = Result.combined(parts)
        export_times = exports_time(port, token, EXPORT_ROUNDS)

    print()
    print(
        f"{generator}, {CONNECTIONS} connections x {options.duration} s per row (in {ROUNDS} "
        f"slices, API and baseline alternating), on gunicorn "
        f"({WORKERS} sync workers, DEBUG off, CONN_MAX_AGE=60) at {HOST}, PostgreSQL; "
        f"{PAGE_SIZE} rows per response, analyst token"
    )
    print(f"{'':<12}{'':<10}{'path':<36}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for (name, label), result in results.items():
        path = api_url(ENDPOINTS[name][0]) if label == "API" else ENDPOINTS[name][1]
        print(
            f"{name:<12}{label:<10}{path:<36}{result.rps:>8.1f}{result.p50_ms:>9.1f}"
            f"{result.p95_ms:>9.1f}{result.errors:>8}"
        )
    print()
    checks = []
    for name in ENDPOINTS:
        api, baseline = results[(name, "API")], results[(name, "baseline")]
        ratio = api.rps / baseline.rps if baseline.rps else 0.0
        checks.append(
            (
                ratio >= MIN_RATIO and api.errors == 0 and baseline.errors == 0,
                f"{name}: API {api.rps:.1f} req/s = {ratio:.0%} of the baseline's "
                f"{baseline.rps:.1f} req/s (>= {MIN_RATIO:.0%}), "
                f"{api.errors + baseline.errors} errors",
            )
        )
    medians = {name: statistics.median(times) for name, times in export_times.items()}
    print(
        f"Exports of all {MEETINGS:,} meetings, one request at a time, median of "
        f"{EXPORT_ROUNDS} (alternating): "
        + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in medians.items())
    )
    print()
    export_ratio = medians["xlsx"] / medians["csv"]
    checks.append(
        (
            export_ratio <= MAX_EXPORT_RATIO,
            f"xlsx export: {medians['xlsx']:.3f} s = {export_ratio:.2f}x the CSV export's "
            f"{medians['csv']:.3f} s (<= {MAX_EXPORT_RATIO:g}x)",
        )
    )
    for passed, description in checks:
        print(f"{'PASS' if passed else 'FAIL'} {description}")
    failed = not all(passed for passed, _ in checks)
    if options.profile or failed:
        profile(token)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
