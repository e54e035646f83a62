"""The dashboard prints cleanly: no navigation, filters, buttons or page links on paper, and the
matrix whole rather than clipped behind its scroll bar."""

from playwright.sync_api import expect


def test_the_dashboard_prints_without_the_screens_controls(page_as, site):
    page = page_as("secretariat")
    page.goto("/dashboard/")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator("form.filters")).to_be_hidden()
    expect(page.get_by_role("table").first).to_be_visible()
    overflow = page.locator(".table-responsive").first.evaluate(
        "e => getComputedStyle(e).overflowX"
    )
    assert overflow == "visible"
