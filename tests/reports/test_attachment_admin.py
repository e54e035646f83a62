"""The admin links a report's attachment through the portal's checked download, not by its
storage URL under /media/, which nothing serves (issue #15, "Also")."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cbms.models import ReportAttachment
from cbms.reports.services import attachment_add
from tests.reports.conftest import minimal_pdf


@pytest.fixture
def attachment(rw, settings, tmp_path) -> ReportAttachment:
    settings.MEDIA_ROOT = tmp_path
    return attachment_add(
        report=rw.start(),
        actor=rw.fp_fra,
        uploaded_file=SimpleUploadedFile("minutes <1>.pdf", minimal_pdf()),
    )


@pytest.fixture
def admin_client(client, rw):
    rw.staff.is_staff = rw.staff.is_superuser = True
    rw.staff.save()
    client.force_login(rw.staff)
    return client


def _download(attachment) -> str:
    return reverse("cbms:report_attachment", args=[attachment.report_id, attachment.pk])


@pytest.mark.parametrize(
    "page",
    [
        lambda a: reverse("admin:cbms_reportattachment_change", args=[a.pk]),
        lambda a: reverse("admin:cbms_reportattachment_changelist"),
        lambda a: reverse(
            "admin:cbms_reportattachment_simple_history",
            args=[a.pk, a.history.get().history_id],
        ),
    ],
    ids=["change", "changelist", "history-version"],
)
def test_admin_pages_link_the_checked_download(admin_client, attachment, page):
    response = admin_client.get(page(attachment))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{_download(attachment)}"' in html
    assert "/media/" not in html
    assert attachment.file.name not in html  # the server-made storage name stays private
    assert "minutes &lt;1&gt;.pdf" in html


def test_the_link_downloads_the_file(admin_client, attachment):
    response = admin_client.get(_download(attachment))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == minimal_pdf()
