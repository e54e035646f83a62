"""Playwright on Debian's Chromium against the live server.

Locally the browser tests are skipped when /usr/bin/chromium is missing; under CI they fail
instead, so a missing browser can never pass as green.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.web.conftest import World, build_world

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it (building rows, signing in) are synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, transactional_db) -> World:
    """The small world, committed so the live server's thread sees it."""
    return build_world()


@pytest.fixture
def page_as(browser, live_server, site):
    """A fresh browser page, signed in as one of the roles of the world (or anonymous).

    Whatever the page's test checks, the browser must not have refused anything the page asked
    for under the Content-Security-Policy: a refusal fails the test too."""
    contexts = []
    refused: list[str] = []

    def note_refusal(page, message) -> None:
        if "Content Security Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    def make(role: str = "anonymous", **device):
        """`device`: new_context options in place of the desktop's (viewport, is_mobile...)."""
        options = {"viewport": {"width": 1366, "height": 900}, **device}
        context = browser.new_context(base_url=live_server.url, locale="en-GB", **options)
        context.set_default_timeout(10_000)
        user = site.users[role]
        if user is not None:
            client = Client()
            client.force_login(user)
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                        "url": live_server.url,
                    }
                ]
            )
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: note_refusal(page, message))
        return page

    yield make
    for context in contexts:
        context.close()
    assert refused == [], "\n".join(refused)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
