"""The dashboard's cells link to their cycles' progress reports (issue #17), as far as the reader
may read them (ProgressReport.objects.visible_to): the secretariat every state, a focal point
their own country's too, the public and analysts the accepted ones. One query for the page's
reports, however many there are.

The world (tests/web/conftest.py): FRX led by France, DEX by Germany, cycles of MC3, MC4 Beijing
and MC5 Islamabad."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbms.models import ProgressReport, ReportState
from tests.cbms.factories import CBMFactory, LeadRoleFactory, ReportFactory
from tests.members.factories import CountryFactory
from tests.web import conftest as web

# The small world of the portal's pages, and a client signed in as one of its roles.
world, client_for = web.world, web.client_for


@pytest.fixture
def reports(world) -> dict[str, ProgressReport]:
    """France's reports on FRX: a draft for Beijing's cycle, an accepted one for Islamabad's;
    Germany's submitted report on DEX for Beijing's cycle."""
    return {
        "fr_draft": ReportFactory(cbm=world.fr_cbm, conference=world.beijing, country=world.france),
        "fr_accepted": ReportFactory(
            cbm=world.fr_cbm,
            conference=world.islamabad,
            country=world.france,
            state=ReportState.ACCEPTED,
        ),
        "de_submitted": ReportFactory(
            cbm=world.de_cbm,
            conference=world.beijing,
            country=world.germany,
            state=ReportState.SUBMITTED,
        ),
    }


def cell(page: str, cbm, conference: int) -> str:
    """The matrix's cell of a CBM and a cycle, its link to the explanation first."""
    anchor = f'<td><a class="cell-link" href="#cbm-{cbm.pk}-mc-{conference}"'
    match = re.search(rf"{re.escape(anchor)}.*?</td>", page, re.DOTALL)
    assert match, (cbm.code, conference)
    return match.group(0)


def linked(page: str) -> set[int]:
    """The reports the page links to."""
    return {int(pk) for pk in re.findall(r'href="/reports/(\d+)/"', page)}


def dashboard(client) -> str:
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.text


# --- Who sees which reports ---------------------------------------------------------------------


def test_the_secretariat_sees_every_report_with_its_state_in_words(world, client_for, reports):
    page = dashboard(client_for("secretariat"))

    assert linked(page) == {r.pk for r in reports.values()}
    draft = cell(page, world.fr_cbm, 4)
    assert f'href="{reverse("cbms:report_detail", args=[reports["fr_draft"].pk])}"' in draft
    assert '<span aria-hidden="true">FRA: draft</span>' in draft
    assert '<span class="visually-hidden">Report of France, draft</span>' in draft
    submitted = cell(page, world.de_cbm, 4)
    assert '<span class="visually-hidden">Report of Germany, submitted</span>' in submitted
    assert "Report of France, accepted" in cell(page, world.fr_cbm, 5)
    # Each cell still links to its explanation below, and a cycle without a report to nothing.
    assert 'class="cell-link"' in draft and "explanation below" in draft
    assert "/reports/" not in cell(page, world.fr_cbm, 3)


@pytest.mark.parametrize("role", ["analyst", "focal_de"])
def test_others_see_accepted_reports_only_never_a_draft(world, client_for, reports, role):
    page = dashboard(client_for(role))

    assert reports["fr_draft"].pk not in linked(page)
    assert "FRA: draft" not in page and "Report of France, draft" not in page
    assert "Report of France, accepted" in cell(page, world.fr_cbm, 5)
    if role == "analyst":
        assert linked(page) == {reports["fr_accepted"].pk}
    else:  # Germany's focal point reads Germany's report in every state
        assert linked(page) == {reports["fr_accepted"].pk, reports["de_submitted"].pk}


def test_a_focal_point_sees_their_own_countrys_reports_in_every_state(world, client_for, reports):
    page = dashboard(client_for("focal_fr"))

    assert linked(page) == {reports["fr_draft"].pk, reports["fr_accepted"].pk}
    assert "Report of France, draft" in cell(page, world.fr_cbm, 4)
    assert "Report of Germany, submitted" not in page


def test_a_cell_lists_each_countrys_report_by_country_code_escaped(world, client_for, reports):
    odd = CountryFactory(code="BBB", name="<b>Bold</b> & Co")
    LeadRoleFactory(cbm=world.fr_cbm, country=odd, since=dt.date(2012, 6, 14))
    ReportFactory(cbm=world.fr_cbm, conference=world.beijing, country=odd)

    draft = cell(dashboard(client_for("secretariat")), world.fr_cbm, 4)

    assert draft.index("BBB: draft") < draft.index("FRA: draft")
    assert "Report of &lt;b&gt;Bold&lt;/b&gt; &amp; Co, draft" in draft
    assert "<b>Bold</b>" not in draft


# --- Queries ------------------------------------------------------------------------------------


def _count(client) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("dashboard")).status_code == 200
    return len(captured), [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("role", ["secretariat", "analyst", "focal_fr"])
def test_the_page_reads_its_reports_in_one_query_however_many(world, client_for, role):
    client = client_for(role)
    client.get(reverse("dashboard"))  # warm caches (content types, session)
    few, _ = _count(client)

    # Every CBM of the page reported on in every cycle, by several countries, in every state.
    states = list(ReportState)
    countries = [world.france, world.germany, *(CountryFactory() for _ in range(3))]
    cbms = [world.fr_cbm, world.de_cbm]
    for n in range(6):
        cbm = CBMFactory(code=f"Q{n}", name=f"Reported measure {n}")
        LeadRoleFactory(cbm=cbm, country=world.france, since=dt.date(2012, 1, 1))
        cbms.append(cbm)
    for i, cbm in enumerate(cbms):
        for j, conference in enumerate((world.beijing, world.islamabad)):
            for k, country in enumerate(countries):
                state = states[(i + j + k) % len(states)]
                ReportFactory(cbm=cbm, conference=conference, country=country, state=state)
    many, queries = _count(client)

    assert many == few, "\n".join(queries)
    assert sum('"cbms_progressreport"' in sql for sql in queries) == 1
    assert linked(dashboard(client)) == set(
        ProgressReport.objects.visible_to(world.users[role]).values_list("pk", flat=True)
    )
