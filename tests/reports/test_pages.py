"""The report pages: scope (404 outside it), the workflow by form posts, the version diff."""

import pytest
from django.urls import reverse

from cbms.models import ProgressReport, ReportAttachment, ReportState
from cbms.reports.services import report_submit
from tests.reports.conftest import minimal_pdf


def _login(client, user):
    if user is not None:
        client.force_login(user)
    return client


def test_list_shows_each_role_its_reports(rw, client):
    report = rw.start(narrative="Draft text")
    url = reverse("cbms:report_list")
    assert (
        reverse("cbms:report_detail", args=[report.pk])
        in _login(client, rw.fp_fra).get(url).content.decode()
    )
    client.logout()
    assert reverse("cbms:report_detail", args=[report.pk]) not in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 404), ("analyst", 404), ("fp_deu", 404), ("fp_fra", 200), ("staff", 200)],
)
def test_draft_detail_scope(rw, client, who, expected):
    report = rw.start()
    response = _login(client, getattr(rw, who, None)).get(
        reverse("cbms:report_detail", args=[report.pk])
    )
    assert response.status_code == expected


@pytest.mark.parametrize(("who", "expected"), [("fp_deu", 404), ("staff", 403), ("fp_fra", 200)])
def test_edit_page_scope(rw, client, who, expected):
    report = rw.start()
    response = _login(client, getattr(rw, who)).get(reverse("cbms:report_edit", args=[report.pk]))
    assert response.status_code == expected


def test_start_edit_attach_submit_by_forms(rw, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _login(client, rw.fp_fra)
    response = client.post(
        reverse("cbms:report_start"), {"cbm": rw.cbm.pk, "conference": rw.mc2.pk}
    )
    report = ProgressReport.objects.get()
    assert response.url == reverse("cbms:report_edit", args=[report.pk])
    a1 = rw.activities[0]
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("cbms:report_edit", args=[report.pk]),
        {
            "narrative": "Progress",
            f"status-{a1.pk}": "completed",
            f"percent-{a1.pk}": "100",
            f"note-{a1.pk}": "Done",
            "file": SimpleUploadedFile("r.pdf", minimal_pdf()),
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.narrative == "Progress"
    assert report.activity_updates.get().status == "completed"
    assert ReportAttachment.objects.count() == 1
    client.post(reverse("cbms:report_submit", args=[report.pk]))
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


def test_bad_upload_by_form_is_400_and_stores_nothing(rw, client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    report = rw.start()
    response = _login(client, rw.fp_fra).post(
        reverse("cbms:report_edit", args=[report.pk]),
        {"narrative": "x", "file": SimpleUploadedFile("r.pdf", b"MZ not a pdf")},
    )
    assert response.status_code == 400
    assert not ReportAttachment.objects.exists()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_review_by_forms(rw, client):
    report = report_submit(report=rw.start(), actor=rw.fp_fra)
    _login(client, rw.staff)
    client.post(reverse("cbms:report_return", args=[report.pk]), {"comment": ""})
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED  # a return needs a comment
    client.post(reverse("cbms:report_return", args=[report.pk]), {"comment": "More."})
    report.refresh_from_db()
    assert report.state == ReportState.RETURNED
    # Not submitted any more: accepting is refused with a message, not a 500.
    response = client.post(reverse("cbms:report_accept", args=[report.pk]), follow=True)
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.state == ReportState.RETURNED


def test_focal_point_cannot_review_by_form(rw, client):
    report = report_submit(report=rw.start(), actor=rw.fp_fra)
    response = _login(client, rw.fp_fra).post(reverse("cbms:report_accept", args=[report.pk]))
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


def test_other_country_cannot_act_by_form(rw, client):
    report = rw.start()
    response = _login(client, rw.fp_deu).post(reverse("cbms:report_submit", args=[report.pk]))
    assert response.status_code == 404


# --- NUL bytes (as every portal page: PolicyMixin) ---------------------------------------------


def _nul_requests(rw, report, attachment):
    pk = report.pk
    return [
        ("get", reverse("cbms:report_list"), {"q": "a\x00b"}),
        ("get", reverse("cbms:report_detail", args=[pk]), {"x\x00": "1"}),
        ("get", reverse("cbms:report_edit", args=[pk]), {"tab": "\x00"}),
        ("post", reverse("cbms:report_edit", args=[pk]), {"narrative": "Bad\x00text"}),
        ("post", reverse("cbms:report_start"), {"cbm": "\x00", "conference": rw.mc1.pk}),
        ("post", reverse("cbms:report_submit", args=[pk]), {"version": "1\x00"}),
        ("post", reverse("cbms:report_accept", args=[pk]), {"comment": "\x00"}),
        ("post", reverse("cbms:report_return", args=[pk]), {"comment": "No\x00"}),
        ("get", reverse("cbms:report_attachment", args=[pk, attachment.pk]), {"dl": "\x00"}),
    ]


@pytest.mark.parametrize("index", range(9))
def test_nul_bytes_are_400_and_change_nothing(rw, client, settings, tmp_path, index):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cbms.reports.services import attachment_add

    settings.MEDIA_ROOT = tmp_path
    report = rw.start(narrative="Clean")
    attachment = attachment_add(
        report=report, actor=rw.fp_fra, uploaded_file=SimpleUploadedFile("r.pdf", minimal_pdf())
    )
    method, url, data = _nul_requests(rw, report, attachment)[index]
    who = rw.staff if "accept" in url or "return" in url else rw.fp_fra
    response = getattr(_login(client, who), method)(url, data)
    assert response.status_code == 400
    assert b"Null characters are not allowed." in response.content
    report.refresh_from_db()
    assert (report.narrative, report.state, report.version) == ("Clean", "draft", 2)
    assert ProgressReport.objects.count() == 1
