"""The portal in Dari and in Pashto, right to left, in Chromium: the navbar's switcher, axe-core on
the home page and the dashboard, and a timeline whose labels stay inside the picture."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.web.browser.test_accessibility import _violations

# The words each right-to-left language puts where the test looks: the navbar's name, its link to
# the CBMs, the switcher's label and button.
WORDS = {
    "fa": {
        "main": "اصلی",
        "cbms": "تدابیر اعتمادساز",
        "language": "زبان",
        "change": "تغییر زبان",
    },
    "ps": {
        "main": "اصلي",
        "cbms": "د باور جوړونې تدابیر",
        "language": "ژبه",
        "change": "ژبه بدله کړئ",
    },
}
RIGHT_TO_LEFT = pytest.mark.parametrize("language", sorted(WORDS))


def _switch_to(page, path: str, language: str) -> None:
    page.goto(path)
    page.get_by_label("Language").select_option(language)
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert urlsplit(page.url).path == path  # `next`: the same page, now in the language


@RIGHT_TO_LEFT
def test_the_home_page_reads_right_to_left(page_as, site, artifacts, language):
    words = WORDS[language]
    page = page_as("anonymous")
    _switch_to(page, "/", language)

    navigation = page.get_by_role("navigation", name=words["main"])
    expect(navigation.get_by_role("link", name=words["cbms"], exact=True)).to_be_visible()
    expect(page.get_by_label(words["language"])).to_have_value(language)
    # Right to left: the brand opens the navbar at its right edge.
    brand = page.locator(".navbar-brand").bounding_box()
    assert brand["x"] > page.viewport_size["width"] / 2
    stylesheets = page.locator("link[rel=stylesheet]").evaluate_all("ls => ls.map(l => l.href)")
    assert any(href.endswith("bootstrap.rtl.min.css") for href in stylesheets)
    assert _violations(page) == []
    page.screenshot(path=artifacts / f"home-{language}.png", full_page=True)

    # And back: the choice is one form away in every language.
    page.get_by_label(words["language"]).select_option("en")
    page.get_by_role("button", name=words["change"]).click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")


@RIGHT_TO_LEFT
def test_the_dashboard_is_accessible_and_its_timeline_unclipped(page_as, site, artifacts, language):
    page = page_as("secretariat")
    _switch_to(page, "/dashboard/", language)

    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert _violations(page) == []
    # Time runs left to right; each lane label sits in the margin left of the bars (x < 120 of
    # the 1000-unit picture), not pushed outside the picture by the page's direction.
    labels = page.locator("svg.timeline .lane-label")
    expect(labels.first).to_be_visible()
    boxes = labels.evaluate_all(
        "els => els.map(e => { const b = e.getBBox(); return [b.x, b.width] })"
    )
    assert boxes and all(x >= 0 and x + width <= 120 for x, width in boxes), boxes
    page.screenshot(path=artifacts / f"dashboard-{language}.png", full_page=True)
