"""Journeys through the portal in a real browser, found by role and label as a person would."""

import re

from playwright.sync_api import expect

from cbms.models import CBM
from conferences.models import Meeting


def test_the_public_browses_members_cbms_conferences_and_meetings(page_as, site):
    page = page_as("anonymous")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Heart of Asia")
    expect(page.get_by_role("link", name="Compliance")).to_have_count(0)

    page.get_by_role("link", name="Confidence Building Measures").click()
    expect(page.get_by_role("heading", name="Confidence Building Measures")).to_be_visible()
    page.get_by_role("link", name="FRX", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("French Measure")
    expect(page.get_by_text("Joint training")).to_be_visible()  # the plan in force
    expect(page.get_by_text("Draft revision")).to_have_count(0)  # not published
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)

    page.get_by_role("main").get_by_role("link", name="France").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("France")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Conferences").click()
    page.get_by_role("link", name=re.compile("4th Ministerial Conference")).click()
    expect(page.get_by_text("The RTG rule").first).to_be_visible()
    expect(page.get_by_text("convene at least two RTGs")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Meetings").click()
    results = page.locator("#results")
    expect(results.get_by_text("Berlin")).to_be_visible()
    expect(results.get_by_text("Bonn")).to_have_count(0)  # planned: not published
    # Filtering swaps only the results (htmx) and keeps the filter in the address.
    page.get_by_label("Kind").select_option("som")
    expect(results.get_by_text("Berlin")).to_have_count(0)
    expect(results.get_by_text("Kabul")).to_be_visible()
    expect(page).to_have_url(re.compile(r"kind=som"))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Organizations").click()
    page.get_by_role("link", name="SCO").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("SCO")


def test_the_secretariat_creates_a_cbm_records_an_rtg_and_the_dashboard_changes(
    page_as, site, artifacts
):
    page = page_as("anonymous")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="All records")).to_be_visible()

    page.goto("/cbms/")
    page.get_by_role("link", name="Add").click()
    page.get_by_label("Code").fill("WE")
    page.get_by_label("Name").fill("Women Empowerment")
    page.get_by_label("Approved on").fill("2014-01-01")
    page.get_by_label("Lead country").select_option(label="France")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Women Empowerment")
    expect(page.get_by_text("Led by France")).to_be_visible()
    cbm = CBM.objects.get(code="WE")

    page.goto(f"/dashboard/?cbm={cbm.pk}")
    section = page.get_by_role("region", name="WE – Women Empowerment")
    missed = "missed: no RTG held between 31 Oct 2014 and 31 Dec 2014."
    expect(section.locator(".explanations li li", has_text=missed)).to_be_visible()
    page.screenshot(path=artifacts / "dashboard-before-rtg.png", full_page=True)

    page.goto(f"/cbms/{cbm.pk}/")
    page.get_by_role("link", name="Schedule or record an RTG").click()
    page.get_by_label("Date").fill("2014-11-15")
    page.get_by_label("Status").select_option("held")
    page.get_by_label("City").fill("Kabul")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    assert Meeting.objects.filter(cbm=cbm, kind="rtg").count() == 1

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compliance").click()
    page.get_by_label("CBM", exact=True).select_option(label=str(cbm))
    section = page.get_by_role("region", name="WE – Women Empowerment")
    met = "met: RTG held on 15 Nov 2014, between 31 Oct 2014 and 31 Dec 2014."
    expect(section.locator(".explanations li li", has_text=met)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"cbm={cbm.pk}"))
    page.screenshot(path=artifacts / "dashboard-after-rtg.png", full_page=True)
    page.goto("/dashboard/")
    page.screenshot(path=artifacts / "dashboard.png", full_page=True)


def test_a_form_error_is_shown_and_nothing_saved(page_as, site):
    page = page_as("secretariat")
    page.goto("/cbms/new/")
    page.get_by_label("Code").fill("FRX")  # taken
    page.get_by_label("Approved on").fill("2014-01-01")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    code = page.get_by_label("Code")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_value("FRX")  # what was typed is kept
    expect(page.get_by_text("CBM with this Code already exists.")).to_be_visible()
    expect(page.get_by_text("This field is required.")).to_be_visible()  # the name
    assert CBM.objects.count() == 2


def test_a_focal_point_is_refused_on_another_countrys_cbm(page_as, site):
    page = page_as("focal_fr")
    page.goto(f"/cbms/{site.de_cbm.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("German Measure")
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    expect(page.get_by_role("link", name="Schedule or record an RTG")).to_have_count(0)

    response = page.goto(f"/meetings/{site.de_rtg.pk}/edit/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    response = page.goto(f"/cbms/{site.de_cbm.pk}/edit/")
    assert response.status == 403

    # Its own CBM: it may schedule and edit RTGs, and sees them on "my country".
    page.goto("/my-country/")
    expect(page.get_by_role("heading", name="France")).to_be_visible()
    expect(page.get_by_role("link", name="FRX – French Measure", exact=True)).to_be_visible()
    expect(page.get_by_text("German Measure")).to_have_count(0)
    page.get_by_role("link", name=re.compile("^Edit")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit")
    options = page.get_by_role("combobox", name=re.compile("^CBM")).locator("option")
    expect(options).to_have_count(1)
    expect(options).to_have_text("FRX – French Measure")
