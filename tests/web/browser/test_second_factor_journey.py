"""The secretariat's first sign-in with the second factor on, in Chromium: password, then the
set-up page (a QR code and its key), a wrong code, the right one, the recovery codes, and the
page asked for. The pages pass axe-core."""

import base64
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.web.browser.test_accessibility import _violations
from tests.web.conftest import PASSWORD


def _code_for(secret_base32: str) -> str:
    """What an authenticator app shows for the key the page gives."""
    totp = TOTP(base64.b32decode(secret_base32))
    totp.time = time.time()
    return f"{totp.token():06d}"


@pytest.fixture
def second_factor_on(settings):
    settings.MFA_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def test_first_sign_in_sets_up_the_app(page_as, site, second_factor_on, artifacts):
    page = page_as("anonymous")
    page.goto("/records/")
    page.locator("main").get_by_label("Username").fill(site.users["secretariat"].username)
    page.locator("main").get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.locator(".qr-code svg")).to_be_visible()
    assert _violations(page) == []
    page.screenshot(path=artifacts / "second-factor-setup.png", full_page=True)
    secret = page.locator("#totp-secret code").inner_text()

    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("That code is wrong")
    assert _violations(page) == []

    page.get_by_label("Code from your authenticator app").fill(_code_for(secret))
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert _violations(page) == []
    page.get_by_role("link", name="I have saved them: continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("All records")
    assert page.url.endswith("/records/")
