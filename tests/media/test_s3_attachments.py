"""Attachments on S3-compatible object storage (issue #16): uploads through the API and the
portal land in the bucket and nowhere on local disk, refused ones add nothing, downloads still
go through the checked view and stream the object with the headers a file on disk gets, and the
hourly sweep finds orphans in the bucket."""

import datetime as dt
import gzip
from unittest import mock

import pytest
from botocore.response import StreamingBody
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cbms.models import ReportAttachment
from cbms.reports.attachments import attachment_open, attachment_orphans_delete
from cbms.reports.services import attachment_add
from hoa_portal.settings.base import media_storage
from tests.reports.conftest import minimal_docx, minimal_pdf

PER_REQUEST = {"X-Request-ID", "Date"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _api_upload(rw, report, name: str, content: bytes):
    client = APIClient()
    client.force_authenticate(rw.fp_fra)
    return client.post(
        f"/api/v1/reports/{report.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def _portal_upload(rw, client, report, name: str, content: bytes):
    client.force_login(rw.fp_fra)
    return client.post(
        reverse("cbms:report_edit", args=[report.pk]),
        {"narrative": "Progress", "file": SimpleUploadedFile(name, content)},
    )


def _download(client, attachment, **headers):
    return client.get(
        reverse("cbms:report_attachment", args=[attachment.report_id, attachment.pk]), **headers
    )


def _lasting(response) -> dict:
    """The headers, but those that differ from one request to the next."""
    return {name: value for name, value in response.headers.items() if name not in PER_REQUEST}


def test_an_api_upload_lands_in_the_bucket_only(rw, bucket):
    report = rw.start()
    document = minimal_docx()  # made anew each time, with the time of day in it
    response = _api_upload(rw, report, "minutes.docx", document)
    assert response.status_code == 201, response.content
    attachment = ReportAttachment.objects.get()
    assert attachment.file.name.startswith("reports/") and attachment.file.name.endswith(".docx")
    assert bucket.names() == [attachment.file.name]
    assert bucket.read(attachment.file.name) == document
    assert attachment.content_type == DOCX and attachment.size == len(document)
    assert bucket.local_files() == []
    # The API answers with the checked download's address, never the bucket's.
    assert bucket.name not in response.content.decode()


def test_a_portal_upload_lands_in_the_bucket_only(rw, bucket, client):
    report = rw.start()
    response = _portal_upload(rw, client, report, "minutes.pdf", minimal_pdf())
    assert response.status_code == 302
    attachment = ReportAttachment.objects.get()
    assert bucket.names() == [attachment.file.name]
    assert bucket.read(attachment.file.name) == minimal_pdf()
    assert bucket.local_files() == []
    page = client.get(reverse("cbms:report_detail", args=[report.pk])).content.decode()
    assert reverse("cbms:report_attachment", args=[report.pk, attachment.pk]) in page
    assert bucket.name not in page and attachment.file.name not in page


def test_refused_uploads_add_nothing_to_the_bucket(rw, bucket, client):
    report = rw.start()
    assert _api_upload(rw, report, "r.pdf", b"MZ not a pdf").status_code == 400
    assert _api_upload(rw, report, "r.exe", minimal_pdf()).status_code == 400
    assert _portal_upload(rw, client, report, "r.pdf", b"MZ not a pdf").status_code == 400
    assert bucket.names() == []
    assert not ReportAttachment.objects.exists()
    assert bucket.local_files() == []


def test_a_failed_row_write_deletes_the_object_again(rw, bucket):
    """The service's own clean-up (file stored, then its row refused) works on a bucket too."""
    report = rw.start()
    with (
        mock.patch.object(ReportAttachment, "save", side_effect=DatabaseError("disk full")),
        pytest.raises(DatabaseError),
    ):
        attachment_add(
            report=report,
            actor=rw.fp_fra,
            uploaded_file=SimpleUploadedFile("r.pdf", minimal_pdf()),
        )
    assert bucket.names() == []


def _body(response) -> bytes:
    body = b"".join(response.streaming_content)
    return gzip.decompress(body) if response.get("Content-Encoding") == "gzip" else body


@pytest.mark.parametrize("accept_encoding", ["", "gzip"])
def test_the_download_streams_the_object_with_the_headers_of_a_file_on_disk(
    rw, bucket, client, settings, tmp_path, accept_encoding
):
    report = rw.start()
    client.force_login(rw.fp_fra)
    on_s3 = attachment_add(
        report=report,
        actor=rw.fp_fra,
        uploaded_file=SimpleUploadedFile("minutes <1>.pdf", minimal_pdf()),
    )
    stream, size = attachment_open(on_s3)
    assert isinstance(stream, StreamingBody)  # read as it is sent, not copied whole first
    assert size == len(minimal_pdf())
    stream.close()
    from_s3 = _download(client, on_s3, HTTP_ACCEPT_ENCODING=accept_encoding)

    settings.MEDIA_ROOT = tmp_path / "disk"
    settings.STORAGES = {**settings.STORAGES, "default": media_storage("")}
    on_disk = attachment_add(
        report=report,
        actor=rw.fp_fra,
        uploaded_file=SimpleUploadedFile("minutes <1>.pdf", minimal_pdf()),
    )
    assert (tmp_path / "disk" / on_disk.file.name).read_bytes() == minimal_pdf()
    from_disk = _download(client, on_disk, HTTP_ACCEPT_ENCODING=accept_encoding)

    assert from_s3.status_code == from_disk.status_code == 200
    assert _body(from_s3) == _body(from_disk) == minimal_pdf()
    assert _lasting(from_s3) == _lasting(from_disk)
    assert from_s3["Content-Type"] == "application/pdf"
    assert from_s3["Content-Disposition"].startswith("attachment;")
    if not accept_encoding:  # gzip's length is known only once sent
        assert from_s3["Content-Length"] == str(len(minimal_pdf()))


def test_the_download_is_still_checked_and_a_lost_object_is_404(rw, bucket, client):
    report = rw.start()
    attachment = attachment_add(
        report=report, actor=rw.fp_fra, uploaded_file=SimpleUploadedFile("r.pdf", minimal_pdf())
    )
    client.force_login(rw.fp_deu)  # another country's focal point: not in scope
    assert _download(client, attachment).status_code == 404
    client.force_login(rw.fp_fra)
    assert _download(client, attachment).status_code == 200
    bucket.client.delete_object(Bucket=bucket.name, Key=attachment.file.name)
    assert _download(client, attachment).status_code == 404


def test_the_orphan_sweep_deletes_old_orphans_in_the_bucket_and_keeps_the_rest(rw, bucket):
    report = rw.start()
    kept = [
        attachment_add(
            report=report, actor=rw.fp_fra, uploaded_file=SimpleUploadedFile(name, minimal_pdf())
        ).file.name
        for name in ("a.pdf", "b.pdf")
    ]
    bucket.put("reports/0rphan.pdf", b"left by a rolled-back request")
    bucket.put("reports/older/nested.pdf", b"in a folder below")
    bucket.put("exports/not-an-attachment.csv", b"outside the attachments' folder")

    assert attachment_orphans_delete() == []  # all younger than an hour
    later = timezone.now() + dt.timedelta(hours=2)
    deleted = attachment_orphans_delete(now=later)
    assert sorted(deleted) == ["reports/0rphan.pdf", "reports/older/nested.pdf"]
    assert bucket.names() == sorted([*kept, "exports/not-an-attachment.csv"])
    assert attachment_orphans_delete(now=later) == []


def test_the_sweep_skips_an_object_deleted_while_it_runs(rw, bucket):
    """S3 says "gone" with a ClientError, not FileNotFoundError: another sweep got there first."""
    bucket.put("reports/still-here.pdf", b"orphan")
    storage = default_storage
    listed = storage.listdir("reports")
    with mock.patch.object(
        type(storage._wrapped),
        "listdir",
        return_value=(listed[0], [*listed[1], "gone-meanwhile.pdf"]),
    ):
        deleted = attachment_orphans_delete(now=timezone.now() + dt.timedelta(hours=2))
    assert deleted == ["reports/still-here.pdf"]
    assert bucket.names() == []
