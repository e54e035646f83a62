"""Optimistic concurrency (RELIABILITY goal 10b): the API's ETag and If-Match, the edit form's
version. A write based on an older read changes nothing: 412 in the API, a form error on pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from cbms.models import ProgressReport, ReportReview, ReportState
from cbms.reports.services import (
    ReportChangedError,
    report_return,
    report_submit,
    report_update_draft,
)
from tests.members.factories import FocalPointFactory
from tests.reports.conftest import minimal_pdf

URL = "/api/v1/reports/"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _etag(client, report) -> str:
    response = client.get(f"{URL}{report.pk}/")
    assert response.status_code == 200
    return response["ETag"]


def _snapshot(report):
    report = ProgressReport.objects.get(pk=report.pk)
    return (
        report.state,
        report.narrative,
        report.version,
        report.submissions.count(),
        ReportReview.objects.filter(submission__report=report).count(),
        report.attachments.count(),
        report.history.count(),
    )


# --- The ETag -----------------------------------------------------------------------------------


def test_detail_carries_an_etag_of_id_and_version(rw):
    report = rw.start()
    assert _etag(_client(rw.fp_fra), report) == f'"{report.pk}.1"'


def test_every_write_changes_the_etag(rw, media):
    """Edit, upload, submit, return, edit, submit, accept: each answer's ETag is new, and is the
    one a GET gives next."""
    fp, staff = _client(rw.fp_fra), _client(rw.staff)
    response = fp.post(URL, {"cbm": "CT", "conference": 2}, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    seen = [response["ETag"]]
    report = ProgressReport.objects.get(pk=pk)
    steps = [
        lambda: fp.patch(f"{URL}{pk}/", {"narrative": "One"}, format="json"),
        lambda: fp.post(
            f"{URL}{pk}/attachments/",
            {"file": SimpleUploadedFile("a.pdf", minimal_pdf())},
            format="multipart",
        ),
        lambda: fp.post(f"{URL}{pk}/submit/", format="json"),
        lambda: staff.post(f"{URL}{pk}/return/", {"comment": "More"}, format="json"),
        lambda: fp.patch(f"{URL}{pk}/", {"narrative": "Two"}, format="json"),
        lambda: fp.post(f"{URL}{pk}/submit/", format="json"),
        lambda: staff.post(f"{URL}{pk}/accept/", {}, format="json"),
    ]
    for step in steps:
        current = seen[-1]
        response = step()
        assert response.status_code in (200, 201), response.content
        assert _etag(fp, report) not in seen
        if "ETag" in response:
            assert response["ETag"] == _etag(fp, report)
        seen.append(_etag(fp, report))
        assert current != seen[-1]
    assert len(set(seen)) == len(steps) + 1


# --- If-Match in the API ------------------------------------------------------------------------


def _attach(client, pk, **headers):
    return client.post(
        f"{URL}{pk}/attachments/",
        {"file": SimpleUploadedFile("late.pdf", minimal_pdf())},
        format="multipart",
        **headers,
    )


WRITES = {
    "patch": (
        "fp_fra",
        lambda c, pk, **h: c.patch(f"{URL}{pk}/", {"narrative": "Late"}, format="json", **h),
    ),
    "submit": ("fp_fra", lambda c, pk, **h: c.post(f"{URL}{pk}/submit/", format="json", **h)),
    "attachments": ("fp_fra", _attach),
    "accept": ("staff", lambda c, pk, **h: c.post(f"{URL}{pk}/accept/", {}, format="json", **h)),
    "return": (
        "staff",
        lambda c, pk, **h: c.post(f"{URL}{pk}/return/", {"comment": "x"}, format="json", **h),
    ),
}


def _ready(rw, write: str):
    """A report the write may be applied to: a draft, or a submitted one for a review."""
    report = rw.start(narrative="Mine")
    if write in ("accept", "return"):
        report = report_submit(report=report, actor=rw.fp_fra)
    return report


def _someone_else_writes(rw, report, write: str) -> None:
    """Another French focal point edits the draft; or another reviewer returns the submitted
    report and France resubmits it, so the step is still allowed, only the version is new."""
    if write in ("accept", "return"):
        report_return(report=report, actor=rw.staff2, comment="First look")
        report_submit(report=report, actor=rw.fp_fra)
    else:
        colleague = FocalPointFactory(country=rw.france)
        report_update_draft(report=report, actor=colleague, narrative="Theirs")


@pytest.mark.parametrize("write", WRITES)
def test_a_write_with_a_stale_if_match_is_412_and_changes_nothing(rw, media, write):
    who, call = WRITES[write]
    report = _ready(rw, write)
    client = _client(getattr(rw, who))
    stale = _etag(client, report)
    _someone_else_writes(rw, report, write)
    before = _snapshot(report)
    response = call(client, report.pk, HTTP_IF_MATCH=stale)
    assert response.status_code == 412, response.content
    detail = response.json()["detail"]
    assert "changed since you read it" in detail
    assert f'"{report.pk}.{before[2]}"' in detail  # the current ETag, to fetch and retry
    assert _snapshot(report) == before
    assert not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.parametrize("write", WRITES)
def test_a_write_with_the_current_if_match_or_none_succeeds(rw, media, write):
    who, call = WRITES[write]
    report = _ready(rw, write)
    client = _client(getattr(rw, who))
    current = _etag(client, report)
    response = call(client, report.pk, HTTP_IF_MATCH=current)
    assert response.status_code in (200, 201), response.content
    assert _snapshot(report)[2] == int(current.strip('"').split(".")[1]) + 1


def test_without_if_match_a_write_is_not_checked(rw):
    report = rw.start()
    report_update_draft(report=report, actor=rw.fp_fra, narrative="Someone else")
    response = _client(rw.fp_fra).patch(f"{URL}{report.pk}/", {"narrative": "Mine"}, format="json")
    assert response.status_code == 200
    assert ProgressReport.objects.get().narrative == "Mine"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("*", 200),
        ('"{pk}.1", "{pk}.2"', 200),  # a list matches if one tag does
        ('"{pk}.2"', 200),
        ('"{pk}.1"', 412),
        ('W/"{pk}.2"', 412),  # If-Match compares strongly: a weak tag never matches
        ('"{other}.2"', 412),  # another report's tag
        ("{pk}.2", 412),  # unquoted
        ('"{pk}.²"', 412),
        ('"{pk}.' + "9" * 5000 + '"', 412),  # too long for int(): refused, never a 500
        ("", 412),
        ("garbage", 412),
    ],
)
def test_if_match_forms(rw, header, expected):
    report = rw.start()
    report_update_draft(report=report, actor=rw.fp_fra, narrative="v2")
    response = _client(rw.fp_fra).patch(
        f"{URL}{report.pk}/",
        {"narrative": "v3"},
        format="json",
        HTTP_IF_MATCH=header.format(pk=report.pk, other=report.pk + 1),
    )
    assert response.status_code == expected, response.content
    assert ProgressReport.objects.get().narrative == ("v3" if expected == 200 else "v2")


@pytest.mark.parametrize(("who", "expected"), [("fp_deu", 404), ("staff", 403), ("analyst", 404)])
def test_scope_and_role_come_before_the_precondition(rw, who, expected):
    report = rw.start(narrative="Mine")
    response = _client(getattr(rw, who)).patch(
        f"{URL}{report.pk}/", {"narrative": "x"}, format="json", HTTP_IF_MATCH='"0.0"'
    )
    assert response.status_code == expected
    assert ProgressReport.objects.get().narrative == "Mine"


def test_service_refuses_a_stale_version(rw):
    report = rw.start(narrative="Mine")
    with pytest.raises(ReportChangedError):
        report_submit(report=report, actor=rw.fp_fra, expected_version=2)
    assert ProgressReport.objects.get().state == ReportState.DRAFT
    assert report_submit(report=report, actor=rw.fp_fra, expected_version={1, 5}).version == 2


def test_schema_documents_if_match_etag_and_412(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    detail = schema["paths"]["/api/v1/reports/{id}/"]
    assert "ETag" in detail["get"]["responses"]["200"]["headers"]
    for operation in (
        detail["patch"],
        *(
            schema["paths"][f"/api/v1/reports/{{id}}/{name}/"]["post"]
            for name in ("submit", "accept", "return", "attachments")
        ),
    ):
        assert {"in": "header", "name": "If-Match"}.items() <= next(
            p for p in operation["parameters"] if p["name"] == "If-Match"
        ).items()
        assert "412" in operation["responses"]


# --- The edit form ------------------------------------------------------------------------------


def _form(rw, report, **extra):
    a1 = rw.activities[0]
    return {
        "narrative": "What I typed",
        f"status-{a1.pk}": "delayed",
        f"percent-{a1.pk}": "10",
        f"note-{a1.pk}": "my note",
        **extra,
    }


def test_edit_form_carries_the_version(rw, client):
    report = rw.start()
    client.force_login(rw.fp_fra)
    html = client.get(reverse("cbms:report_edit", args=[report.pk])).content.decode()
    assert '<input type="hidden" name="version" value="1">' in html
    assert "saved-narrative" not in html  # only after a conflict


def test_stale_edit_form_saves_nothing_and_keeps_what_was_typed(rw, client, media):
    report = rw.start(narrative="Original")
    client.force_login(rw.fp_fra)
    url = reverse("cbms:report_edit", args=[report.pk])
    # Someone else saves while the form is open at version 1.
    report_update_draft(report=report, actor=rw.fp_fra, narrative="Theirs")
    before = _snapshot(report)
    response = client.post(
        url,
        _form(rw, report, version="1", file=SimpleUploadedFile("r.pdf", minimal_pdf())),
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else since you opened it" in html
    assert "What I typed</textarea>" in html and 'value="my note"' in html
    # The other person's text, as saved, is shown beside it, to merge by hand.
    assert '<div class="saved-narrative">Theirs</div>' in html
    assert '<input type="hidden" name="version" value="2">' in html
    assert _snapshot(report) == before
    assert not report.activity_updates.exists()
    assert not any(p.is_file() for p in media.rglob("*"))
    # Saving again, now knowingly over the other change, works.
    response = client.post(url, _form(rw, report, version="2"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.narrative, report.version) == ("What I typed", 3)


@pytest.mark.parametrize("version", ["junk", "-1", "99"])
def test_a_mangled_version_is_stale(rw, client, version):
    report = rw.start(narrative="Original")
    client.force_login(rw.fp_fra)
    response = client.post(
        reverse("cbms:report_edit", args=[report.pk]), _form(rw, report, version=version)
    )
    assert response.status_code == 409
    assert ProgressReport.objects.get().narrative == "Original"


def test_a_refused_file_undoes_the_whole_form(rw, client, media):
    report = rw.start(narrative="Original")
    client.force_login(rw.fp_fra)
    response = client.post(
        reverse("cbms:report_edit", args=[report.pk]),
        _form(rw, report, version="1", file=SimpleUploadedFile("r.pdf", b"MZ not a pdf")),
    )
    assert response.status_code == 400
    assert "What I typed</textarea>" in response.content.decode()
    report.refresh_from_db()
    assert (report.narrative, report.version) == ("Original", 1)
    assert not report.activity_updates.exists()


@pytest.mark.parametrize(("action", "who"), [("submit", "fp_fra"), ("accept", "staff")])
def test_stale_action_form_does_nothing(rw, client, action, who):
    write = "accept" if action == "accept" else "submit"
    report = _ready(rw, write)
    client.force_login(getattr(rw, who))
    stale = ProgressReport.objects.get().version
    _someone_else_writes(rw, report, write)
    before = _snapshot(report)
    url = reverse(f"cbms:report_{action}", args=[report.pk])
    response = client.post(url, {"version": str(stale)}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "changed by someone else since you opened it" in html
    assert _snapshot(report) == before
    # The detail page it lands on carries the current version: from there the step works.
    assert f'name="version" value="{before[2]}"' in html
    client.post(url, {"version": str(before[2])})
    assert ProgressReport.objects.get().state == (
        ReportState.SUBMITTED if action == "submit" else ReportState.ACCEPTED
    )
