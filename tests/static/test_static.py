"""Static files as production serves them: collected by production.py's storage into a fresh
STATIC_ROOT, then answered by whitenoise through the whole middleware stack.

The first visit is the home page as a newcomer's browser loads it, nothing cached: the page, every
stylesheet, script, image, font and icon the page or its stylesheets name, and the /favicon.ico
browsers ask for unprompted. Counted as transferred: each response's headers and its body as sent
(compressed where the browser accepts it)."""

import gzip
import importlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import brotli
import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings

FIRST_VISIT_BUDGET = 100_000  # bytes, issue #16
ONE_YEAR_IMMUTABLE = "max-age=31536000, public, immutable"
HASHED_NAME = re.compile(r"/static/.+\.[0-9a-f]{12}\.\w+")
# Asked for by the browser on any first visit, named by no page.
# What a browser asks for by itself: the icon at the site's root, unless the page names one.
IMPLICIT_REQUESTS = ["/favicon.ico"]

# Every request closes the database connection at its end (request_finished), static or not.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def production_static_storage(monkeypatch_module) -> dict:
    monkeypatch_module.setenv("SECRET_KEY", "static-test-secret-key")
    monkeypatch_module.setenv("ALLOWED_HOSTS", "testserver")
    production = importlib.import_module("hoa_portal.settings.production")
    return production.STORAGES["staticfiles"]


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def static_root(tmp_path_factory, production_static_storage) -> Path:
    """collectstatic with production's storage; the portal's own static files only (Django's
    admin and the API docs' bundles are an order of magnitude more to compress, and no public
    page names them: a page naming an uncollected file fails the look-up of its hashed name)."""
    root = tmp_path_factory.mktemp("static_root")
    with override_settings(
        STATIC_ROOT=str(root),
        STORAGES={**settings.STORAGES, "staticfiles": production_static_storage},
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


@pytest.fixture
def browser_client(static_root) -> Client:
    """A newcomer's browser: no cookie, accepts brotli and gzip."""
    return Client(HTTP_ACCEPT_ENCODING="br, gzip")


class _References(HTMLParser):
    """The URLs of what a browser fetches to show the page: stylesheets, scripts, icons, images."""

    LINK_RELATIONS = {"stylesheet", "icon", "apple-touch-icon", "preload", "modulepreload"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.names_an_icon = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        relations = set((attrs.get("rel") or "").split())
        if tag == "link" and self.LINK_RELATIONS & relations:
            self.urls.append(attrs["href"])
            self.names_an_icon |= "icon" in relations
        elif tag in {"script", "img", "source", "input", "iframe"} and attrs.get("src"):
            self.urls.append(attrs["src"])
        for candidate in (attrs.get("srcset") or "").split(","):
            if candidate.strip():
                self.urls.append(candidate.split()[0])


CSS_REFERENCE = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""")


def _css_references(css: str) -> list[str]:
    return [m.group(2) or m.group(4) for m in CSS_REFERENCE.finditer(css)]


def _body(response) -> bytes:
    if response.streaming:
        body = b"".join(response.streaming_content)
        response.close()
        return body
    return response.content


def _decoded(response, body: bytes) -> bytes:
    encoding = response.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    assert encoding is None, encoding
    return body


def _header_bytes(response) -> int:
    lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
    lines += [f"{name}: {value}" for name, value in response.items()]
    lines += [morsel.output() for morsel in response.cookies.values()]
    return len("\r\n".join(lines).encode()) + 4


def _first_visit(client: Client, language: str) -> list[dict]:
    """Every request of the first visit, in the order a browser makes them."""
    fetched: list[dict] = []
    queue = ["/"] + IMPLICIT_REQUESTS
    seen = set(queue)
    while queue:
        url = queue.pop(0)
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        body = _body(response)
        content = _decoded(response, body)
        fetched.append(
            {
                "url": url,
                "status": response.status_code,
                "encoding": response.get("Content-Encoding", "identity"),
                "cache": response.get("Cache-Control", ""),
                "raw": len(content),
                "body": len(body),
                "transferred": _header_bytes(response) + len(body),
            }
        )
        if url in IMPLICIT_REQUESTS:
            continue
        if response["Content-Type"].startswith("text/html"):
            parser = _References()
            parser.feed(content.decode())
            references = parser.urls
            if parser.names_an_icon:
                queue = [queued for queued in queue if queued not in IMPLICIT_REQUESTS]
        elif response["Content-Type"].startswith("text/css"):
            references = _css_references(content.decode())
        else:
            references = []
        for reference in references:
            if reference.startswith("data:"):
                continue  # inside the stylesheet already (Bootstrap's form icons)
            target = urljoin(url, reference)
            # The Content-Security-Policy lets pages load from this site only.
            assert not urlsplit(target).netloc, f"{url} loads {reference} from elsewhere"
            target = urlsplit(target).path
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return fetched


def _table(fetched: list[dict]) -> str:
    rows = [
        f"{f['url']:<58} {f['status']} {f['encoding']:<8} raw {f['raw']:>7}  "
        f"sent {f['transferred']:>6}"
        for f in fetched
    ]
    total = sum(f["transferred"] for f in fetched)
    return "\n".join([*rows, f"{'first visit, transferred':<79} {total:>6}"])


@pytest.mark.parametrize(
    ("language", "stylesheet"),
    [("en", "vendor/bootstrap/bootstrap.min."), ("fa", "vendor/bootstrap/bootstrap.rtl.min.")],
)
def test_a_first_visit_transfers_at_most_100_kb(world, browser_client, language, stylesheet):
    fetched = _first_visit(browser_client, language)
    table = _table(fetched)
    print(f"\nFirst visit ({language}):\n{table}")

    page, *assets = fetched
    assert page["status"] == 200 and page["encoding"] == "gzip", table
    static = [f for f in assets if f["url"].startswith("/static/")]
    for name in (stylesheet, "portal/portal.", "vendor/htmx/htmx.min.", "portal/collapse."):
        assert any(f["url"].startswith(f"/static/{name}") for f in static), (name, table)
    for asset in static:
        assert asset["status"] == 200, table
        assert asset["encoding"] == "br", table
        assert asset["cache"] == ONE_YEAR_IMMUTABLE, table
    assert sum(f["transferred"] for f in fetched) <= FIRST_VISIT_BUDGET, table


def test_the_dari_page_links_the_right_to_left_build(world, browser_client):
    urls = [f["url"] for f in _first_visit(browser_client, "fa")]
    assert any(url.startswith("/static/vendor/bootstrap/bootstrap.rtl.min.") for url in urls)
    assert not any(url.startswith("/static/vendor/bootstrap/bootstrap.min.") for url in urls)


def test_pages_name_static_files_by_their_hashed_names(world, browser_client):
    parser = _References()
    parser.feed(browser_client.get("/", HTTP_ACCEPT_ENCODING="").content.decode())
    static = [url for url in parser.urls if url.startswith("/static/")]
    assert len(static) >= 4  # Bootstrap, the portal's CSS, htmx, the navbar's script
    assert [url for url in static if not HASHED_NAME.fullmatch(url)] == []


@pytest.mark.parametrize(
    ("accepted", "encoding", "decompress"),
    [
        ("br, gzip", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
        ("", None, lambda body: body),
    ],
)
def test_each_file_goes_compressed_as_the_browser_accepts(
    static_root, accepted, encoding, decompress
):
    client = Client(HTTP_ACCEPT_ENCODING=accepted)
    for name in ("vendor/bootstrap/bootstrap.min.css", "vendor/htmx/htmx.min.js"):
        hashed = staticfiles_storage.stored_name(name)
        assert hashed != name
        response = client.get(f"/static/{hashed}")
        body = _body(response)
        assert response.status_code == 200
        assert response.get("Content-Encoding") == encoding
        assert "Accept-Encoding" in response["Vary"]
        original = (static_root / name).read_bytes()
        assert decompress(body) == original
        if encoding:
            assert len(body) < len(original) / 3


def test_hashed_files_are_cached_a_year_and_plain_names_a_minute(static_root, browser_client):
    hashed = browser_client.get(f"/static/{staticfiles_storage.stored_name('portal/portal.css')}")
    plain = browser_client.get("/static/portal/portal.css")
    assert hashed.status_code == plain.status_code == 200
    assert hashed["Cache-Control"] == ONE_YEAR_IMMUTABLE
    # The plain name's content changes with the next deployment: asked again soon.
    assert plain["Cache-Control"] == "max-age=60, public"
    assert _body(hashed) == _body(plain)


@pytest.mark.parametrize(
    "path",
    [
        "/static/portal/no-such-file.css",
        "/static/portal/portal.0123456789ab.css",  # a hash of no version of the file
        "/static/portal/",
    ],
)
def test_a_missing_static_file_is_404(static_root, browser_client, path):
    assert browser_client.get(path).status_code == 404
