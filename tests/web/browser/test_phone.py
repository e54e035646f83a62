"""The portal on a phone, 390 × 844 CSS pixels, in Chromium (#17): no page wider than the screen,
the dashboard's matrix scrolling inside itself with its CBM column fixed, timelines whose labels
neither collide nor shrink past reading, forms with full-width fields and touch targets of at
least 24 px. A full-page screenshot of every page type goes to artifacts/phone/ for a person to
look at, in English and, for a few, in Dari (right to left)."""

import datetime as dt
import re
from itertools import combinations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from cbms.models import Activity
from cbms.reports.services import report_start
from conferences.models import Declaration, Meeting, MinisterialConference
from members.models import Participation
from tests.conferences.factories import ConferenceFactory, RtgFactory
from tests.web.browser.test_accessibility import _paths, _violations

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,  # a phone's 2 would make each screenshot four times larger
}
TARGET = 24  # CSS px: WCAG 2.5.8, target size (minimum)
# A long word with nowhere to break it, as an address pasted into a note is: twice a phone's line.
LONG_WORD = "https://example.org/minutes?document=" + "4f2a9c0e8b7d6a5f" * 4

# Elements reaching past the screen's edges and not clipped by an element that scrolls (or clips)
# its own overflow: the outermost of each, which is where a fix goes. An absolutely positioned
# element escapes a scroller that is not positioned itself, and widens the page from inside it
# (a .visually-hidden text in a table cell, say).
OVERFLOWING = """width => {
  const clips = style => ["auto", "scroll", "hidden", "clip"].includes(style.overflowX);
  const contained = el => {
    let escaping = getComputedStyle(el).position === "absolute";
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const style = getComputedStyle(e), positioned = style.position !== "static";
      if (clips(style) && (!escaping || positioned)) return true;
      if (positioned) escaping = false;
    }
    return false;
  };
  // Only past the edge the page scrolls towards: the end edge, right in LTR, left in RTL.
  const rtl = getComputedStyle(document.documentElement).direction === "rtl";
  const outside = el => {
    const box = el.getBoundingClientRect(), left = box.left + scrollX;
    return box.width > 0 && (rtl ? left < -0.5 : left + box.width > width + 0.5);
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].map(c => "." + c).join("");
  const found = new Set([...document.body.querySelectorAll("*")]
    .filter(el => outside(el) && !contained(el)));
  // A word too long for its line runs out of a box that fits: name the box.
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = texts.nextNode(); text; text = texts.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(text);
    const box = range.getBoundingClientRect(), left = box.left + scrollX;
    const past = rtl ? left < -0.5 : left + box.width > width + 0.5;
    const parent = text.parentElement;
    if (box.width > 0 && past && !clips(getComputedStyle(parent)) && !contained(parent)) {
      found.add(parent);
    }
  }
  return [...found].filter(el => !found.has(el.parentElement)).slice(0, 8).map(el => {
    const box = el.getBoundingClientRect();
    const left = Math.round(box.left + scrollX), right = Math.round(box.right + scrollX);
    return `${name(el)} [${left}, ${right}]`
      + ` in ${name(el.parentElement)}: ${el.textContent.trim().slice(0, 40)}`;
  });
}"""


def _phone(page_as, role: str, live_server=None, language: str = "en"):
    page = page_as(role, **PHONE)
    if language != "en":
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
    return page


def _shot_name(prefix: str, index: int, path: str) -> str:
    """secretariat-07-cbms-n.png: numbered in visiting order, ids left out, so that a run's
    files replace the last run's."""
    slug = re.sub(r"[^a-z0-9]+", "-", re.sub(r"\d+", "n", path.lower())).strip("-")
    return f"{prefix}-{index:02d}-{slug or 'home'}.png"


def _sideways(page) -> list[str]:
    """What makes the page pan sideways, if it does: [] when it fits the screen. The screen's
    width, not window.innerWidth: a phone's browser widens its layout viewport to what overflows,
    so innerWidth grows with the page."""
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width <= width:
        return []
    return [f"{page.url}: {scroll_width} px wide on a {width} px screen"] + [
        f"  {element}" for element in page.evaluate(OVERFLOWING, width)
    ]


def _visit_all(page, paths: list[str], shots, prefix: str) -> list[str]:
    found = []
    for index, path in enumerate(paths, start=1):
        page.goto(path)
        found += _sideways(page)
        page.screenshot(path=shots / _shot_name(prefix, index, path), full_page=True)
    return found


def _long_words(site) -> None:
    """Long unbroken words where people type free text: a CBM's notes (and so its history), a
    meeting's notes, the sources of a declaration and of a participation, an activity's
    description; and, in _report, a report's narrative."""
    cbm = site.fr_cbm
    cbm.notes = f"See {LONG_WORD}"
    cbm._change_reason = "the minutes' address"
    cbm.save()  # a history row, which shows the notes before and after
    Meeting.objects.filter(pk=site.fr_rtg.pk).update(notes=LONG_WORD)
    Declaration.objects.filter(pk=site.declaration.pk).update(source=LONG_WORD)
    Participation.objects.filter(pk=site.participation.pk).update(source=LONG_WORD)
    Activity.objects.filter(pk=site.draft_activity.pk).update(description=LONG_WORD)


def _report(site):
    return report_start(
        cbm=site.fr_cbm,
        conference=site.beijing,
        actor=site.users["focal_fr"],
        narrative=f"Progress as planned; the minutes are at {LONG_WORD}.",
    )


def _more_cycles(site) -> None:
    """Two more conference cycles, as the real record has eight, and two RTGs of FRX ten days
    apart that meet the two obligations of one cycle: their labels would sit on each other."""
    MinisterialConference.objects.filter(pk=site.planned.pk).update(number=8)
    ConferenceFactory(number=6, date=dt.date(2016, 12, 4), host=site.afghanistan, city="Amritsar")
    ConferenceFactory(number=7, date=dt.date(2017, 12, 1), host=site.afghanistan, city="Baku")
    RtgFactory(cbm=site.fr_cbm, date=dt.date(2016, 1, 10), city="Lyon")  # P5
    RtgFactory(cbm=site.fr_cbm, date=dt.date(2016, 1, 20), city="Nice")  # R5


@pytest.fixture
def shots(artifacts):
    folder = artifacts / "phone"
    folder.mkdir(exist_ok=True)
    return folder


# --- No page wider than the screen --------------------------------------------------------------


def _extra_paths(site, report) -> dict[str, list[str]]:
    """Page types the accessibility run does not visit."""
    return {
        "anonymous": [],
        "secretariat": [
            f"/countries/{site.afghanistan.pk}/",
            f"/organizations/{site.organization.pk}/",
            "/imports/",
            "/imports/new/meetings/",
            "/accounts/two-factor/setup/",
            "/declarations/",
            f"/reports/{report.pk}/",
        ],
        "focal_fr": [f"/reports/{report.pk}/", f"/reports/{report.pk}/edit/"],
    }


@pytest.mark.parametrize("role", ["anonymous", "secretariat", "focal_fr"])
def test_no_page_is_wider_than_a_phone(page_as, site, shots, role):
    _long_words(site)
    report = _report(site)
    page = _phone(page_as, role)
    paths = _paths(site)[role] + _extra_paths(site, report)[role]
    found = _visit_all(page, paths, shots, role)
    assert found == [], "\n".join(found)


def test_no_page_is_wider_than_a_phone_in_dari(page_as, live_server, site, shots):
    _long_words(site)
    page = _phone(page_as, "secretariat", live_server, "fa")
    paths = [
        "/",
        "/cbms/",
        f"/cbms/{site.fr_cbm.pk}/",
        "/dashboard/",
        "/cbms/new/",
        "/meetings/",
        f"/meetings/{site.fr_rtg.pk}/",
        f"/plans/{site.fr_draft.pk}/",
    ]
    found = _visit_all(page, paths, shots, "secretariat-fa")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert found == [], "\n".join(found)


# --- The dashboard: the matrix and the timelines -----------------------------------------------


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_matrix_scrolls_inside_itself_with_the_cbm_column_fixed(
    page_as, live_server, site, shots, language
):
    _more_cycles(site)
    page = _phone(page_as, "secretariat", live_server, language)
    page.goto("/dashboard/")
    assert _sideways(page) == []
    wrapper = page.locator(".table-responsive").filter(has=page.locator("table.matrix"))
    scroll_width, client_width = wrapper.evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert scroll_width > client_width, "the matrix fits the screen: nothing to scroll"

    rtl = language == "fa"
    cbm_cell = page.locator("table.matrix tbody th").first
    first_cell = page.locator("table.matrix tbody td").first
    before = first_cell.bounding_box()["x"]
    # Towards the end of the row: to the right, or in Dari to the left (scrollLeft negative).
    scrolled = wrapper.evaluate(
        "(w, rtl) => { w.scrollLeft = (rtl ? -1 : 1) * w.scrollWidth; return w.scrollLeft }", rtl
    )
    assert abs(scrolled) > 50
    assert abs(first_cell.bounding_box()["x"] - before) > 50  # the cycles moved...
    box, edge = cbm_cell.bounding_box(), wrapper.bounding_box()
    if rtl:  # ...the CBM column stayed at the start edge
        assert box["x"] + box["width"] == pytest.approx(edge["x"] + edge["width"], abs=1)
    else:
        assert box["x"] == pytest.approx(edge["x"], abs=1)
    # Opaque, so the cells passing under it do not show through.
    background = cbm_cell.evaluate("c => getComputedStyle(c).backgroundColor")
    assert background not in ("transparent", "rgba(0, 0, 0, 0)")
    header = page.locator("table.matrix thead th").first
    assert header.bounding_box()["x"] == pytest.approx(box["x"], abs=1)
    wrapper.screenshot(path=shots / f"dashboard-matrix-scrolled-{language}.png")


def _label_collisions(timeline) -> list[str]:
    """Pairs of the picture's text labels whose boxes intersect, and labels cut off at its
    edges, as drawn."""
    boxes = timeline.locator("text").evaluate_all(
        """texts => texts.map(t => {
             const b = t.getBoundingClientRect();
             return [t.textContent, b.left, b.top, b.right, b.bottom];
           })"""
    )
    frame = timeline.bounding_box()
    found = [
        f"{a[0]!r} × {b[0]!r}"
        for a, b in combinations(boxes, 2)
        if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]
    found += [
        f"{text!r} cut off"
        for text, left, top, right, bottom in boxes
        if left < frame["x"]
        or right > frame["x"] + frame["width"]
        or top < frame["y"]
        or bottom > frame["y"] + frame["height"]
    ]
    return found


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_timelines_labels_neither_collide_nor_shrink(
    page_as, live_server, site, shots, language
):
    _more_cycles(site)
    page = _phone(page_as, "secretariat", live_server, language)
    page.goto("/dashboard/")
    timelines = page.locator("svg.timeline")
    expect(timelines).to_have_count(2)
    # The two RTGs ten days apart: both labelled, one moved a line down.
    close = timelines.locator(".rtg-label", has_text=re.compile(r"^[PR]5$"))
    expect(close).to_have_count(2)
    first, second = close.evaluate_all("labels => labels.map(l => l.getBBox().y)")
    assert second > first
    found = []
    for timeline in timelines.all():
        found += _label_collisions(timeline)
        # Drawn at 90 % of its size or more: the smallest labels (10 units) at 9 px or more.
        scale = timeline.evaluate("s => s.getBoundingClientRect().width / s.viewBox.baseVal.width")
        assert scale >= 0.9, scale
        # ...scrolling inside its wrapper rather than widening the page.
        wrapper = timeline.locator("xpath=..")
        assert wrapper.evaluate("w => getComputedStyle(w).overflowX") == "auto"
    assert found == [], "\n".join(found)
    assert _sideways(page) == []
    assert _violations(page) == []
    page.locator("figure").last.screenshot(path=shots / f"dashboard-timeline-{language}.png")


# --- Forms ---------------------------------------------------------------------------------------

CONTROLS = "main form:not(.filters) :is(input, select, textarea, button):visible"


@pytest.mark.parametrize(
    ("role", "path", "kinds"),
    [
        ("secretariat", "/cbms/new/", {"text", "date", "select-one", "textarea", "submit"}),
        ("focal_fr", "/meetings/new/", {"date", "select-one", "submit"}),
        ("secretariat", "/account/", {"select-one", "checkbox", "submit"}),
    ],
)
def test_form_fields_are_full_width_and_easy_to_touch(page_as, site, role, path, kinds):
    """`kinds`: the types of control the page's forms have at least, so that each is measured."""
    page = _phone(page_as, role)
    page.goto(path)
    seen, small, narrow = set(), [], []
    for control in page.locator(CONTROLS).all():
        box = control.bounding_box()
        kind = control.evaluate("c => c.type")
        seen.add(kind)
        name = f"{kind} {control.get_attribute('name') or control.inner_text()}"
        if box["height"] < TARGET or box["width"] < TARGET:
            small.append(f"{name}: {box['width']:.0f} × {box['height']:.0f}")
        if kind in ("checkbox", "radio", "submit", "button", "reset"):
            continue
        form_width = control.evaluate("c => c.form.getBoundingClientRect().width")
        if box["width"] < form_width - 40:  # at most a card's or a fieldset's padding inside
            narrow.append(f"{name}: {box['width']:.0f} of {form_width:.0f} px")
    assert kinds <= seen, seen
    assert small == [], small
    assert narrow == [], narrow
