"""The dashboard exports its matrix (issue #17): `?format=csv` or `?format=xlsx` on /dashboard/
gives a row per CBM and cycle for every CBM the page's filters match, not the page's ten, through
the portal's writers; in queries that do not grow with the CBMs.

The world (tests/web/conftest.py): MC3 Almaty 26 Apr 2013, MC4 Beijing 31 Oct 2014 (the rule in
force from that day), MC5 Islamabad 9 Dec 2015, MC6 planned without a date (so MC5's cycle ends
on an estimated 9 Dec 2016). France leads FRX, with an RTG on 1 Dec 2014; Germany leads DEX."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from cbms.compliance import views as compliance_views
from cbms.compliance.views import EXPORT_COLUMNS, ComplianceDashboard
from cbms.models import ObligationStatus, ReportState
from tests.api.exports import FORMATS, formulas_in, read_csv, read_xlsx
from tests.cbms.factories import CBMFactory, LeadRoleFactory, ReportFactory
from tests.conferences.factories import RtgFactory
from tests.web import conftest as web

# The small world of the portal's pages, and a client signed in as one of its roles.
world, client_for = web.world, web.client_for

HEADER = [column.name for column in EXPORT_COLUMNS]
PER_PAGE = ComplianceDashboard.cbms_per_page


@pytest.fixture(autouse=True)
def _english_afterwards():
    """A request in Dari leaves Dari active in this thread: later tests must get English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def export(client, export_format: str = "csv", **filters):
    return client.get(reverse("dashboard"), {**filters, "format": export_format})


def read(response, export_format: str):
    return read_csv(response) if export_format == "csv" else read_xlsx(response)


def rows_by_cycle(sheet, code: str) -> dict:
    return {str(row["conference"]): row for row in sheet.rows if row["cbm"] == code}


def more_led_cbms(world, count: int, *, prefix: str = "Z") -> list:
    """CBMs led by France that sort after the world's, each with an RTG and a report."""
    cbms = []
    for n in range(count):
        cbm = CBMFactory(code=f"{prefix}{n:02d}", name=f"Exported measure {n}")
        LeadRoleFactory(cbm=cbm, country=world.france, since=dt.date(2012, 1, 1))
        RtgFactory(cbm=cbm, date=dt.date(2015, 1, 10) + dt.timedelta(days=n))
        ReportFactory(cbm=cbm, conference=world.beijing, country=world.france)
        cbms.append(cbm)
    return cbms


# --- What the export holds ----------------------------------------------------------------------


def test_the_csv_has_a_row_per_cbm_and_cycle_as_the_rule_says(world, client_for):
    response = export(client_for("analyst"), on="2016-01-10")
    sheet = read_csv(response)

    assert sheet.header == HEADER
    assert [(row["cbm"], row["conference"]) for row in sheet.rows] == [
        ("DEX", "3"),
        ("DEX", "4"),
        ("DEX", "5"),
        ("FRX", "3"),
        ("FRX", "4"),
        ("FRX", "5"),
    ]
    beijing = rows_by_cycle(sheet, "FRX")["4"]
    assert beijing == {
        "cbm": "FRX",
        "cbm_name": "French Measure",
        "conference": "4",
        "cycle": "MC4 Beijing 2014",
        "cycle_start": "2014-10-31",
        "cycle_end": "2015-12-09",
        "leads": "FRA",
        "prioritisation_status": "met",
        "prioritisation_status_label": "met",
        "prioritisation_window_start": "2014-10-31",
        "prioritisation_deadline": "2014-12-31",
        "prioritisation_met_by": "2014-12-01",
        "review_status": "missed",
        "review_status_label": "missed",
        "review_window_start": "2014-10-31",
        "review_deadline": "2015-08-09",
        "review_met_by": "",
        "deadline_estimated": "false",
        "reports": "",
        "evaluated_on": "2016-01-10",
    }
    islamabad = rows_by_cycle(sheet, "FRX")["5"]
    assert islamabad["cycle_end"] == "2016-12-09" and islamabad["deadline_estimated"] == "true"
    assert islamabad["prioritisation_status"] == "at_risk"  # 10 Jan 2016: due by 9 Feb
    assert islamabad["review_deadline"] == "2016-08-09"
    assert rows_by_cycle(sheet, "FRX")["3"]["review_status_label"] == "not in force"
    assert response["Content-Disposition"] == 'attachment; filename="compliance-2016-01-10.csv"'


def test_the_xlsx_holds_the_same_rows_typed(world, client_for):
    client = client_for("analyst")
    text = read_csv(export(client, "csv"))
    response = export(client, "xlsx")
    typed = read_xlsx(response)

    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="compliance-{today}.xlsx"'
    assert typed.header == HEADER
    assert len(typed.rows) == len(text.rows) == 6
    beijing = rows_by_cycle(typed, "FRX")["4"]
    assert beijing["conference"] == 4
    assert beijing["prioritisation_met_by"] == dt.date(2014, 12, 1)
    assert beijing["review_deadline"] == dt.date(2015, 8, 9)
    assert beijing["review_met_by"] is None
    assert beijing["deadline_estimated"] is False
    assert rows_by_cycle(typed, "FRX")["5"]["deadline_estimated"] is True
    for text_row, typed_row in zip(text.rows, typed.rows, strict=True):
        assert text_row["prioritisation_status"] == typed_row["prioritisation_status"]
        assert text_row["review_deadline"] == typed_row["review_deadline"].isoformat()


def test_the_status_labels_are_in_the_page_language_and_the_codes_stay(world, client_for):
    client = client_for("analyst")
    client.post(reverse("set_language"), {"language": "fa", "next": "/"})
    with translation.override("fa"):
        met, missed = str(ObligationStatus.MET.label), str(ObligationStatus.MISSED.label)
    assert met != "met"  # the catalogue translates it, or this test checks nothing

    beijing = rows_by_cycle(read_csv(export(client)), "FRX")["4"]

    assert (beijing["prioritisation_status"], beijing["prioritisation_status_label"]) == (
        "met",
        met,
    )
    assert (beijing["review_status"], beijing["review_status_label"]) == ("missed", missed)
    assert read_csv(export(client)).header == HEADER  # the columns' names are stable


def test_the_leads_are_those_of_each_cycle(world, client_for):
    """Germany joins France as a lead of FRX from 2015; France leaves before MC5's cycle."""
    world.fr_role.until = dt.date(2015, 6, 30)
    world.fr_role.save()
    LeadRoleFactory(cbm=world.fr_cbm, country=world.germany, since=dt.date(2015, 3, 1))

    cycles = rows_by_cycle(read_csv(export(client_for("analyst"))), "FRX")

    assert cycles["3"]["leads"] == "FRA"
    assert cycles["4"]["leads"] == "DEU FRA"
    assert cycles["5"]["leads"] == "DEU"


def test_the_reports_column_holds_what_the_reader_may_read(world, client_for):
    ReportFactory(cbm=world.fr_cbm, conference=world.beijing, country=world.france)
    ReportFactory(
        cbm=world.fr_cbm,
        conference=world.islamabad,
        country=world.france,
        state=ReportState.ACCEPTED,
    )

    def reports(role: str) -> dict:
        cycles = rows_by_cycle(read_csv(export(client_for(role))), "FRX")
        return {number: row["reports"] for number, row in cycles.items()}

    assert reports("secretariat") == {"3": "", "4": "FRA:draft", "5": "FRA:accepted"}
    assert reports("focal_fr") == {"3": "", "4": "FRA:draft", "5": "FRA:accepted"}
    # A draft is never in the export of those who may not read it.
    assert reports("analyst") == {"3": "", "4": "", "5": "FRA:accepted"}
    assert reports("focal_de") == {"3": "", "4": "", "5": "FRA:accepted"}


# --- The page's filters, every CBM, who may ------------------------------------------------------


def test_the_export_links_keep_the_filters_and_leave_the_page(world, client_for):
    more_led_cbms(world, PER_PAGE)
    filters = {"country": world.france.pk, "on": "2016-01-10", "page": 2}
    page = client_for("analyst").get(reverse("dashboard"), filters).text

    links = re.findall(r'href="([^"]*format=(?:csv|xlsx)[^"]*)"', page)

    assert len(links) == 2
    for link in links:
        assert f"country={world.france.pk}" in link and "on=2016-01-10" in link
        assert "page=" not in link


def test_the_export_has_every_matching_cbm_not_one_page(world, client_for):
    added = more_led_cbms(world, PER_PAGE + 2)
    client = client_for("analyst")

    everything = read_csv(export(client, page=2))
    by_country = read_xlsx(export(client, "xlsx", country=world.france.pk))
    one = read_csv(export(client, cbm=world.de_cbm.pk))

    codes = {row["cbm"] for row in everything.rows}
    assert codes == {"DEX", "FRX", *(cbm.code for cbm in added)}
    assert len(codes) > PER_PAGE
    assert {row["cbm"] for row in by_country.rows} == {"FRX", *(cbm.code for cbm in added)}
    assert {row["cbm"] for row in one.rows} == {"DEX"}


@pytest.mark.parametrize("export_format", FORMATS)
def test_the_anonymous_are_sent_to_sign_in_with_no_export(world, client_for, export_format):
    response = export(client_for("anonymous"), export_format)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "Content-Disposition" not in response


@pytest.mark.parametrize("export_format", FORMATS)
def test_text_that_starts_like_a_formula_is_neutralised(world, client_for, export_format):
    world.fr_cbm.name = "=HYPERLINK(1)"
    world.fr_cbm.save()
    response = export(client_for("analyst"), export_format)

    names = {row["cbm_name"] for row in read(response, export_format).rows}

    assert "'=HYPERLINK(1)" in names and "=HYPERLINK(1)" not in names
    if export_format == "xlsx":
        assert formulas_in(response) == []


# --- Queries ------------------------------------------------------------------------------------


def count_export(client, export_format: str, **filters) -> tuple[int, int]:
    """(rows, queries) of an export read to its end: a streamed CSV queries as it is read."""
    with CaptureQueriesContext(connection) as captured:
        rows = len(read(export(client, export_format, **filters), export_format).rows)
    return rows, len(captured)


@pytest.mark.parametrize("export_format", FORMATS)
def test_the_queries_do_not_grow_with_the_cbms(world, client_for, export_format):
    """France's CBMs: FRX alone, then FRX and twenty more, each with an RTG and a report."""
    client = client_for("secretariat")
    filters = {"country": world.france.pk}
    export(client, export_format, **filters)  # warm caches (content types, session)
    one_rows, one = count_export(client, export_format, **filters)

    more_led_cbms(world, 2 * PER_PAGE)
    many_rows, many = count_export(client, export_format, **filters)

    assert one_rows == 3 and many_rows == 3 * (1 + 2 * PER_PAGE)
    assert many == one


def test_the_cbms_are_read_a_batch_at_a_time(world, client_for, monkeypatch):
    """Each batch costs the same few queries; every CBM's rows come, in order."""
    client = client_for("secretariat")
    more_led_cbms(world, 5)  # seven CBMs in all
    export(client)
    monkeypatch.setattr(compliance_views, "EXPORT_CBMS_PER_BATCH", 7)
    one_batch_rows, one_batch = count_export(client, "csv")
    monkeypatch.setattr(compliance_views, "EXPORT_CBMS_PER_BATCH", 3)
    three_batches_rows, three_batches = count_export(client, "csv")
    sheet = read_csv(export(client))

    per_batch = (three_batches - one_batch) / 2
    assert one_batch_rows == three_batches_rows == 7 * 3
    assert per_batch == 4  # histories (3 queries) and reports (1)
    assert [row["cbm"] for row in sheet.rows] == sorted(row["cbm"] for row in sheet.rows)
