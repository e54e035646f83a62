"""The secretariat edits rows in place (htmx): no page load, the row appears, errors inline."""

import re

from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from cbms.models import Activity, CBMRole


def _no_reload_marker(page) -> None:
    """A mark on the window: a page load would wipe it."""
    page.evaluate("window.__stillThisPage = true")


def _still_same_page(page, url: str) -> None:
    assert page.url == url
    assert page.evaluate("window.__stillThisPage === true"), "the page was reloaded"


def test_the_secretariat_adds_an_activity_and_edits_a_role_in_place(page_as, site, artifacts):
    page = page_as("secretariat")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    # --- An activity added to the draft revision, on the plan's page --------------------------
    page.goto(f"/plans/{site.fr_draft.pk}/")
    url = page.url
    _no_reload_marker(page)
    loads = len(navigations)

    page.get_by_role("link", name="Add an activity to 1. Border security").click()
    form = page.get_by_role("form", name="New activity for 1. Border security")
    expect(form.get_by_label("Number")).to_have_value("2")  # the next number, proposed
    expect(form.get_by_label("Number")).to_be_focused()

    # Refused: the number is taken. The error is on the field, what was typed is kept.
    form.get_by_label("Number").fill("1")
    form.get_by_label("Title").fill("Joint border exercise")
    form.get_by_role("button", name="Save").click()
    form = page.get_by_role("form", name="New activity for 1. Border security")
    expect(form.get_by_role("alert")).to_contain_text("Nothing was saved")
    number = form.get_by_label("Number")
    expect(number).to_have_attribute("aria-invalid", "true")
    taken = "The priority area already has an activity so numbered."
    expect(form.get_by_text(taken)).to_be_visible()
    expect(form.get_by_label("Title")).to_have_value("Joint border exercise")
    assert Activity.objects.filter(title="Joint border exercise").count() == 0

    number.fill("2")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#inline-status")).to_contain_text("Saved 1.2 Joint border exercise.")
    expect(page.get_by_role("link", name="Edit 1.2 Joint border exercise")).to_be_visible()
    expect(page.get_by_role("form")).to_have_count(0)  # the form gave way to the row
    assert Activity.objects.filter(title="Joint border exercise", number=2).count() == 1
    _still_same_page(page, url)
    assert len(navigations) == loads, navigations
    page.screenshot(path=artifacts / "inline-activity.png", full_page=True)

    # --- A role edited in place, on the CBM's page ------------------------------------------
    page.goto(f"/cbms/{site.fr_cbm.pk}/")
    url = page.url
    _no_reload_marker(page)
    loads = len(navigations)
    role = site.fr_role
    page.get_by_role("link", name=f"Edit {role}", exact=True).click()
    form = page.get_by_role("form", name=f"Edit {role}")
    form.get_by_label("Until").fill("2011-01-01")  # before it starts: refused
    form.get_by_role("button", name="Save").click()
    form = page.get_by_role("form", name=f"Edit {role}")
    expect(form.get_by_text("A role cannot end before it starts.")).to_be_visible()
    role.refresh_from_db()
    assert role.until is None

    form.get_by_label("Until").fill("2016-12-31")
    form.get_by_role("button", name="Save").click()
    roles = page.locator("#cbm-roles")
    expect(roles.get_by_text(re.compile(r"until 31 Dec 2016"))).to_be_visible()
    expect(page.locator("#inline-status")).to_contain_text("Saved")
    expect(page.get_by_text("Led by no country yet.")).to_be_visible()  # the header followed
    assert CBMRole.objects.get(pk=role.pk).until.isoformat() == "2016-12-31"
    _still_same_page(page, url)
    assert len(navigations) == loads, navigations

    # Cancel puts the section back as it was, still without a page load.
    page.get_by_role("link", name="Add a role").click()
    page.get_by_role("form", name=re.compile("^New CBM role")).get_by_role(
        "link", name="Cancel"
    ).click()
    expect(page.get_by_role("form")).to_have_count(0)
    expect(page.get_by_role("link", name="Add a role")).to_be_visible()
    _still_same_page(page, url)


def test_without_javascript_the_same_links_are_form_pages(browser, live_server, site):
    client = Client()
    client.force_login(site.users["secretariat"])
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"/plans/{site.fr_draft.pk}/")
    page.get_by_role("link", name="Add an activity to 1. Border security").click()
    expect(page).to_have_url(re.compile(r"/priority-areas/\d+/activities/new/$"))
    page.get_by_label("Title").fill("Without JavaScript")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/plans/{site.fr_draft.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text("Saved 1.2 Without JavaScript.")
    context.close()
