"""/api/v1/reports/: scope, roles, the workflow actions and the read-only fields (SPEC §6;
RELIABILITY goals 4, 5, 7)."""

import pytest
from rest_framework.test import APIClient

from cbms.models import ProgressReport, ReportState, ReportSubmission
from cbms.reports.services import report_accept, report_submit

URL = "/api/v1/reports/"


@pytest.fixture
def client_as(rw):
    def make(who):
        client = APIClient()
        if who != "anonymous":
            client.force_authenticate(getattr(rw, who))
        return client

    return make


def _body(rw, **extra):
    return {
        "cbm": "CT",
        "conference": 2,
        "narrative": "So far so good.",
        "activities": [
            {"activity": rw.activities[0].pk, "status": "in_progress", "percent": 40, "note": "x"}
        ],
        **extra,
    }


def test_focal_point_creates_a_draft(rw, client_as):
    response = client_as("fp_fra").post(URL, _body(rw), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["country"] == "FRA"
    assert body["state"] == "draft"
    assert body["cbm"] == "CT" and body["conference"] == 2
    assert body["activities"] == [
        {"activity": rw.activities[0].pk, "status": "in_progress", "percent": 40, "note": "x"}
    ]
    assert body["versions"] == 0 and body["attachments"] == []


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 401), ("analyst", 403), ("fp_deu", 403), ("staff", 403)],
)
def test_others_cannot_create(rw, client_as, who, expected):
    response = client_as(who).post(URL, _body(rw), format="json")
    assert response.status_code == expected
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("country", ["DEU", "ZZZ", ""])
def test_creating_for_another_country_is_400(rw, client_as, country):
    """Goal 5: a French focal point asking for a German (or no real) country's report gets 400
    with a field error; no report is written."""
    response = client_as("fp_fra").post(URL, _body(rw, country=country), format="json")
    assert response.status_code == 400, response.content
    assert "country" in response.json()
    assert ProgressReport.objects.count() == 0


def test_naming_ones_own_country_is_fine(rw, client_as):
    response = client_as("fp_fra").post(URL, _body(rw, country="FRA"), format="json")
    assert response.status_code == 201
    assert ProgressReport.objects.get().country == rw.france


def test_german_focal_point_cannot_report_for_france(rw, client_as):
    response = client_as("fp_deu").post(URL, _body(rw, country="FRA"), format="json")
    assert response.status_code == 403
    assert ProgressReport.objects.count() == 0


@pytest.mark.parametrize(
    "item",
    [
        {"status": "finished", "percent": 10},
        {"status": "delayed", "percent": 101},
        {"status": "delayed", "percent": -5},
    ],
)
def test_bad_activities_are_400(rw, client_as, item):
    body = _body(rw, activities=[{"activity": rw.activities[0].pk, **item}])
    response = client_as("fp_fra").post(URL, body, format="json")
    assert response.status_code == 400
    assert "activities" in response.json()
    assert not ProgressReport.objects.exists()


def test_unknown_activity_is_400(rw, client_as):
    body = _body(rw, activities=[{"activity": 999999, "status": "delayed", "percent": 5}])
    response = client_as("fp_fra").post(URL, body, format="json")
    assert response.status_code == 400
    assert "activities" in response.json()


def test_conference_without_a_cycle_is_400(rw, client_as):
    from tests.conferences.factories import ConferenceFactory

    ConferenceFactory(number=9, date=None, year=2030, status="planned")
    response = client_as("fp_fra").post(URL, _body(rw, conference=9), format="json")
    assert response.status_code == 400
    assert "conference" in response.json()


def test_patch_ignores_read_only_fields(rw, client_as):
    """Goal 7: state, created_by (and a stray submitted_at) never change by PATCH."""
    report = rw.start(narrative="Before")
    response = client_as("fp_fra").patch(
        f"{URL}{report.pk}/",
        {
            "narrative": "After",
            "state": "accepted",
            "status": "accepted",
            "created_by": rw.staff.pk,
            "submitted_at": "2020-01-01T00:00:00Z",
            "cbm": "ZZ",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert report.narrative == "After"
    assert (report.state, report.country, report.created_by) == ("draft", rw.france, rw.fp_fra)
    assert report.cbm == rw.cbm


@pytest.mark.parametrize("country", ["DEU", "ZZZ"])
def test_patch_changing_the_country_is_400(rw, client_as, country):
    """Goal 5: France's report never becomes Germany's; the rest of the PATCH is not applied."""
    report = rw.start(narrative="Before")
    response = client_as("fp_fra").patch(
        f"{URL}{report.pk}/", {"country": country, "narrative": "After"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "country" in response.json()
    report.refresh_from_db()
    assert (report.country, report.narrative, report.version) == (rw.france, "Before", 1)
    assert ProgressReport.objects.count() == 1


def test_patch_repeating_the_country_is_fine(rw, client_as):
    report = rw.start()
    response = client_as("fp_fra").patch(
        f"{URL}{report.pk}/", {"country": "FRA", "narrative": "Same country"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["country"] == "FRA"


def test_patch_replaces_activities(rw, client_as):
    report = rw.start()
    acts = [{"activity": a.pk, "status": "completed", "percent": 100} for a in rw.activities]
    response = client_as("fp_fra").patch(f"{URL}{report.pk}/", {"activities": acts}, format="json")
    assert response.status_code == 200
    assert [a["status"] for a in response.json()["activities"]] == ["completed", "completed"]


def test_patch_of_a_submitted_report_is_409(rw, client_as):
    report = report_submit(report=rw.start(narrative="Sent"), actor=rw.fp_fra)
    response = client_as("fp_fra").patch(f"{URL}{report.pk}/", {"narrative": "x"}, format="json")
    assert response.status_code == 409
    assert "submitted" in response.json()["detail"]
    report.refresh_from_db()
    assert report.narrative == "Sent"


# --- Scope (goal 4) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "draft", "accepted"),
    [
        ("anonymous", 404, 200),
        ("analyst", 404, 200),
        ("fp_fra", 200, 200),
        ("fp_deu", 404, 200),
        ("staff", 200, 200),
    ],
)
def test_who_sees_what(rw, client_as, who, draft, accepted):
    report = rw.start()
    client = client_as(who)
    assert client.get(f"{URL}{report.pk}/").status_code == draft
    assert client.get(URL).json()["count"] == (1 if draft == 200 else 0)
    report_accept(report=report_submit(report=report, actor=rw.fp_fra), actor=rw.staff)
    assert client.get(f"{URL}{report.pk}/").status_code == accepted
    assert client.get(URL).json()["count"] == 1


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("patch", "", {"narrative": "hijack"}),
        ("delete", "", None),
        ("post", "submit/", {}),
        ("get", "versions/", None),
        ("post", "accept/", {}),
        ("post", "return/", {"comment": "no"}),
    ],
)
def test_other_country_gets_404_and_nothing_changes(rw, client_as, method, suffix, payload):
    report = rw.start(narrative="Mine")
    call = getattr(client_as("fp_deu"), method)
    response = call(f"{URL}{report.pk}/{suffix}", payload, format="json")
    assert response.status_code in (404, 405)
    if method != "delete":
        assert response.status_code == 404
    report.refresh_from_db()
    assert (report.narrative, report.state) == ("Mine", "draft")


def test_delete_and_put_are_not_allowed(rw, client_as):
    report = rw.start()
    client = client_as("staff")
    assert client.delete(f"{URL}{report.pk}/").status_code == 405
    assert client.put(f"{URL}{report.pk}/", {}, format="json").status_code == 405
    assert ProgressReport.objects.count() == 1


# --- Actions ------------------------------------------------------------------------------------


def test_full_journey_through_the_api(rw, client_as):
    fp, staff = client_as("fp_fra"), client_as("staff")
    pk = fp.post(URL, _body(rw), format="json").json()["id"]
    assert staff.post(f"{URL}{pk}/accept/", {}, format="json").status_code == 409
    response = fp.post(f"{URL}{pk}/submit/", {}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    assert fp.post(f"{URL}{pk}/submit/", {}, format="json").status_code == 409
    assert fp.post(f"{URL}{pk}/accept/", {}, format="json").status_code == 403
    response = staff.post(f"{URL}{pk}/return/", {"comment": ""}, format="json")
    assert response.status_code == 400 and "comment" in response.json()
    response = staff.post(f"{URL}{pk}/return/", {"comment": "More detail"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "returned"
    assert fp.patch(f"{URL}{pk}/", {"narrative": "Better."}, format="json").status_code == 200
    assert fp.post(f"{URL}{pk}/submit/", {}, format="json").json()["versions"] == 2
    response = staff.post(f"{URL}{pk}/accept/", {"comment": "Thanks"}, format="json")
    assert response.json()["state"] == "accepted"
    versions = fp.get(f"{URL}{pk}/versions/").json()
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[0]["narrative"] == "So far so good." and versions[1]["narrative"] == "Better."
    assert versions[0]["reviews"][0]["decision"] == "returned"
    assert versions[1]["reviews"][0]["comment"] == "Thanks"
    assert ReportSubmission.objects.count() == 2
    # Accepted: public.
    assert client_as("anonymous").get(f"{URL}{pk}/versions/").status_code == 200


def test_filters(rw, client_as):
    report = rw.start()
    staff = client_as("staff")
    assert staff.get(URL, {"state": "draft", "cbm": "CT", "country": "FRA"}).json()["count"] == 1
    assert staff.get(URL, {"state": "accepted"}).json()["count"] == 0
    assert staff.get(URL, {"versions": 0, "conference": 2}).json()["count"] == 1
    assert staff.get(URL, {"id": report.pk}).json()["count"] == 1


def test_csv_export(rw, client_as):
    rw.start()
    response = client_as("staff").get(URL, {"format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # UTF-8 with a BOM
    assert body.startswith("id,cbm,conference,country,state")


def test_list_queries_do_not_grow(rw, client_as, django_assert_max_num_queries):
    from tests.cbms.factories import CBMFactory, LeadRoleFactory

    for code in ("A1", "A2", "A3"):
        cbm = CBMFactory(code=code)
        LeadRoleFactory(cbm=cbm, country=rw.france, since=rw.cbm.approved_on)
        from cbms.reports.services import report_start

        report_start(cbm=cbm, conference=rw.mc2, actor=rw.fp_fra)
    client = client_as("staff")
    with django_assert_max_num_queries(8):
        assert client.get(URL).json()["count"] == 3


def test_concurrent_state_error_is_409_not_500(rw, client_as):
    report = report_submit(report=rw.start(), actor=rw.fp_fra)
    report_accept(report=report, actor=rw.staff)
    response = client_as("staff2").post(f"{URL}{report.pk}/accept/", {}, format="json")
    assert response.status_code == 409
    assert ProgressReport.objects.get().state == ReportState.ACCEPTED
