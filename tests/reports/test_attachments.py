"""Uploads checked by name, size and content before anything is stored (RELIABILITY goals 12,
13), and downloads that are always attachments.

The real documents in fixtures/ were made once with LibreOffice 7.4 (`soffice --headless
--convert-to docx|pdf|xlsx` from a short text and a CSV); Google Docs' entry order is built here.
"""

import functools
import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

import hoa_portal.settings.base as base_settings
from cbms.models import ProgressReport, ReportAttachment
from cbms.reports.attachments import attachment_validate
from cbms.reports.services import (
    attachment_add,
    report_accept,
    report_return,
    report_submit,
)
from tests.reports.conftest import minimal_docx, minimal_pdf, minimal_xlsx, office_zip

URL = "/api/v1/reports/"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORT_ATTACHMENT_MAX_BYTES = 64 * 1024
    return tmp_path


def _stored(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def _client(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _upload(client, report, name, content, content_type="application/pdf"):
    return client.post(
        f"{URL}{report.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        format="multipart",
    )


def _raw_upload(client, report, disposition: str, content: bytes):
    """A multipart body written by hand: the test client would cut a name to its last part."""
    boundary = "----HoaBoundary7MA4YWxk"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; {disposition}\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.generic(
        "POST",
        f"{URL}{report.pk}/attachments/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _nothing_added(media, report) -> None:
    """Goal 12: no attachment row, no history of one, no version bump, no file in storage."""
    assert not ReportAttachment.objects.exists()
    assert not ReportAttachment.history.exists()
    assert ProgressReport.objects.get(pk=report.pk).version == report.version
    assert _stored(media) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", minimal_pdf()),
        ("Report.PDF", minimal_pdf()),
        ("plan.docx", minimal_docx()),
        ("figures.xlsx", minimal_xlsx()),
    ],
)
def test_real_documents_pass(rw, media, name, content):
    report = rw.start()
    response = _upload(_client(rw.fp_fra), report, name, content)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["size"]) == (name, len(content))
    attachment = ReportAttachment.objects.get()
    assert attachment.file.name.startswith("reports/")
    assert name not in attachment.file.name  # the server names the file
    assert len(_stored(media)) == 1


def _google_docs_order(*parts: str) -> bytes:
    """Google Docs writes the document part first and `[Content_Types].xml` last, which is what
    makes libmagic and filetype call such a file a plain zip (python-magic#217, filetype#142)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in parts:
            archive.writestr(part, "<?xml version='1.0' encoding='UTF-8'?><x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param(
            "libreoffice-sample.pdf",
            (FIXTURES / "libreoffice-sample.pdf").read_bytes(),
            id="libreoffice-pdf",
        ),
        pytest.param(
            "libreoffice-sample.docx",
            (FIXTURES / "libreoffice-sample.docx").read_bytes(),
            id="libreoffice-docx",
        ),
        pytest.param(
            "libreoffice-sample.xlsx",
            (FIXTURES / "libreoffice-sample.xlsx").read_bytes(),
            id="libreoffice-xlsx",
        ),
        pytest.param(
            "google.docx",
            _google_docs_order(
                "word/document.xml",
                "word/styles.xml",
                "word/_rels/document.xml.rels",
                "_rels/.rels",
                "[Content_Types].xml",
            ),
            id="google-docs-order-docx",
        ),
        pytest.param(
            "google.xlsx",
            _google_docs_order(
                "xl/workbook.xml",
                "xl/worksheets/sheet1.xml",
                "xl/_rels/workbook.xml.rels",
                "_rels/.rels",
                "[Content_Types].xml",
            ),
            id="google-sheets-order-xlsx",
        ),
    ],
)
def test_real_office_files_pass(rw, media, name, content):
    report = rw.start()
    response = _upload(_client(rw.fp_fra), report, name, content)
    assert response.status_code == 201, response.content
    attachment = ReportAttachment.objects.get()
    assert (attachment.original_name, attachment.size) == (name, len(content))
    assert attachment.file.read() == content


def _many_entries() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "x")
        archive.writestr("word/document.xml", "x")
        for i in range(10_001):
            archive.writestr(f"p/{i}", "")
    return buffer.getvalue()


@functools.cache
def _zip_bomb() -> bytes:
    """101 MiB of zeros deflated to about 100 kB, streamed in so it never sits in memory whole."""
    buffer = io.BytesIO()
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "x")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(101):
                member.write(chunk)
    return buffer.getvalue()


BAD = [
    pytest.param("x.pdf", b"MZ\x90\x00\x03" + b"\0" * 100, id="exe-renamed-pdf"),
    pytest.param("x.pdf", b"<html><script>alert(1)</script></html>", id="html-renamed-pdf"),
    pytest.param("x.pdf", b"<svg xmlns='http://www.w3.org/2000/svg'/>", id="svg-renamed-pdf"),
    pytest.param("x.docx", office_zip("hello.txt"), id="zip-renamed-docx"),
    pytest.param("x.xlsx", minimal_docx(), id="docx-renamed-xlsx"),
    pytest.param("x.docx", b"PK\x03\x04 not really", id="broken-zip"),
    pytest.param("x.exe", minimal_pdf(), id="wrong-extension"),
    pytest.param("x", minimal_pdf(), id="no-extension"),
    pytest.param("x.pdf", b"", id="empty"),
    pytest.param("x.pdf", b"%PDF-" + b"0" * (64 * 1024), id="oversized"),
]


@pytest.mark.parametrize(("name", "content"), BAD)
def test_bad_uploads_are_400_and_store_nothing(rw, media, name, content):
    report = rw.start()
    response = _upload(_client(rw.fp_fra), report, name, content)
    assert response.status_code == 400, response.content
    assert "file" in response.json()
    _nothing_added(media, report)


def test_a_file_over_20_mb_is_400_under_the_default_limit(rw, media, settings):
    """Goal 12 with the limit the settings ship (not the fixture's small one)."""
    settings.REPORT_ATTACHMENT_MAX_BYTES = base_settings.REPORT_ATTACHMENT_MAX_BYTES
    assert settings.REPORT_ATTACHMENT_MAX_BYTES <= 20 * 1024 * 1024
    report = rw.start()
    content = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024 - 8)
    assert len(content) > 20 * 1024 * 1024
    response = _upload(_client(rw.fp_fra), report, "big.pdf", content)
    assert response.status_code == 400
    assert "file" in response.json()
    _nothing_added(media, report)


@pytest.mark.parametrize(
    "content", [pytest.param(_many_entries, id="10k-entries"), pytest.param(_zip_bomb, id="bomb")]
)
def test_oversized_archives_refused(rw, media, settings, content):
    settings.REPORT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    report = rw.start()
    response = _upload(_client(rw.fp_fra), report, "x.docx", content())
    assert response.status_code == 400
    assert "file" in response.json()
    _nothing_added(media, report)


@pytest.mark.parametrize("name", ["../x.pdf", "..\\x.pdf", "a/b.pdf", "..pdf"])
def test_names_with_paths_are_refused(rw, media, name):
    """The service refuses them; over HTTP Django's parser already cuts a name to its last part,
    and the stored name is the server's own in any case."""
    report = rw.start()
    upload = SimpleUploadedFile("x.pdf", minimal_pdf())
    upload._name = name  # bypass UploadedFile's own basename()
    with pytest.raises(ValidationError) as exc:
        attachment_add(report=report, actor=rw.fp_fra, uploaded_file=upload)
    assert "file" in exc.value.message_dict
    assert not ReportAttachment.objects.exists()
    assert _stored(media) == []


@pytest.mark.parametrize(
    "disposition",
    [
        pytest.param('filename="../x.pdf"', id="dot-dot-slash"),
        pytest.param('filename="../../etc/x.pdf"', id="deeper"),
        pytest.param('filename="..\\x.pdf"', id="dot-dot-backslash"),
        pytest.param('filename="C:\\Users\\me\\x.pdf"', id="windows-path"),
        pytest.param('filename="a/b.pdf"', id="folder"),
        pytest.param('filename="/tmp/x.pdf"', id="absolute"),
        pytest.param("filename*=UTF-8''..%2Fx.pdf", id="rfc2231-encoded"),
        pytest.param('filename="..&#47;x.pdf"', id="html-entity"),
    ],
)
def test_names_with_paths_over_http_are_400(rw, media, disposition):
    """Goal 12: Django's parser would hand us `x.pdf`; the API's parser keeps the name sent."""
    report = rw.start()
    response = _raw_upload(_client(rw.fp_fra), report, disposition, minimal_pdf())
    assert response.status_code == 400, response.content
    assert response.json()["file"] == ["The file name must be a plain name, without folders."]
    _nothing_added(media, report)


def test_a_plain_name_over_raw_multipart_passes(rw, media):
    """The hand-written body above is a valid upload when the name is plain."""
    report = rw.start()
    response = _raw_upload(_client(rw.fp_fra), report, 'filename="x.pdf"', minimal_pdf())
    assert response.status_code == 201, response.content
    assert ReportAttachment.objects.get().original_name == "x.pdf"


def test_validate_rewinds_the_file(rw):
    upload = SimpleUploadedFile("x.pdf", minimal_pdf())
    attachment_validate(upload)
    assert upload.read() == minimal_pdf()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 401), ("analyst", 404), ("fp_deu", 404), ("staff", 403), ("fp_fra", 201)],
)
def test_who_may_upload(rw, media, who, expected):
    report = rw.start()
    response = _upload(_client(getattr(rw, who, None)), report, "x.pdf", minimal_pdf())
    assert response.status_code == expected
    assert ReportAttachment.objects.count() == (1 if expected == 201 else 0)


def test_no_upload_once_submitted(rw, media):
    report = report_submit(report=rw.start(), actor=rw.fp_fra)
    response = _upload(_client(rw.fp_fra), report, "x.pdf", minimal_pdf())
    assert response.status_code == 409
    assert _stored(media) == []


# --- Downloads (goal 13) ------------------------------------------------------------------------


@pytest.fixture
def attached(rw, media):
    report = rw.start()
    response = _upload(_client(rw.fp_fra), report, "report.pdf", minimal_pdf())
    return report, response.json()["url"]


@pytest.mark.parametrize("step", ["submitted", "returned"])
def test_unpublished_report_files_stay_404_to_anonymous(rw, attached, client, step):
    """Goal 13: only acceptance publishes; submitted or returned is still private."""
    report, url = attached
    report = report_submit(report=report, actor=rw.fp_fra)
    if step == "returned":
        report_return(report=report, actor=rw.staff, comment="More")
    assert client.get(url).status_code == 404
    client.force_login(rw.fp_fra)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("who", "before", "after"),
    [
        ("anonymous", 404, 200),
        ("analyst", 404, 200),
        ("fp_deu", 404, 200),
        ("fp_fra", 200, 200),
        ("staff", 200, 200),
    ],
)
def test_download_scope(rw, attached, client, who, before, after):
    report, url = attached
    user = getattr(rw, who, None)
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == before
    report_accept(report=report_submit(report=report, actor=rw.fp_fra), actor=rw.staff)
    response = client.get(url)
    assert response.status_code == after
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == minimal_pdf()


def test_attachment_of_another_report_is_404(rw, attached, client):
    report, url = attached
    client.force_login(rw.staff)
    wrong = url.replace(f"/reports/{report.pk}/", f"/reports/{report.pk + 1000}/")
    assert client.get(wrong).status_code == 404
