"""The navbar's menu button on a phone, in Chromium: portal/collapse.js in place of Bootstrap's
JavaScript bundle opens and closes the menu as Bootstrap's collapse plugin did."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# The menu's classes once it has stopped moving (no .collapsing), open and closed.
OPEN = re.compile(r"^(?=.*\bshow\b)(?!.*\bcollapsing\b)")
CLOSED = re.compile(r"^(?=.*\bcollapse\b)(?!.*\bshow\b)(?!.*\bcollapsing\b)")


def _phone_page(page_as, live_server, language: str, motion: str):
    page = page_as("anonymous")
    page.set_viewport_size(PHONE)
    page.emulate_media(reduced_motion=motion)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto("/")
    return page, page.locator(".navbar-toggler"), page.locator("#main-nav")


@pytest.mark.parametrize(
    ("language", "motion"), [("en", "no-preference"), ("fa", "no-preference"), ("en", "reduce")]
)
def test_the_menu_button_opens_and_closes_the_menu(page_as, live_server, site, language, motion):
    page, button, menu = _phone_page(page_as, live_server, language, motion)
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu).to_have_class(OPEN)
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link").first).to_be_in_viewport()
    assert menu.evaluate("m => m.style.height") == ""  # no height left behind for the next time

    button.click()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_class(re.compile(r"\bcollapsed\b"))
    expect(menu).to_have_class(CLOSED)
    expect(menu).to_be_hidden()

    # Wide enough, the menu is the navbar itself and the button is gone.
    page.set_viewport_size(DESKTOP)
    expect(menu).to_be_visible()
    expect(button).to_be_hidden()


def test_a_second_click_while_the_menu_moves_is_ignored(page_as, live_server, site):
    page, button, menu = _phone_page(page_as, live_server, "en", "no-preference")
    button.evaluate("b => { b.click(); b.click(); }")
    expect(menu).to_have_class(OPEN)
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
