"""`?format=csv` and `?format=xlsx` export every row a list's filters match: the JSON list of the
same filter, all its pages, in its order; CSV as the JSON's text, XLSX as typed cells (SPEC §6,
issue #13). Every list of the router is covered: a new one fails here until it has its case."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cbms.models import CBMRole, Obligation, RoleKind
from cbms.reports.services import report_start
from hoa_portal.api_urls import router
from members.models import Notification
from tests.api.conftest import token_client
from tests.api.exports import (
    FORMATS,
    body_of,
    csv_text,
    read_csv,
    read_workbook,
    read_xlsx,
    same_cells,
    xlsx_value,
)
from tests.cbms.factories import (
    ActivityFactory,
    CBMFactory,
    LeadRoleFactory,
    PlanVersionFactory,
    PriorityAreaFactory,
)
from tests.conferences.factories import ConferenceFactory, DeclarationFactory, RtgFactory
from tests.members.factories import CountryFactory, FocalPointFactory, ParticipationFactory
from tests.organizations.factories import OrganizationFactory

JSON_PAGE = 2  # the JSON list is read two rows a page, so every case spans several pages
REPORT_COLUMNS = ["id", "cbm", "conference", "country", "state"]
ACTIVITY_COLUMNS = ["activity", "status", "percent", "note"]


def json_rows(client, path: str, params: dict) -> list[dict]:
    """Every page of the JSON list, following `next`."""
    response = client.get(path, {**params, "page_size": JSON_PAGE})
    assert response.status_code == 200, response.content
    body = response.json()
    rows, pages = body["results"], 1
    while body["next"]:
        body = client.get(body["next"]).json()
        rows, pages = rows + body["results"], pages + 1
    assert len(rows) == response.json()["count"]
    assert pages > 1 or len(rows) <= JSON_PAGE
    return rows


def export(client, path: str, params: dict, export_format: str):
    # `page_size` is sent too: an export ignores it and holds every row.
    return client.get(path, {**params, "page_size": JSON_PAGE, "format": export_format})


def read(response, export_format: str):
    return read_csv(response) if export_format == "csv" else read_xlsx(response)


def expected_cells(rows: list[dict], export_format: str) -> list[dict]:
    convert = csv_text if export_format == "csv" else xlsx_value
    return [{key: convert(value) for key, value in row.items()} for row in rows]


def activity_rows(report: dict) -> list[dict]:
    """A report of the JSON list as its export gives it: a row per activity update."""
    head = {column: report[column] for column in REPORT_COLUMNS}
    updates = report["activities"] or [dict.fromkeys(ACTIVITY_COLUMNS)]
    return [{**head, **{column: u[column] for column in ACTIVITY_COLUMNS}} for u in updates]


# --- One case per list of the router --------------------------------------------------------


@dataclass(frozen=True)
class Case:
    params: dict  # a filter that keeps some rows, and leaves others out
    make: Callable
    nothing: dict  # a filter no row matches
    role: str = "secretariat"
    spread: Callable[[dict], list[dict]] = field(default=lambda row: [row])


def _countries(world):
    for i, name in enumerate(["Türkiye", "Côte d'Ivoire", "افغانستان", "Kazakhstan"]):
        ParticipationFactory(
            country=CountryFactory(name=name), kind="participating", since=dt.date(2012, 1, i + 1)
        )


def _organizations(world):
    OrganizationFactory.create_batch(4, kind="mechanism")


def _conferences(world):
    for number in range(2, 6):
        DeclarationFactory(conference=ConferenceFactory(number=number, host=world.germany))


def _cbms(world):
    for _ in range(2):
        LeadRoleFactory(cbm=CBMFactory(), country=world.france, since=dt.date(2013, 1, 1))
    LeadRoleFactory(cbm=CBMFactory(), country=world.germany, since=dt.date(2013, 1, 1))
    CBMRole.objects.create(
        cbm=world.cbm,
        organization=OrganizationFactory(acronym="UNAMA"),
        role=RoleKind.SUPPORTING,
        since=dt.date(2014, 1, 1),
    )


def _roles(world):
    for _ in range(3):
        CBMRole.objects.create(
            cbm=world.cbm,
            organization=OrganizationFactory(),
            role=RoleKind.SUPPORTING,
            since=dt.date(2014, 1, 1),
            until=dt.date(2020, 1, 1),
        )


def _meetings(world):
    for day in range(1, 6):
        RtgFactory(cbm=world.cbm, date=dt.date(2016, 1, day), host=world.france, city="Hérat")


def _obligations(world):
    for _ in range(3):
        cbm = CBMFactory()
        Obligation.objects.create(
            cbm=cbm,
            conference=world.held_conference,
            kind="review",
            window_start=dt.date(2011, 11, 2),
            deadline=dt.date(2012, 7, 2),
            estimated=True,
            status="met",
            met_by=RtgFactory(cbm=cbm, date=dt.date(2012, 3, 1)),
            evaluated_on=dt.date(2026, 1, 1),
        )


def _users(world):
    for _ in range(3):
        FocalPointFactory(country=world.germany)


def _reports(world):
    """Three reports of France (one with two activity updates, two with none), one of Germany."""
    area = PriorityAreaFactory(plan=PlanVersionFactory(cbm=world.cbm))
    first, second = ActivityFactory(priority_area=area), ActivityFactory(priority_area=area)
    report_start(
        cbm=world.cbm,
        conference=world.held_conference,
        actor=world.users["fp_lead"],
        narrative="Deux ateliers",
        activities=[
            {"activity": first.pk, "status": "in_progress", "percent": 40, "note": "هرات, Hérat"},
            {"activity": second.pk, "status": "not_started", "percent": 0, "note": ""},
        ],
    )
    for lead in ("fp_lead", "fp_lead", "fp_other"):
        actor = world.users[lead]
        cbm = CBMFactory()
        LeadRoleFactory(cbm=cbm, country=actor.country, since=dt.date(2011, 1, 1))
        report_start(cbm=cbm, conference=world.held_conference, actor=actor)


def _notifications(world):
    staff = world.users["secretariat"]
    for i in range(4):
        notice = Notification.objects.create(
            recipient=staff,
            channel="portal",
            event_key=f"export-{i}",
            subject=f"Rappel {i}: RTG à Kaboul",
            body="یادآوری",
            link=f"/cbms/{i}/",
            read_at=timezone.now() if i == 3 else None,
        )
        # Whole seconds: Excel keeps milliseconds, and the comparison allows for one.
        created = dt.datetime(2026, 1, 5, 10, i, 7, tzinfo=dt.UTC)
        Notification.objects.filter(pk=notice.pk).update(created_at=created)
    Notification.objects.create(
        recipient=world.users["analyst"], channel="portal", event_key="x", subject="Theirs"
    )


CASES = {
    "countries": Case({"participation": "participating"}, _countries, {"name": "Nowhere"}),
    "organizations": Case({"kind": "mechanism"}, _organizations, {"name": "Nothing"}),
    "conferences": Case(
        {"host": "DEU", "ordering": "-date"}, _conferences, {"city": "Nowhere"}, role="analyst"
    ),
    "cbms": Case({"leads": "FRA"}, _cbms, {"name": "Nothing"}, role="anonymous"),
    "cbm-roles": Case({"cbm": "CT", "role": "supporting"}, _roles, {"cbm": "ZZ"}),
    "meetings": Case(
        {"kind": "rtg", "date_after": "2015-06-01", "ordering": "date"},
        _meetings,
        {"city": "Nowhere"},
        role="fp_lead",
    ),
    "obligations": Case(
        {"kind": "review", "estimated": "true"},
        _obligations,
        {"status": "late"},
        role="analyst",
    ),
    "users": Case({"country": "DEU", "role": "focal_point"}, _users, {"username": "nobody"}),
    "reports": Case({"country": "FRA"}, _reports, {"state": "accepted"}, spread=activity_rows),
    "notifications": Case({"unread": "true"}, _notifications, {"subject": "Nothing"}),
}
LISTS = [prefix for prefix, _viewset, _basename in router.registry]


def test_every_list_of_the_router_has_an_export_case():
    assert sorted(CASES) == sorted(LISTS)


def _setup(world, prefix):
    case = CASES[prefix]
    case.make(world)
    client = token_client(world.users[case.role])
    return case, client, f"/api/v1/{prefix}/"


@pytest.mark.parametrize("export_format", FORMATS)
@pytest.mark.parametrize("prefix", LISTS)
def test_the_export_is_the_json_list_of_the_same_filter(world, prefix, export_format):
    case, client, path = _setup(world, prefix)
    rows = [spread for item in json_rows(client, path, case.params) for spread in case.spread(item)]
    everything = client.get(path, {"page_size": 500}).json()["count"]

    sheet = read(export(client, path, case.params, export_format), export_format)

    assert len(rows) >= 3, "the filter should match rows on more than one page"
    assert everything > len(json_rows(client, path, case.params)), "the filter should leave out"
    assert sheet.header == list(rows[0])
    expected = expected_cells(rows, export_format)
    assert len(sheet.rows) == len(expected)
    for got, want in zip(sheet.rows, expected, strict=True):
        assert same_cells(got, want), (got, want)
    assert "password" not in sheet.header


@pytest.mark.parametrize("export_format", FORMATS)
@pytest.mark.parametrize("prefix", LISTS)
def test_an_export_matching_nothing_is_its_header_row(world, prefix, export_format):
    case, client, path = _setup(world, prefix)
    full = read(export(client, path, {}, export_format), export_format)

    empty = read(export(client, path, case.nothing, export_format), export_format)

    assert client.get(path, case.nothing).json()["count"] == 0
    assert full.rows and empty.rows == []
    assert empty.header == full.header


def test_the_export_holds_every_row_not_one_page(world):
    OrganizationFactory.create_batch(61, kind="mechanism")
    client = token_client(world.users["analyst"])

    first_page = client.get("/api/v1/organizations/", {"kind": "mechanism"}).json()
    csv_rows = read_csv(export(client, "/api/v1/organizations/", {"kind": "mechanism"}, "csv"))
    xlsx_rows = read_xlsx(export(client, "/api/v1/organizations/", {"kind": "mechanism"}, "xlsx"))

    assert len(first_page["results"]) == 50 < first_page["count"] == 61
    assert len(csv_rows.rows) == len(xlsx_rows.rows) == 61


def test_xlsx_cells_are_typed_dates_numbers_booleans_and_text(world):
    _obligations(world)
    client = token_client(world.users["analyst"])

    sheet = read_xlsx(export(client, "/api/v1/obligations/", {"estimated": "true"}, "xlsx"))

    row = dict(zip(sheet.header, sheet.cells[0], strict=True))
    assert row["window_start"].is_date and row["window_start"].number_format == "yyyy-mm-dd"
    assert sheet.rows[0]["window_start"] == dt.date(2011, 11, 2)
    assert row["conference"].data_type == "n" and sheet.rows[0]["conference"] == 1
    assert row["estimated"].data_type == "b" and sheet.rows[0]["estimated"] is True
    assert row["status"].data_type == "s" and sheet.rows[0]["status"] == "met"


def test_timestamps_are_utc_in_xlsx_and_the_json_text_in_csv(world):
    _notifications(world)
    client = token_client(world.users["secretariat"])
    rows = json_rows(client, "/api/v1/notifications/", {})

    text = read_csv(export(client, "/api/v1/notifications/", {}, "csv"))
    typed = read_xlsx(export(client, "/api/v1/notifications/", {}, "xlsx"))

    assert [row["created_at"] for row in text.rows] == [row["created_at"] for row in rows]
    assert typed.rows[0]["created_at"] == dt.datetime(2026, 1, 5, 10, 3, 7)


@pytest.mark.parametrize("export_format", FORMATS)
def test_reports_export_one_row_per_activity_update(world, export_format):
    _reports(world)
    client = token_client(world.users["secretariat"])

    response = export(client, "/api/v1/reports/", {"country": "FRA"}, export_format)
    sheet = read(response, export_format)

    assert sheet.header == REPORT_COLUMNS + ACTIVITY_COLUMNS
    by_report = {}
    for row in sheet.rows:
        by_report.setdefault(row["id"], []).append(row)
    assert sorted(len(updates) for updates in by_report.values()) == [1, 1, 2]
    updated = next(rows for rows in by_report.values() if len(rows) == 2)
    percent = "40" if export_format == "csv" else 40
    assert {(row["status"], row["percent"]) for row in updated} >= {("in_progress", percent)}
    assert any(row["note"] == "هرات, Hérat" for row in updated)


# --- Errors, one record, compliance ---------------------------------------------------------

ERRORS = [
    pytest.param("analyst", "/api/v1/meetings/", {"cbm": "NOPE"}, 400, "cbm", id="bad-filter"),
    pytest.param(
        "analyst", "/api/v1/obligations/", {"estimated": "yes"}, 400, "estimated", id="bad-flag"
    ),
    pytest.param("anonymous", "/api/v1/obligations/", {}, 401, "detail", id="no-credentials"),
    pytest.param("analyst", "/api/v1/users/", {}, 403, "detail", id="role-may-not"),
    pytest.param("analyst", "/api/v1/meetings/999999/", {}, 404, "detail", id="no-such-record"),
    pytest.param("analyst", "/api/v1/cbms/NOPE/compliance/", {}, 404, "detail", id="no-such-cbm"),
    pytest.param(
        "analyst", "/api/v1/cbms/CT/compliance/", {"on": "someday"}, 400, "on", id="bad-day"
    ),
]


@pytest.mark.parametrize("export_format", FORMATS)
@pytest.mark.parametrize(("role", "path", "params", "status", "key"), ERRORS)
def test_errors_are_json_whatever_format_was_asked(
    world, role, path, params, status, key, export_format
):
    client = token_client(world.users[role])

    response = client.get(path, {**params, "format": export_format})

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert "Content-Disposition" not in response
    assert key in response.json()


@pytest.mark.parametrize("export_format", FORMATS)
def test_an_error_a_view_answers_itself_is_json_too(world, export_format):
    # The token view answers bad credentials with a Response of its own, not an exception.
    response = token_client(None).post(
        f"/api/v1/auth/token/?format={export_format}",
        {"username": "analyst", "password": "wrong"},
        format="json",
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()


@pytest.mark.parametrize("export_format", FORMATS)
def test_one_record_is_a_table_of_one_row(world, export_format):
    client = token_client(world.users["analyst"])
    json = client.get(f"/api/v1/meetings/{world.rtg.pk}/").json()

    sheet = read(
        client.get(f"/api/v1/meetings/{world.rtg.pk}/", {"format": export_format}), export_format
    )

    assert sheet.header == list(json)
    assert sheet.rows == expected_cells([json], export_format)


def _compliance_world(world):
    """CT, led by France since 2012, under the Beijing rule, with RTGs at both deadlines."""
    from tests.conferences.factories import RtgRuleFactory

    beijing = ConferenceFactory(number=4, date=dt.date(2014, 10, 31), year=2014)
    RtgRuleFactory(declaration=DeclarationFactory(conference=beijing))
    ConferenceFactory(number=5, date=dt.date(2015, 12, 9), year=2015)
    RtgFactory(cbm=world.cbm, date=dt.date(2014, 12, 31))
    RtgFactory(cbm=world.cbm, date=dt.date(2015, 8, 9))


def test_compliance_exports_one_row_per_obligation(world):
    _compliance_world(world)
    client = token_client(world.users["analyst"])
    path, day = "/api/v1/cbms/CT/compliance/", {"on": "2016-01-01"}
    answer = client.get(path, day).json()

    text = read_csv(client.get(path, {**day, "format": "csv"}))
    workbook = read_workbook(client.get(path, {**day, "format": "xlsx"}))

    obligations = answer["obligations"]
    assert len(obligations) >= 2 and {"met"} <= {row["status"] for row in obligations}
    assert text.header == list(obligations[0])
    assert text.rows == expected_cells(obligations, "csv")
    assert list(workbook) == ["obligations", "annual"]
    assert workbook["obligations"].rows == expected_cells(obligations, "xlsx")
    assert workbook["annual"].header == ["year", "held", "required"]
    assert workbook["annual"].rows == expected_cells(answer["annual"], "xlsx")
    assert not any("=" in key for row in text.rows for key in row.values())


def test_an_export_names_its_file(world):
    client = token_client(world.users["analyst"])

    csv_file = client.get("/api/v1/meetings/", {"format": "csv"})
    xlsx_file = client.get("/api/v1/cbms/CT/compliance/", {"format": "xlsx", "on": "2016-01-01"})

    assert csv_file["Content-Disposition"] == 'attachment; filename="meeting.csv"'
    assert xlsx_file["Content-Disposition"] == (
        'attachment; filename="compliance-CT-2016-01-01.xlsx"'
    )
    assert int(xlsx_file["Content-Length"]) == len(body_of(xlsx_file))


# --- Queries --------------------------------------------------------------------------------

GROWERS = {
    "meetings": lambda world, n: [RtgFactory(cbm=world.cbm) for _ in range(n)],
    "cbms": lambda world, n: [
        LeadRoleFactory(cbm=CBMFactory(), country=world.france) for _ in range(n)
    ],
    "reports": lambda world, n: [_report_for_new_cbm(world) for _ in range(n)],
}


def _report_for_new_cbm(world):
    cbm = CBMFactory()
    LeadRoleFactory(cbm=cbm, country=world.france, since=dt.date(2011, 1, 1))
    area = PriorityAreaFactory(plan=PlanVersionFactory(cbm=cbm))
    updates = [
        {"activity": ActivityFactory(priority_area=area).pk, "status": "completed", "percent": 100}
        for _ in range(2)
    ]
    report_start(
        cbm=cbm, conference=world.held_conference, actor=world.users["fp_lead"], activities=updates
    )


def _export_queries(client, prefix: str, export_format: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1/{prefix}/", {"format": export_format})
        rows = len(read(response, export_format).rows)
    return rows, len(captured)


@pytest.mark.parametrize("export_format", FORMATS)
@pytest.mark.parametrize("prefix", sorted(GROWERS))
def test_an_exports_queries_do_not_grow_with_its_rows(world, prefix, export_format):
    client = token_client(world.users["secretariat"])
    GROWERS[prefix](world, 3)
    few_rows, few = _export_queries(client, prefix, export_format)

    GROWERS[prefix](world, 40)
    many_rows, many = _export_queries(client, prefix, export_format)

    assert many_rows >= few_rows + 40
    assert many == few
