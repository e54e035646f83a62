"""The dashboard in a browser (issue #17): its cells' report links named for a screen reader and
leading to the report, its export downloading every CBM the filters match; axe-core finds no
serious or critical violation with reports in the cells."""

from pathlib import Path

import pytest
from django.utils import timezone

from cbms.models import ReportState
from tests.cbms.factories import ReportFactory
from tests.web.browser.test_accessibility import _violations


@pytest.fixture
def draft_and_accepted(site):
    """France's draft on FRX for Beijing's cycle and Germany's accepted report on DEX."""
    ReportFactory(
        cbm=site.de_cbm,
        conference=site.islamabad,
        country=site.germany,
        state=ReportState.ACCEPTED,
    )
    return ReportFactory(
        cbm=site.fr_cbm, conference=site.beijing, country=site.france, state=ReportState.DRAFT
    )


def test_a_cells_report_link_is_named_and_opens_the_report(page_as, site, draft_and_accepted):
    draft = draft_and_accepted
    page = page_as("secretariat")
    page.goto("/dashboard/")

    assert _violations(page) == []
    link = page.get_by_role("link", name="Report of France, draft")
    assert link.is_visible() and link.locator('[aria-hidden="true"]').inner_text() == "FRA: draft"
    assert page.get_by_role("link", name="Report of Germany, accepted").count() == 1
    link.click()
    page.wait_for_url(f"**/reports/{draft.pk}/")


def test_the_analysts_dashboard_links_accepted_reports_only(page_as, site, draft_and_accepted):
    page = page_as("analyst")
    page.goto("/dashboard/")

    assert page.get_by_role("link", name="Report of Germany, accepted").count() == 1
    assert page.get_by_role("link", name="Report of France, draft").count() == 0


def test_the_export_downloads_with_the_pages_filters(page_as, site):
    page = page_as("analyst")
    page.goto(f"/dashboard/?country={site.france.pk}")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    file = download.value
    text = Path(file.path()).read_text(encoding="utf-8-sig")

    assert file.suggested_filename == f"compliance-{timezone.localdate().isoformat()}.csv"
    assert "FRX" in text and "DEX" not in text
