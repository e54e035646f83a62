"""A person's own account in Chromium (issue #17, Accounts): changing one's password, resetting
a forgotten one by email, accepting an invitation. The emails travel through a real SMTP server
on loopback, and the link is read from the message it received. Every new page passes axe-core.
"""

import base64
import re
import socketserver
import threading
import time
from email import message_from_bytes, policy

import pytest
from django.core.cache import caches
from django_otp.oath import TOTP
from playwright.sync_api import expect

from members.models import User
from tests.web.browser.test_accessibility import _violations
from tests.web.conftest import PASSWORD

NEW_PASSWORD = "Str0ng-Passphrase-9"


# --- A real SMTP server on loopback that keeps what it receives ------------------------------
# (tests/cbms/conftest.py's counts the messages but drops their content; these tests read it.)


class RecordingSMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingSMTPHandler)
        self.messages: list[bytes] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def wait_for(self, count: int, seconds: float = 10):
        """The `count`-th message received, parsed, waiting for it if need be."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return message_from_bytes(self.messages[count - 1], policy=policy.default)
            time.sleep(0.05)
        raise AssertionError(f"message {count} never arrived ({len(self.messages)} did)")


class _RecordingSMTPHandler(socketserver.StreamRequestHandler):
    server: RecordingSMTPServer

    def handle(self) -> None:
        self.reply("220 localhost ESMTP test")
        while line := self.rfile.readline():
            verb = line[:4].decode("ascii", "replace").upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 localhost")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)  # dot-stuffing
                with self.server.lock:
                    self.server.messages.append(b"".join(lines))
                self.reply("250 OK: queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.reply("250 OK")

    def reply(self, text: str) -> None:
        self.wfile.write(f"{text}\r\n".encode("ascii"))
        self.wfile.flush()


@pytest.fixture
def mail_server(settings, live_server):
    """The portal sends its email to the loopback server, and its links lead to the live one."""
    server = RecordingSMTPServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.PORTAL_URL = live_server.url
    caches["rate_limits"].clear()
    yield server
    server.shutdown()
    server.server_close()
    caches["rate_limits"].clear()


def _link_in(message, live_server) -> str:
    body = message.get_body(("plain",)).get_content()
    found = re.findall(rf"{re.escape(live_server.url)}/accounts/\S+/", body)
    assert len(found) == 1, body
    return found[0]


def _sign_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    main = page.locator("main")
    main.get_by_label("Username").fill(username)
    main.get_by_label("Password").fill(password)
    main.get_by_role("button", name="Sign in").click()


NEW_PASSWORD_FIELD = re.compile(r"^New password(?! confirmation)")


def _choose_password(page, password: str = NEW_PASSWORD) -> None:
    page.get_by_label(NEW_PASSWORD_FIELD).fill(password)
    page.get_by_label("New password confirmation").fill(password)


def _code_for(secret_base32: str) -> str:
    totp = TOTP(base64.b32decode(secret_base32))
    totp.time = time.time()
    return f"{totp.token():06d}"


# --- Journeys -----------------------------------------------------------------------------------


def test_a_focal_point_changes_their_password_and_their_other_session_ends(page_as, site):
    elsewhere = page_as("focal_fr")  # the same person, signed in on another computer
    elsewhere.goto("/account/")
    page = page_as("focal_fr")
    page.goto("/account/")
    assert _violations(page) == []
    page.get_by_role("link", name="Change your password").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    assert _violations(page) == []
    page.get_by_label("Old password").fill("not-my-password")
    _choose_password(page)
    page.get_by_role("button", name="Change the password").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("old password was entered")
    assert _violations(page) == []

    page.get_by_label("Old password").fill(PASSWORD)
    _choose_password(page)
    page.get_by_role("button", name="Change the password").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_text("Your password is changed")).to_be_visible()
    elsewhere.reload()
    expect(elsewhere.get_by_role("heading", level=1)).to_have_text("Sign in")
    fresh = page_as("anonymous")
    _sign_in(fresh, "focal-fr", NEW_PASSWORD)
    expect(fresh.get_by_role("link", name=re.compile("focal-fr"))).to_be_visible()


def test_a_forgotten_password_is_reset_through_the_emailed_link(
    page_as, site, mail_server, live_server, artifacts
):
    page = page_as("anonymous")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    assert _violations(page) == []
    page.get_by_label("Email").fill("focal-fr@example.org")
    page.get_by_role("button", name="Send the link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert _violations(page) == []
    message = mail_server.wait_for(1)
    assert message["To"] == "focal-fr@example.org"
    link = _link_in(message, live_server)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    assert "/set-password/" in page.url  # the token left the address bar before the form
    assert _violations(page) == []
    page.screenshot(path=artifacts / "password-reset-confirm.png", full_page=True)
    _choose_password(page)
    page.get_by_role("button", name="Set the new password").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your password is set")
    assert _violations(page) == []
    page.goto(link)  # once only
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    assert _violations(page) == []

    _sign_in(page, "focal-fr", NEW_PASSWORD)
    expect(page.get_by_role("link", name=re.compile("focal-fr"))).to_be_visible()


def test_an_unknown_address_gets_the_same_page_and_no_email(page_as, site, mail_server):
    page = page_as("anonymous")
    page.goto("/accounts/password-reset/")
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    time.sleep(0.5)
    assert mail_server.messages == []


def test_an_invited_focal_point_chooses_a_password_and_sets_up_the_app(
    page_as, site, mail_server, live_server, settings, artifacts
):
    staff = page_as("secretariat")
    staff.goto("/users/new/")
    assert _violations(staff) == []
    form = staff.locator("main form")
    form.get_by_label("Username").fill("fp-fra-2")
    form.get_by_label("First name").fill("Camille")
    form.get_by_label("Last name").fill("Colin")
    form.get_by_label("Email address").fill("camille@example.org")
    form.get_by_label("Role").select_option(label="lead-country focal point")
    form.get_by_label("Country").select_option(label="France")
    form.get_by_role("button", name="Save").click()
    expect(staff.get_by_text("Not accepted yet")).to_be_visible()
    expect(
        staff.get_by_role("button", name=re.compile("Send the invitation again"))
    ).to_be_visible()
    assert _violations(staff) == []
    link = _link_in(mail_server.wait_for(1), live_server)

    settings.MFA_REQUIRED = True  # as in production, for the one invited
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    page = page_as("anonymous")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome: choose your password")
    expect(page.get_by_text("set up an authenticator app")).to_be_visible()
    assert _violations(page) == []
    _choose_password(page)
    page.get_by_role("button", name="Set my password").click()

    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.get_by_text("Now set up your authenticator app")).to_be_visible()
    secret = page.locator("#totp-secret code").inner_text()
    page.get_by_label("Code from your authenticator app").fill(_code_for(secret))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    page.get_by_role("link", name="I have saved them: continue").click()

    expect(page.get_by_role("link", name=re.compile("fp-fra-2"))).to_be_visible()
    assert User.objects.get(username="fp-fra-2").check_password(NEW_PASSWORD)
    page.get_by_role("link", name=re.compile("fp-fra-2")).click()
    second_factor = page.get_by_role("region", name="Second factor")
    expect(second_factor).to_contain_text("Authenticator app set up on")
    expect(second_factor).to_contain_text("10 recovery codes left.")
    assert _violations(page) == []
    page.screenshot(path=artifacts / "account.png", full_page=True)
    page.goto(link)  # accepted: the invitation is spent
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation no longer works")
    assert _violations(page) == []
