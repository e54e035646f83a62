"""Every page type of the portal at the bench scale, under gunicorn: how fast, and in how many
queries.

The history is the compliance benchmark's (benchmarks/compliance.py): 40 held conferences, 500
CBMs, 6 RTGs per CBM per cycle (120,000 meetings), with bulk inserts. Around it this benchmark
builds what the other pages show: 15 participating and 16 supporting countries with their
participation, organizations and their members, a supporting country for every CBM (and an
organization for every fifth), a Senior Officials' and an Ambassadorial Meeting a year, plan
versions with priority areas and activities for every tenth CBM, progress reports in every state
(through the workflow's services), users of every role, spreadsheet imports, and the obligations
the real sweep stores. One participating country leads every fiftieth CBM (10 of the 500, as many
as a page of the dashboard): the "my country" of its focal point. The host country of the
conferences leads the others. The conferences are dated a year apart from 2011, so most cycles
lie after today: "my country" lists hundreds of open (scheduled) obligations.

Two checks per page, each as the role that sees most (the secretariat where it may, a focal
point for "my country"; the home page and the meeting list also as the public sees them):

* queries: counted in-process (Django's test client on the same database, DEBUG on) on a small
  history (50 CBMs x 10 conferences) and on the bench one; FAIL if a page's count grows;
* speed: gunicorn serves the bench history (WORKERS sync workers, DEBUG off, 127.0.0.1,
  benchmarks/settings.py), and wrk (or the Python generator of benchmarks/serving.py) drives each
  page for DURATION seconds over as many connections as there are workers, so the latency is
  the page's and not a queue's; PASS if p95 <= MAX_P95_MS. The pages take turns in ROUNDS
  slices, and a page's percentiles are its slices' medians, so that load from elsewhere on the
  machine for a second or two fails no page.

Signed-in pages carry a session cookie, made in this process with the server's SECRET_KEY for a
session that has given its second factor (a recovery-code device), as after a real sign-in.
Before timing, every page must answer 200 with what it is about (no redirect to sign in).

Run it with `make bench-pages` (PostgreSQL database hoa_portal_benchpages, created and migrated if
missing) or `DATABASE_URL=... python -m benchmarks.pages [--profile] [--only TEXT]
[--keep-data]`. It wipes every table of the portal, so it refuses a database whose name does not
contain "bench". `--profile` (automatic for a page that fails) profiles in-process requests with
pyinstrument; `--only` times the pages whose label holds the text; `--keep-data` times the bench
history a previous run left, without building again (its query counts are then the bench's
alone). Exits 1 on any FAIL.
"""

import argparse
import logging
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings

import benchmarks

PAGES_DATABASE_NAME = "hoa_portal_benchpages"
PAGES_DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{PAGES_DATABASE_NAME}"
if os.environ.get("DATABASE_URL") == benchmarks.BENCH_DATABASE_URL:
    # The package defaults to the compliance benchmark's database; this one has its own. No
    # connection is open yet, so renaming the database here is enough.
    settings.DATABASES["default"]["NAME"] = PAGES_DATABASE_NAME
    os.environ["DATABASE_URL"] = PAGES_DATABASE_URL

from django.contrib.auth.models import Permission  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_static.models import StaticDevice  # noqa: E402

from benchmarks.compliance import FULL, SMALL, Scale, database_prepare, history_build  # noqa: E402
from benchmarks.serving import (  # noqa: E402
    WRK_REPORT,
    Result,
    fetch,
    free_port,
    gunicorn,
    python_run,
    server_environment,
    wrk_run,
)
from cbms.compliance import services as compliance_services  # noqa: E402
from cbms.compliance.views import ComplianceDashboard  # noqa: E402
from cbms.models import (  # noqa: E402
    CBM,
    Activity,
    ActivityStatus,
    CBMRole,
    ImplementationPlanVersion,
    ImportKind,
    ImportSource,
    ImportStatus,
    PlanStatus,
    PriorityArea,
    ProgressReport,
    RoleKind,
    SpreadsheetImport,
)
from cbms.reports import services as report_services  # noqa: E402
from conferences.models import (  # noqa: E402
    Meeting,
    MeetingKind,
    MeetingStatus,
    MinisterialConference,
)
from members.models import Country, Participation, ParticipationKind, Role, User  # noqa: E402
from members.permissions import needs_second_factor  # noqa: E402
from organizations.models import (  # noqa: E402
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
)

MAX_P95_MS = 200.0
WORKERS = 2
CONNECTIONS = WORKERS  # one request per worker at a time: no queue in the latency
DURATION = 6  # seconds per page
ROUNDS = 3  # the pages take turns in this many slices of DURATION / ROUNDS; p95 is their median
WARMUP = 1  # seconds per page, not counted
PROFILE_REQUESTS = 20
# The focal point's country leads every LEAD_EVERY-th CBM (10 of 500); every PLAN_EVERY-th CBM
# has a plan (a superseded version and the one in force, the focal country's a draft besides).
LEAD_EVERY = 50
PLAN_EVERY = 10
ORGANIZATION_EVERY = 5
AREAS, ACTIVITIES = 5, 6  # per plan version
PARTICIPATING, SUPPORTING, ORGANIZATIONS, MEMBERS = 15, 16, 12, 6
DASHBOARD_LATER_PAGE = 5  # the last of the small history's 50 CBMs
REPORTED_CYCLES = 2  # the focal country reports on each of its CBMs for the first two cycles
FOCAL_COUNTRY = "PAA"
USER_PASSWORD = "bench-pages-password"  # never used to sign in: sessions are made directly
SESSION_COOKIE = settings.SESSION_COOKIE_NAME
ANONYMOUS, SECRETARIAT, FOCAL_POINT = "anonymous", "secretariat", "focal point"
# Tables never emptied: what migrate itself fills in.
KEPT_MODELS = (ContentType, Permission)


# --- Data ---------------------------------------------------------------------------------------


def portal_clear() -> None:
    """Empty every table of the portal, histories included, before a build."""
    kept = {model._meta.db_table for model in KEPT_MODELS}
    tables = connection.introspection.django_table_names(only_existing=True)
    tables = [table for table in tables if table not in kept]
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=True, allow_cascade=True
    )
    connection.ops.execute_sql_flush(statements)


def portal_build(scale: Scale) -> None:
    """The compliance benchmark's history, then what the other pages show (see the docstring)."""
    portal_clear()
    history_build(scale)
    today = timezone.localdate()
    conferences = list(MinisterialConference.objects.order_by("number"))
    first = conferences[0]
    cbms = list(CBM.objects.order_by("code"))

    participating = Country.objects.bulk_create(
        Country(code=f"PA{chr(65 + i)}", name=f"Participant {chr(65 + i)}")
        for i in range(PARTICIPATING)
    )
    supporting = Country.objects.bulk_create(
        Country(code=f"SU{chr(65 + i)}", name=f"Supporter {chr(65 + i)}") for i in range(SUPPORTING)
    )
    host = Country.objects.get(code="BNH")
    Participation.objects.bulk_create(
        Participation(
            country=country,
            kind=kind,
            since=date(2011, 11, 2),
            source="Istanbul Process, benchmark",
        )
        for countries, kind in (
            ([host, *participating], ParticipationKind.PARTICIPATING),
            (supporting, ParticipationKind.SUPPORTING),
        )
        for country in countries
    )
    organizations = Organization.objects.bulk_create(
        Organization(
            acronym=f"ORG{i:02d}",
            name=f"Benchmark Organization {i}",
            kind=list(OrganizationKind)[i % len(OrganizationKind)],
            supports_process=i % 2 == 0,
        )
        for i in range(ORGANIZATIONS)
    )
    Membership.objects.bulk_create(
        Membership(
            organization=organization,
            country=participating[(i + j) % PARTICIPATING],
            status=MembershipStatus.MEMBER if j else MembershipStatus.OBSERVER,
            since=date(2001, 6, 15),
        )
        for i, organization in enumerate(organizations)
        for j in range(MEMBERS)
    )

    focal_country = participating[0]
    led = [cbm for i, cbm in enumerate(cbms) if i % LEAD_EVERY == 0]
    CBMRole.objects.filter(cbm__in=led, role=RoleKind.LEAD).update(country=focal_country)
    CBMRole.objects.bulk_create(
        [
            CBMRole(
                cbm=cbm,
                country=supporting[i % SUPPORTING],
                role=RoleKind.SUPPORTING,
                since=first.date,
            )
            for i, cbm in enumerate(cbms)
        ]
        + [
            CBMRole(
                cbm=cbm,
                organization=organizations[i % ORGANIZATIONS],
                role=RoleKind.SUPPORTING,
                since=first.date,
            )
            for i, cbm in enumerate(cbms)
            if i % ORGANIZATION_EVERY == 0
        ]
    )
    Meeting.objects.bulk_create(
        Meeting(
            kind=kind,
            date=conference.date + timedelta(days=offset),
            status=MeetingStatus.HELD,
            city=f"City {conference.number}",
            host=participating[(conference.number + offset) % PARTICIPATING],
            notes="Benchmark meeting.",
        )
        for conference in conferences
        for kind, offset in ((MeetingKind.SOM, 120), (MeetingKind.AM, 200))
    )

    users = people_build(scale, focal_country, participating)
    CBM.objects.update(desk_officer=users[SECRETARIAT], desk="Regional cooperation desk")
    plans_build([cbm for i, cbm in enumerate(cbms) if i % PLAN_EVERY == 0], led, first.date)
    reports_build(led, conferences[:REPORTED_CYCLES], users)
    SpreadsheetImport.objects.bulk_create(
        SpreadsheetImport(
            kind=list(ImportKind)[i % len(ImportKind)],
            source=ImportSource.FILE,
            file_name=f"records-{i}.xlsx",
            file_format="xlsx",
            content=b"",
            created_by=users[SECRETARIAT],
            imported_at=timezone.now(),
            status=ImportStatus.IMPORTED,
            rows=100 + i,
            created=100 + i,
        )
        for i in range(scale.cbms // 10)
    )
    compliance_services.obligations_recompute(on=today)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def people_build(scale: Scale, focal_country: Country, countries: list[Country]) -> dict:
    """The three people the pages are seen as, and scale.cbms / 5 more accounts to list."""
    users = {
        SECRETARIAT: User.objects.create_user(
            "bench-secretariat", password=USER_PASSWORD, role=Role.SECRETARIAT
        ),
        FOCAL_POINT: User.objects.create_user(
            "bench-focal", password=USER_PASSWORD, role=Role.FOCAL_POINT, country=focal_country
        ),
        "analyst": User.objects.create_user(
            "bench-analyst", password=USER_PASSWORD, role=Role.ANALYST
        ),
    }
    User.objects.bulk_create(
        User(
            username=f"bench-user-{i:03d}",
            first_name=f"Person {i}",
            last_name="Benchmark",
            email=f"person-{i}@example.org",
            role=Role.FOCAL_POINT if i % 2 else Role.ANALYST,
            country=countries[i % len(countries)] if i % 2 else None,
            password="!",  # unusable: these accounts never sign in
        )
        for i in range(scale.cbms // 5)
    )
    return users


def plans_build(cbms: list[CBM], drafted: list[CBM], adopted_on: date) -> None:
    """Each CBM: version 1 superseded and version 2 in force, and for those in `drafted` a
    draft version 3, each with AREAS priority areas of ACTIVITIES activities.

    Written as drafts and then published: the database refuses new content in a published
    version (migration cbms 0006), not a change of status."""
    drafted_ids = {cbm.pk for cbm in drafted}
    versions = ImplementationPlanVersion.objects.bulk_create(
        ImplementationPlanVersion(
            cbm=cbm, version=number, title=f"{cbm.code} Implementation Plan v{number}"
        )
        for cbm in cbms
        for number in ((1, 2, 3) if cbm.pk in drafted_ids else (1, 2))
    )
    areas = PriorityArea.objects.bulk_create(
        PriorityArea(plan=plan, number=n, title=f"Priority area {n}")
        for plan in versions
        for n in range(1, AREAS + 1)
    )
    Activity.objects.bulk_create(
        Activity(
            priority_area=area,
            number=n,
            title=f"Activity {area.number}.{n}",
            description="Workshops, exchanges of experts and a joint exercise.",
        )
        for area in areas
        for n in range(1, ACTIVITIES + 1)
    )
    by_version = {number: [p.pk for p in versions if p.version == number] for number in (1, 2)}
    ImplementationPlanVersion.objects.filter(pk__in=by_version[1]).update(
        status=PlanStatus.SUPERSEDED, adopted_on=adopted_on
    )
    ImplementationPlanVersion.objects.filter(pk__in=by_version[2]).update(
        status=PlanStatus.IN_FORCE, adopted_on=adopted_on + timedelta(days=365)
    )


def reports_build(cbms: list[CBM], conferences: list[MinisterialConference], users) -> None:
    """A report per CBM and cycle, through the workflow, left in turn as a draft, submitted,
    accepted or returned."""
    focal, secretariat = users[FOCAL_POINT], users[SECRETARIAT]
    activities = {}
    for activity_id, cbm_id in Activity.objects.filter(
        priority_area__plan__status=PlanStatus.IN_FORCE
    ).values_list("id", "priority_area__plan__cbm_id"):
        activities.setdefault(cbm_id, []).append(activity_id)
    index = 0
    for cbm in cbms:
        for conference in conferences:
            updates = [
                {"activity": activity_id, "status": ActivityStatus.IN_PROGRESS, "percent": 40}
                for activity_id in activities.get(cbm.pk, [])
            ]
            report = report_services.report_start(
                cbm=cbm,
                conference=conference,
                actor=focal,
                narrative="Two RTGs held; the joint exercise is planned.",
                activities=updates,
            )
            step = index % 4
            index += 1
            if step == 0:
                continue  # a draft
            report = report_services.report_submit(report=report, actor=focal)
            if step == 2:
                report_services.report_accept(report=report, actor=secretariat)
            elif step == 3:
                report_services.report_return(
                    report=report, actor=secretariat, comment="Please add the RTG minutes."
                )


# --- What the pages are seen as -----------------------------------------------------------------


def session_cookie(user: User) -> str:
    """A signed-in session of `user`, past the second factor for those who need one."""
    client = Client()
    client.force_login(user)
    if needs_second_factor(user):
        device, _ = StaticDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client.cookies[SESSION_COOKIE].value


def sessions_make() -> dict[str, str | None]:
    """The session cookie of each role the pages are seen as (none for the public)."""
    return {
        ANONYMOUS: None,
        SECRETARIAT: session_cookie(User.objects.get(username="bench-secretariat")),
        FOCAL_POINT: session_cookie(User.objects.get(username="bench-focal")),
    }


@dataclass(frozen=True)
class Page:
    label: str
    role: str
    path: str
    expect: str  # text the answer must hold: the page shows what it is about

    def headers(self, sessions: dict[str, str | None]) -> dict[str, str]:
        cookie = sessions[self.role]
        return {"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else {}


def pages_list() -> list[Page]:
    """Every page type, with the records the built history gives them."""
    cbm = CBM.objects.order_by("code").first()
    # A later page of the dashboard, one the small history has too: its first CBM.
    later = ComplianceDashboard.cbms_per_page * (DASHBOARD_LATER_PAGE - 1)
    dashboard_later = CBM.objects.order_by("code")[later]
    plan = ImplementationPlanVersion.objects.get(cbm=cbm, status=PlanStatus.IN_FORCE)
    conference = MinisterialConference.objects.order_by("number").first()
    meeting = Meeting.objects.filter(cbm=cbm, status=MeetingStatus.HELD).order_by("date").first()
    host = Country.objects.get(code="BNH")
    focal = Country.objects.get(code=FOCAL_COUNTRY)
    meetings = reverse("conferences:meeting_list")
    dashboard = reverse("dashboard")
    return [
        Page("home", ANONYMOUS, reverse("home"), "Confidence Building Measures"),
        Page("home", SECRETARIAT, reverse("home"), "Compliance dashboard"),
        Page("CBM list", SECRETARIAT, reverse("cbms:cbm_list"), cbm.code),
        Page("CBM detail", SECRETARIAT, reverse("cbms:cbm_detail", args=[cbm.pk]), plan.title),
        Page("dashboard, page 1", SECRETARIAT, dashboard, cbm.code),
        Page(
            f"dashboard, page {DASHBOARD_LATER_PAGE}",
            SECRETARIAT,
            f"{dashboard}?page={DASHBOARD_LATER_PAGE}",
            dashboard_later.code,
        ),
        Page("my country", FOCAL_POINT, reverse("my_country"), focal.name),
        Page("conference list", SECRETARIAT, reverse("conferences:conference_list"), "City 1"),
        Page(
            "conference detail",
            SECRETARIAT,
            reverse("conferences:conference_detail", args=[conference.pk]),
            cbm.code,
        ),
        Page("meeting list", ANONYMOUS, meetings, "City"),
        Page("meeting list", SECRETARIAT, meetings, "City"),
        Page(
            "meeting list, filtered",
            SECRETARIAT,
            f"{meetings}?kind=rtg&cbm={cbm.pk}&status=held",
            cbm.code,
        ),
        Page("meeting list, page 50", ANONYMOUS, f"{meetings}?page=50", "City"),
        Page(
            "meeting detail",
            SECRETARIAT,
            reverse("conferences:meeting_detail", args=[meeting.pk]),
            cbm.code,
        ),
        Page("country list", SECRETARIAT, reverse("members:country_list"), focal.name),
        Page(
            "country detail",
            SECRETARIAT,
            reverse("members:country_detail", args=[host.pk]),
            host.name,
        ),
        Page(
            "organization list",
            SECRETARIAT,
            reverse("organizations:organization_list"),
            "ORG00",
        ),
        Page(
            "plan detail",
            SECRETARIAT,
            reverse("cbms:plan_detail", args=[plan.pk]),
            "Activity 1.1",
        ),
        Page("report list", SECRETARIAT, reverse("cbms:report_list"), cbm.code),
        Page("records index", SECRETARIAT, reverse("records"), "Meetings"),
        Page("users list", SECRETARIAT, reverse("members:user_list"), "bench-analyst"),
        Page("imports list", SECRETARIAT, reverse("imports:list"), "records-"),
    ]


# --- Queries, in-process ------------------------------------------------------------------------


def in_process_client(page: Page, sessions) -> Client:
    client = Client()
    if sessions[page.role]:
        client.cookies[SESSION_COOKIE] = sessions[page.role]
    return client


def queries_count(pages: list[Page], sessions) -> dict[tuple[str, str], int]:
    """The queries of one request of each page, after one to warm caches up."""
    counts = {}
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        for page in pages:
            client = in_process_client(page, sessions)
            page_check(page, *_in_process_get(client, page.path))
            with CaptureQueriesContext(connection) as queries:
                page_check(page, *_in_process_get(client, page.path))
            counts[(page.label, page.role)] = len(queries.captured_queries)
    return counts


def _in_process_get(client: Client, path: str) -> tuple[int, bytes]:
    response = client.get(path)
    return response.status_code, response.content


def page_check(page: Page, status: int, body: bytes) -> None:
    if status != 200 or page.expect.encode() not in body:
        sys.exit(
            f"{page.label} ({page.role}): {page.path} answered {status} without "
            f"{page.expect!r}: {body[:300]!r}"
        )


# --- Profile ------------------------------------------------------------------------------------


def profile(page: Page, sessions, requests: int = PROFILE_REQUESTS) -> None:
    """Where a page's time goes, in-process with DEBUG off (pyinstrument's call tree)."""
    from pyinstrument import Profiler

    client = in_process_client(page, sessions)
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        client.get(page.path)
        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(requests):
                client.get(page.path)
    print(f"\npyinstrument, {requests} in-process requests: {page.label} ({page.role})")
    print(profiler.output_text(unicode=True, color=False, show_all=False))


# --- Report -------------------------------------------------------------------------------------


def run_scale(scale: Scale) -> tuple[list[Page], dict[str, str | None], dict]:
    started = time.perf_counter()
    portal_build(scale)
    print(
        f"Built {scale}: {Meeting.objects.count():,} meetings, "
        f"{ProgressReport.objects.count()} reports, {User.objects.count()} users "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    pages = pages_list()
    sessions = sessions_make()
    return pages, sessions, queries_count(pages, sessions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=DURATION, help="seconds per page")
    parser.add_argument("--profile", action="store_true", help="profile every page")
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument("--only", default="", help="the pages whose label contains this")
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="time the bench history a previous run left, without building or counting again",
    )
    options = parser.parse_args()

    # The server signs and reads the sessions this process makes: one key for both.
    settings.SECRET_KEY = "bench-pages-" + secrets.token_hex(16)
    # The workflow's emails (reports submitted, obligations missed) stay in this process.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # django-axes logs every session made for the pages below.
    logging.getLogger("axes").setLevel(logging.WARNING)
    database_prepare()
    if options.keep_data:
        if CBM.objects.count() != FULL.cbms:
            sys.exit(f"--keep-data: the database does not hold {FULL}; run without it first")
        pages, sessions = pages_list(), sessions_make()
        small_counts = full_counts = queries_count(pages, sessions)
    else:
        _pages, _sessions, small_counts = run_scale(SMALL)
        pages, sessions, full_counts = run_scale(FULL)
    pages = [page for page in pages if options.only in page.label]

    use_wrk = shutil.which("wrk") is not None and not options.python_client
    generator = "wrk" if use_wrk else "Python threads"
    port = free_port()
    environment = server_environment(SECRET_KEY=settings.SECRET_KEY)
    with (
        tempfile.TemporaryDirectory() as scratch,
        gunicorn(port, workers=WORKERS, environment=environment),
    ):
        script = Path(scratch) / "report.lua"
        script.write_text(WRK_REPORT)

        def load(page: Page, seconds: int) -> Result:
            headers = page.headers(sessions)
            if use_wrk:
                return wrk_run(port, page.path, headers, seconds, script, connections=CONNECTIONS)
            return python_run(port, page.path, headers, seconds, connections=CONNECTIONS)

        status, body = fetch(port, "/bench/no-such-page/", {})
        if status != 404 or b"URLconf" in body:
            sys.exit(f"The server looks misconfigured (DEBUG on?): {status} {body[:200]!r}")
        for page in pages:
            page_check(page, *fetch(port, page.path, page.headers(sessions)))
        for page in pages:
            load(page, WARMUP)
        # Every page in each of ROUNDS slices, the pages taking turns: a burst of load from
        # elsewhere on the machine falls on one slice of a few pages, not on all of one page.
        slices: dict[tuple[str, str], list[Result]] = {}
        slice_seconds = max(1, options.duration // ROUNDS)
        for _ in range(ROUNDS):
            for page in pages:
                slices.setdefault((page.label, page.role), []).append(load(page, slice_seconds))
        results = {key: Result.combined(parts) for key, parts in slices.items()}

    print()
    print(
        f"{generator}, {CONNECTIONS} connections x {options.duration} s per page (in {ROUNDS} "
        f"slices, the pages taking turns), on gunicorn "
        f"({WORKERS} sync workers, DEBUG off, CONN_MAX_AGE=60) on PostgreSQL; {FULL}; queries "
        f"counted in-process at {SMALL.cbms} CBMs x {SMALL.conferences} conferences and at "
        f"{FULL.cbms} x {FULL.conferences}"
    )
    print(
        f"{'page':<26}{'role':<13}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}"
        f"{'queries':>14}"
    )
    checks, failed_pages = [], []
    for page in pages:
        key = (page.label, page.role)
        result = results[key]
        small, full = small_counts[key], full_counts[key]
        print(
            f"{page.label:<26}{page.role:<13}{result.rps:>8.1f}{result.p50_ms:>9.1f}"
            f"{result.p95_ms:>9.1f}{result.errors:>8}{f'{small} / {full}':>14}"
        )
        fast = result.p95_ms <= MAX_P95_MS and result.errors == 0
        checks.append(
            (
                fast,
                f"{page.label} ({page.role}): p95 {result.p95_ms:.1f} ms <= {MAX_P95_MS:.0f} ms, "
                f"{result.errors} errors",
            )
        )
        checks.append(
            (
                small == full,
                f"{page.label} ({page.role}): {small} queries at {SMALL.cbms} CBMs == {full} at "
                f"{FULL.cbms}",
            )
        )
        if not fast or options.profile:
            failed_pages.append(page)
    print()
    for passed, description in checks:
        print(f"{'PASS' if passed else 'FAIL'} {description}")
    for page in failed_pages:
        profile(page, sessions)
    return 0 if all(passed for passed, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
