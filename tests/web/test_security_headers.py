"""RELIABILITY goal 14: under the production settings, every GET URL of the portal and the API,
for every role, whatever the status, answers with HSTS (a year at least, subdomains included), a
Content-Security-Policy with `object-src 'none'`, `base-uri 'none'` and `frame-ancestors`, a
Referrer-Policy, and only Secure cookies."""

import importlib
import re

import pytest
from django.urls import reverse

from hoa_portal.api_urls import router
from tests.web.conftest import PASSWORD, ROLES, sign_in
from tests.web.test_access import PAGES

# The settings hoa_portal.settings.production adds to the base for security.
PRODUCTION_SECURITY = (
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
)
API_LISTS = [f"/api/v1/{prefix}/" for prefix, _, _ in router.registry]
OTHER_URLS = ["/api/schema/", "/api/docs/", "/admin/login/", "/no-such-page/", "/api/v1/nope/"]


@pytest.fixture
def production(monkeypatch, settings):
    monkeypatch.setenv("SECRET_KEY", "production-settings-under-test-" + "x" * 30)
    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")
    module = importlib.import_module("hoa_portal.settings.production")
    for name in PRODUCTION_SECURITY:
        setattr(settings, name, getattr(module, name))


def assert_secure_headers(response, url: str) -> None:
    where = f"{url} ({response.status_code})"
    hsts = response.headers.get("Strict-Transport-Security", "")
    max_age = re.search(r"max-age=(\d+)", hsts)
    assert max_age and int(max_age.group(1)) >= 31_536_000, where
    assert "includeSubDomains" in hsts, where
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in response.headers.get("Content-Security-Policy", "").split(";")
        if directive.strip()
    }
    assert policy.get("object-src") == ["'none'"], where
    assert policy.get("base-uri") == ["'none'"], where
    assert policy.get("frame-ancestors"), where
    assert response.headers.get("Referrer-Policy"), where
    for name, cookie in response.cookies.items():
        assert cookie["secure"], f"{where}: cookie {name} is not Secure"


def _portal_urls(world) -> list[str]:
    return [reverse(name, args=args(world)) for name, args, _ in PAGES]


@pytest.mark.parametrize("role", ROLES)
def test_every_get_url_answers_with_the_security_headers(production, world, client_for, role):
    client = client_for(role)
    urls = _portal_urls(world) + API_LISTS + OTHER_URLS
    statuses = set()
    for url in urls:
        response = client.get(url, secure=True)
        statuses.add(response.status_code)
        assert_secure_headers(response, url)
    assert len(urls) > 100
    assert 200 in statuses and 404 in statuses  # refusals carry them too


def test_the_cookies_a_visitor_gets_are_secure(production, world, client):
    login = client.get(reverse("login"), secure=True)
    assert "csrftoken" in login.cookies
    assert_secure_headers(login, "login")

    signed_in = sign_in(client, world.users["secretariat"].username, PASSWORD, secure=True)
    assert signed_in.status_code == 302 and "sessionid" in signed_in.cookies
    assert_secure_headers(signed_in, "sign in")

    language = client.post(reverse("set_language"), {"language": "fa"}, secure=True)
    assert "django_language" in language.cookies
    assert_secure_headers(language, "set_language")


def test_plain_http_is_sent_to_https(production, settings, client):
    settings.SECURE_SSL_REDIRECT = importlib.import_module(
        "hoa_portal.settings.production"
    ).SECURE_SSL_REDIRECT

    response = client.get(reverse("home"))

    assert response.status_code == 301
    assert response["Location"].startswith("https://")
