"""Uploads checked by name, size and content before anything is stored (RELIABILITY goals 12,
13), and downloads that are always attachments."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from cbms.models import ReportAttachment
from cbms.reports import attachment_add, attachment_validate, report_accept, report_submit
from tests.reports.conftest import minimal_docx, minimal_pdf, minimal_xlsx, office_zip

URL = "/api/v1/reports/"


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


def _many_entries() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "x")
        archive.writestr("word/document.xml", "x")
        for i in range(10_001):
            archive.writestr(f"p/{i}", "")
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "x")
        archive.writestr("word/document.xml", b"\0" * (101 * 1024 * 1024))
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
    assert not ReportAttachment.objects.exists()
    assert _stored(media) == []


@pytest.mark.parametrize(
    "content", [pytest.param(_many_entries, id="10k-entries"), pytest.param(_zip_bomb, id="bomb")]
)
def test_oversized_archives_refused(rw, media, settings, content):
    settings.REPORT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    report = rw.start()
    response = _upload(_client(rw.fp_fra), report, "x.docx", content())
    assert response.status_code == 400
    assert "file" in response.json()
    assert not ReportAttachment.objects.exists()
    assert _stored(media) == []


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


def test_traversal_name_over_http_never_leaves_reports_folder(rw, media):
    report = rw.start()
    response = _upload(_client(rw.fp_fra), report, "../../x.pdf", minimal_pdf())
    if response.status_code == 201:
        stored = _stored(media)
        assert len(stored) == 1 and stored[0].parent == media / "reports"
        assert ReportAttachment.objects.get().original_name == "x.pdf"
    else:
        assert response.status_code == 400 and "file" in response.json()


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
