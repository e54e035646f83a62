"""Taking a file off a draft (issue #17), by the edit page and by the API: the row and the stored
file go, the history keeps who did it; a file that went with a submitted version stays."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from cbms.models import ReportAttachment
from cbms.reports.services import (
    ReportChangedError,
    ReportStateError,
    attachment_add,
    attachment_remove,
    report_return,
    report_submit,
)
from tests.reports.conftest import minimal_pdf


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _stored(media) -> list[str]:
    return sorted(p.name for p in media.rglob("*") if p.is_file())


def _attach(rw, report, name="plan.pdf") -> ReportAttachment:
    return attachment_add(
        report=report, actor=rw.fp_fra, uploaded_file=SimpleUploadedFile(name, minimal_pdf())
    )


def _returned_with_a_submitted_file(rw):
    report = rw.start()
    sent = _attach(rw, report, "sent.pdf")
    report = report_submit(report=report, actor=rw.fp_fra)
    report = report_return(report=report, actor=rw.staff, comment="Add the budget.")
    return report, sent


@pytest.mark.django_db(transaction=True)
def test_removing_deletes_the_row_then_the_file_once_committed(rw, media):
    report = rw.start()
    attachment = _attach(rw, report)
    version = report.__class__.objects.get(pk=report.pk).version
    stored = _stored(media)
    assert len(stored) == 1

    with transaction.atomic():
        attachment_remove(
            report=report,
            actor=rw.fp_fra,
            attachment_id=attachment.pk,
            expected_version=version,
        )
        assert _stored(media) == stored  # not before the commit: a rollback would lose it

    assert not ReportAttachment.objects.exists()
    assert _stored(media) == []
    report.refresh_from_db()
    assert report.version == version + 1
    assert report.history.first().history_change_reason == "removed plan.pdf"
    trail = ReportAttachment.history.filter(id=attachment.pk).order_by("history_id")
    assert [h.history_type for h in trail] == ["+", "-"]


@pytest.mark.django_db(transaction=True)
def test_a_removal_rolled_back_keeps_row_and_file(rw, media):
    report = rw.start()
    attachment = _attach(rw, report)

    with pytest.raises(RuntimeError), transaction.atomic():
        attachment_remove(report=report, actor=rw.fp_fra, attachment_id=attachment.pk)
        raise RuntimeError("the request failed later")

    assert ReportAttachment.objects.filter(pk=attachment.pk).exists()
    assert len(_stored(media)) == 1


def test_a_file_sent_with_a_submitted_version_stays(rw, media):
    report, sent = _returned_with_a_submitted_file(rw)
    added_since = _attach(rw, report, "budget.pdf")

    with pytest.raises(ReportStateError, match="sent.pdf went with a submitted version"):
        attachment_remove(report=report, actor=rw.fp_fra, attachment_id=sent.pk)
    attachment_remove(report=report, actor=rw.fp_fra, attachment_id=added_since.pk)

    assert list(report.attachments.values_list("original_name", flat=True)) == ["sent.pdf"]


def test_a_submitted_report_keeps_its_files(rw, media):
    report = rw.start()
    attachment = _attach(rw, report)
    report = report_submit(report=report, actor=rw.fp_fra)

    with pytest.raises(ReportStateError):
        attachment_remove(report=report, actor=rw.fp_fra, attachment_id=attachment.pk)
    assert ReportAttachment.objects.filter(pk=attachment.pk).exists()


@pytest.mark.parametrize("who", ["staff", "fp_deu", "analyst"])
def test_only_the_reporting_country_removes(rw, media, who):
    report = rw.start()
    attachment = _attach(rw, report)
    with pytest.raises(PermissionDenied):
        attachment_remove(report=report, actor=getattr(rw, who), attachment_id=attachment.pk)
    assert ReportAttachment.objects.filter(pk=attachment.pk).exists()


def test_a_stale_version_removes_nothing(rw, media):
    report = rw.start()
    attachment = _attach(rw, report)
    with pytest.raises(ReportChangedError):
        attachment_remove(
            report=report, actor=rw.fp_fra, attachment_id=attachment.pk, expected_version=1
        )
    assert ReportAttachment.objects.filter(pk=attachment.pk).exists()


def test_another_reports_attachment_is_not_found(rw, media):
    report = rw.start()
    other = _attach(rw, rw.start_on_mc1())
    with pytest.raises(ReportAttachment.DoesNotExist):
        attachment_remove(report=report, actor=rw.fp_fra, attachment_id=other.pk)


# --- The edit page -------------------------------------------------------------------------


def test_the_edit_page_offers_removal_of_a_drafts_files_only(rw, media, client):
    report, sent = _returned_with_a_submitted_file(rw)
    added_since = _attach(rw, report, "budget.pdf")
    client.force_login(rw.fp_fra)

    page = client.get(reverse("cbms:report_edit", args=[report.pk])).text

    assert reverse("cbms:report_attachment_remove", args=[report.pk, added_since.pk]) in page
    assert 'aria-label="Remove budget.pdf"' in page
    assert reverse("cbms:report_attachment_remove", args=[report.pk, sent.pk]) not in page
    assert "sent with a submitted version: it stays on the record" in page


def test_removing_by_the_page_says_what_happened(rw, media, client):
    report = rw.start()
    attachment = _attach(rw, report)
    report.refresh_from_db()
    client.force_login(rw.fp_fra)
    url = reverse("cbms:report_attachment_remove", args=[report.pk, attachment.pk])

    response = client.post(url, {"version": report.version}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("cbms:report_edit", args=[report.pk])
    assert "plan.pdf removed from the report on CT, cycle 2." in response.text
    assert not ReportAttachment.objects.exists()


def test_a_stale_page_removes_nothing_and_says_why(rw, media, client):
    report = rw.start()
    attachment = _attach(rw, report)
    client.force_login(rw.fp_fra)
    url = reverse("cbms:report_attachment_remove", args=[report.pk, attachment.pk])

    response = client.post(url, {"version": "1"}, follow=True)

    assert "Nothing was removed: this report was changed by someone else" in response.text
    assert ReportAttachment.objects.filter(pk=attachment.pk).exists()


@pytest.mark.parametrize(("who", "expected"), [("fp_deu", 404), ("staff", 403), (None, 404)])
def test_the_page_refuses_others(rw, media, client, who, expected):
    report = rw.start()
    attachment = _attach(rw, report)
    if who:
        client.force_login(getattr(rw, who))
    url = reverse("cbms:report_attachment_remove", args=[report.pk, attachment.pk])

    assert client.post(url).status_code == expected
    assert ReportAttachment.objects.filter(pk=attachment.pk).exists()


# --- The API ---------------------------------------------------------------------------------


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_removes_with_if_match(rw, media):
    report = rw.start()
    attachment = _attach(rw, report)
    url = f"/api/v1/reports/{report.pk}/attachments/{attachment.pk}/"
    etag = _api(rw.fp_fra).get(f"/api/v1/reports/{report.pk}/")["ETag"]

    stale = _api(rw.fp_fra).delete(url, HTTP_IF_MATCH=f'"{report.pk}.1"')
    assert stale.status_code == 412
    removed = _api(rw.fp_fra).delete(url, HTTP_IF_MATCH=etag)

    assert removed.status_code == 204
    assert not ReportAttachment.objects.exists()
    assert _api(rw.fp_fra).delete(url).status_code == 404
    body = _api(rw.fp_fra).get(f"/api/v1/reports/{report.pk}/").json()
    assert body["attachments"] == []


def test_the_api_answers_409_for_a_submitted_file_and_403_for_others(rw, media):
    report, sent = _returned_with_a_submitted_file(rw)
    url = f"/api/v1/reports/{report.pk}/attachments/{sent.pk}/"

    assert _api(rw.fp_fra).delete(url).status_code == 409
    assert _api(rw.staff).delete(url).status_code == 403
    assert _api(rw.fp_deu).delete(url).status_code == 404
    assert APIClient().delete(url).status_code == 401
    assert ReportAttachment.objects.filter(pk=sent.pk).exists()


def test_a_report_itself_is_never_deleted_by_the_api(rw, media):
    report = rw.start()
    assert _api(rw.fp_fra).delete(f"/api/v1/reports/{report.pk}/").status_code == 405
    assert _api(rw.staff).delete(f"/api/v1/reports/{report.pk}/").status_code == 405
