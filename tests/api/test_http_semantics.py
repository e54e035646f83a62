"""Predictable HTTP answers (issue #13): JSON for every error under /api/, 405 with `Allow`,
one form for every moment, 409 for a delete that other records stand in the way of, a whole
activity update on PATCH, and compressed, conditional responses."""

import datetime as dt
import gzip
import json
import re

import pytest
from django.urls import reverse
from knox.models import AuthToken
from rest_framework import serializers

from cbms.models import CBMName, Obligation, ProgressReport
from cbms.reports.services import report_accept, report_start, report_submit
from conferences.models import Article, Declaration, Meeting
from hoa_portal.api.timestamps import UTCDateTimeField
from hoa_portal.api_urls import router
from members.models import Notification, Participation
from organizations.models import Membership
from tests.api.conftest import snapshot, token_client
from tests.cbms.factories import ActivityFactory, PlanVersionFactory, PriorityAreaFactory

MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate"}


def fp(world):
    """France's focal point: France leads CT, so it writes CT's reports."""
    return world.users["fp_lead"]


# --- JSON everywhere under /api/ ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/",
        "/api/v1/nothing/",
        "/api/v1/meetings/0/",
        "/api/schema/x",
        "/api/docs/x",
        "/api/v1/cbms/NOPE/compliance/",
        "/api/v1/auth/token/x",
    ],
)
def test_an_unknown_api_address_is_a_json_404(analyst, path):
    response = analyst.get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/api/v1/meetings/", {"GET", "POST", "HEAD", "OPTIONS"}),
        ("delete", "/api/v1/cbm-roles/", {"GET", "POST", "HEAD", "OPTIONS"}),
        ("post", "/api/v1/meetings/{som}/", {"GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}),
        ("delete", "/api/v1/reports/{report}/", {"GET", "PATCH", "HEAD", "OPTIONS"}),
        ("get", "/api/v1/reports/{report}/submit/", {"POST", "OPTIONS"}),
        ("get", "/api/v1/auth/token/", {"POST", "OPTIONS"}),
        ("post", "/api/schema/", {"GET", "HEAD", "OPTIONS"}),
        ("post", "/api/docs/", {"GET", "HEAD", "OPTIONS"}),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_method_the_resource_lacks_is_a_json_405_with_allow(world, staff, method, path, allowed):
    report = report_start(cbm=world.cbm, conference=world.held_conference, actor=fp(world))
    path = path.format(som=world.som.pk, report=report.pk)

    response = getattr(staff, method)(path)

    assert response.status_code == 405, response.content
    assert response["Content-Type"].startswith("application/json")
    assert method.upper() in response.json()["detail"]
    assert set(response["Allow"].replace(" ", "").split(",")) == allowed


@pytest.mark.parametrize("prefix", [prefix for prefix, _, _ in router.registry])
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_no_list_takes_a_whole_list_write(staff, prefix, method):
    response = getattr(staff, method)(f"/api/v1/{prefix}/")

    # Who may write comes before which methods exist (DRF's order, the role matrix's): nobody
    # writes an obligation, so the secretariat's write is refused as any write of theirs would be.
    assert response.status_code == (403 if prefix == "obligations" else 405)
    assert response.json()["detail"]
    assert method.upper() not in response["Allow"]


# --- One form for every moment ------------------------------------------------------------------

KABUL_MORNING = dt.datetime(2026, 12, 3, 6, 30, 0, 123456, tzinfo=dt.UTC)  # 11:00:00.123 in Kabul


def test_a_notice_is_dated_in_utc_to_the_second(world):
    reader = world.users["analyst"]
    notice = Notification.objects.create(
        recipient=reader, channel="portal", event_key="t", subject="s", body="b", link="/"
    )
    Notification.objects.filter(pk=notice.pk).update(created_at=KABUL_MORNING)
    client = token_client(reader)

    listed = client.get("/api/v1/notifications/").json()["results"][0]["created_at"]
    marked = client.post(f"/api/v1/notifications/{notice.pk}/read/").json()["created_at"]

    assert listed == marked == "2026-12-03T06:30:00Z"


def test_a_token_expires_at_a_moment_in_utc(world):
    response = token_client(None).post(
        "/api/v1/auth/token/", {"username": "analyst", "password": "pass-word-123"}, format="json"
    )

    assert response.status_code == 200, response.content
    expiry = response.json()["expiry"]
    assert MOMENT.fullmatch(expiry), expiry
    stored = AuthToken.objects.get(user=world.users["analyst"]).expiry
    assert dt.datetime.fromisoformat(expiry) == stored.replace(microsecond=0)


def test_a_submission_and_its_review_are_dated_in_utc(world):
    report = report_start(cbm=world.cbm, conference=world.held_conference, actor=fp(world))
    report_submit(report=report, actor=fp(world))
    report_accept(report=report, actor=world.users["secretariat"], comment="Thanks")
    submission = report.submissions.get()

    body = token_client(fp(world)).get(f"/api/v1/reports/{report.pk}/versions/").json()

    assert body[0]["submitted_at"] == submission.submitted_at.astimezone(dt.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert MOMENT.fullmatch(body[0]["reviews"][0]["at"]), body[0]["reviews"]


def test_dates_stay_calendar_dates(world, analyst):
    body = analyst.get(f"/api/v1/meetings/{world.rtg.pk}/").json()
    assert body["date"] == "2015-03-01"


def _serializers():
    """Every serializer class the project declares, once the API's modules are loaded."""
    from rest_framework.serializers import BaseSerializer

    found, todo = set(), [BaseSerializer]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in {"members", "organizations", "conferences", "cbms"}:
                found.add(sub)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _moment_fields(serializer, path=""):
    for name, field in serializer.fields.items():
        child = getattr(field, "child", field)
        if hasattr(child, "fields"):
            yield from _moment_fields(child, f"{path}{name}.")
        elif isinstance(child, serializers.DateTimeField):
            yield f"{path}{name}", child


def test_the_walk_finds_the_moments_the_api_writes():
    found = {
        f"{cls.__qualname__}.{name}" for cls in _serializers() for name, _ in _moment_fields(cls())
    }
    assert {"NotificationOut.created_at", "SubmissionOut.submitted_at"} <= found


@pytest.mark.parametrize("serializer_class", _serializers(), ids=lambda cls: cls.__qualname__)
def test_every_moment_a_serializer_writes_goes_through_the_one_field(serializer_class):
    wrong = [
        name
        for name, field in _moment_fields(serializer_class())
        if not isinstance(field, UTCDateTimeField)
    ]
    assert not wrong, f"{serializer_class.__qualname__}: {wrong} would keep Kabul's offset"


# --- 409: what refers to a record keeps it ------------------------------------------------------


def _refused(staff, path: str) -> dict:
    before = snapshot(), Declaration.objects.count(), Article.objects.count()

    response = staff.delete(path)

    assert response.status_code == 409, response.content
    assert (snapshot(), Declaration.objects.count(), Article.objects.count()) == before
    return response.json()


def test_a_country_others_refer_to_is_a_409_naming_them(world, staff):
    body = _refused(staff, "/api/v1/countries/FRA/")

    assert body["referenced_by"] == [
        {"model": "cbms.cbmrole", "count": 1},
        {"model": "conferences.meeting", "count": 1},
        {"model": "conferences.ministerialconference", "count": 1},
        {"model": "members.user", "count": 1},
    ]
    assert "1 CBM role" in body["detail"] and "1 meeting" in body["detail"]


def test_a_cbm_with_meetings_and_roles_is_a_409(world, staff):
    PlanVersionFactory(cbm=world.cbm)

    body = _refused(staff, "/api/v1/cbms/CT/")

    assert body["referenced_by"] == [
        {"model": "cbms.cbmrole", "count": 2},  # would have gone with it (CASCADE)
        {"model": "cbms.implementationplanversion", "count": 1},  # CASCADE too
        {"model": "conferences.meeting", "count": 1},  # PROTECT
    ]


def test_a_conference_with_its_declaration_is_a_409(world, staff):
    """CASCADE in the database: without the check its declaration and articles would go."""
    declaration = world.held_conference.declaration
    Article.objects.create(declaration=declaration, number=25, text="Two RTGs a year.")

    body = _refused(staff, "/api/v1/conferences/1/")

    assert body["referenced_by"] == [
        {"model": "conferences.article", "count": 1},
        {"model": "conferences.declaration", "count": 1},
    ]


def test_an_organization_with_members_is_a_409(world, staff):
    Membership.objects.create(
        organization=world.spare_organization, country=world.germany, status="member"
    )
    body = _refused(staff, "/api/v1/organizations/SPARE/")
    assert body["referenced_by"] == [{"model": "organizations.membership", "count": 1}]


def test_a_record_only_its_own_parts_refer_to_is_deleted_with_them(world, staff):
    Participation.objects.create(
        country=world.spare_country, kind="supporting", since=dt.date(2020, 1, 1)
    )
    CBMName.objects.create(
        cbm=world.spare_cbm, code="ZY", name="Older name", since=dt.date(2012, 6, 14)
    )
    Obligation.objects.create(
        cbm=world.spare_cbm,
        conference=world.held_conference,
        kind="review",
        window_start=dt.date(2011, 11, 2),
        deadline=dt.date(2012, 7, 2),
        status="not_in_force",
        evaluated_on=dt.date(2026, 1, 1),
    )

    assert staff.delete("/api/v1/countries/XYZ/").status_code == 204
    assert staff.delete("/api/v1/cbms/ZZ/").status_code == 204

    assert not Participation.objects.filter(country__code="XYZ").exists()
    assert not Obligation.objects.filter(cbm__code="ZZ").exists()
    assert not CBMName.objects.filter(name="Older name").exists()


def test_a_meeting_an_obligation_was_met_by_is_deleted(world, staff):
    """The obligation is the rule's, evaluated again: its met_by is cleared, not a reason."""
    world.obligation.met_by, world.obligation.status = world.rtg, "met"
    world.obligation.save()

    assert staff.delete(f"/api/v1/meetings/{world.rtg.pk}/").status_code == 204

    assert not Meeting.objects.filter(pk=world.rtg.pk).exists()
    assert Obligation.objects.filter(pk=world.obligation.pk).exists()


# --- PATCH of a report: each activity update whole ----------------------------------------------


@pytest.fixture
def draft(world):
    plan = PlanVersionFactory(cbm=world.cbm)
    activity = ActivityFactory(priority_area=PriorityAreaFactory(plan=plan))
    report = report_start(
        cbm=world.cbm,
        conference=world.held_conference,
        actor=fp(world),
        narrative="As it was",
        activities=[{"activity": activity.pk, "status": "in_progress", "percent": 10}],
    )
    return report, activity


def _state(report):
    report = ProgressReport.objects.get(pk=report.pk)
    updates = list(report.activity_updates.values_list("activity_id", "status", "percent"))
    return report.narrative, report.version, updates


@pytest.mark.parametrize(
    ("item", "missing"),
    [
        ({"status": "completed", "percent": 100}, "activity"),
        ({"activity": "{activity}", "percent": 100}, "status"),
        ({"activity": "{activity}", "status": "completed"}, "percent"),
    ],
)
def test_a_patched_activity_update_lacking_a_field_is_a_400(world, draft, item, missing):
    report, activity = draft
    item = {key: activity.pk if value == "{activity}" else value for key, value in item.items()}
    before = _state(report)

    response = token_client(fp(world)).patch(
        f"/api/v1/reports/{report.pk}/",
        {"narrative": "Changed", "activities": [item]},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert response.json() == {"activities": [{missing: ["This field is required."]}]}
    assert _state(report) == before


def test_a_whole_activity_update_is_patched(world, draft):
    report, activity = draft
    item = {"activity": activity.pk, "status": "completed", "percent": 100}

    response = token_client(fp(world)).patch(
        f"/api/v1/reports/{report.pk}/", {"activities": [item]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert _state(report)[2] == [(activity.pk, "completed", 100)]


# --- Compression --------------------------------------------------------------------------------


@pytest.fixture
def long_list(world):
    """Rows enough that gzip, random padding included, always makes the body shorter (Django
    sends a short body as it is)."""
    Meeting.objects.bulk_create(
        Meeting(kind="som", date=dt.date(2016, 1, 1) + dt.timedelta(days=i), status="held")
        for i in range(30)
    )


def test_a_list_is_gzipped_for_a_client_that_asks(long_list, analyst):
    plain = analyst.get("/api/v1/meetings/")
    packed = analyst.get("/api/v1/meetings/", **GZIP)

    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert json.loads(gzip.decompress(packed.content)) == plain.json()


def test_a_page_is_gzipped(world, client):
    response = client.get(reverse("login"), **GZIP)

    assert response["Content-Encoding"] == "gzip"
    assert b'name="csrfmiddlewaretoken"' in gzip.decompress(response.content)


def test_the_same_body_is_padded_to_another_length_each_time(long_list, analyst):
    """Django's defence against BREACH: random bytes in the gzip header, so the length of an
    answer that reflects the request and holds a secret gives the secret away no more."""
    bodies = [analyst.get("/api/v1/meetings/", **GZIP).content for _ in range(12)]

    assert len({gzip.decompress(body) for body in bodies}) == 1
    assert len({len(body) for body in bodies}) > 1


def test_a_csv_export_is_streamed_gzipped_without_an_etag(world, analyst):
    response = analyst.get("/api/v1/meetings/", {"format": "csv"}, **GZIP)

    assert response.streaming
    assert response["Content-Encoding"] == "gzip"
    assert "ETag" not in response
    text = gzip.decompress(b"".join(response.streaming_content)).decode()
    assert text.splitlines()[0].lstrip("\ufeff").startswith("id,")
    assert len(text.strip().splitlines()) == 3  # the header, the RTG and the SOM


def test_an_xlsx_export_is_not_gzipped_again(world, analyst):
    response = analyst.get("/api/v1/meetings/", {"format": "xlsx"}, **GZIP)

    assert response.status_code == 200
    assert "Content-Encoding" not in response
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"PK")  # the workbook's own zip


def test_a_reports_etag_stays_strong_for_if_match_when_gzip_is_asked(world):
    report = report_start(
        cbm=world.cbm, conference=world.held_conference, actor=fp(world), narrative="Long " * 200
    )
    client = token_client(fp(world))

    read = client.get(f"/api/v1/reports/{report.pk}/", **GZIP)

    assert "Content-Encoding" not in read  # compressing would have made the tag weak
    assert read["ETag"] == f'"{report.pk}.1"'
    written = client.patch(
        f"/api/v1/reports/{report.pk}/",
        {"narrative": "Edited"},
        format="json",
        HTTP_IF_MATCH=read["ETag"],
        **GZIP,
    )
    assert written.status_code == 200, written.content


# --- ETag and If-None-Match ---------------------------------------------------------------------


def test_a_list_carries_an_etag_and_answers_304_while_nothing_changed(world, analyst):
    first = analyst.get("/api/v1/meetings/")
    tag = first["ETag"]

    again = analyst.get("/api/v1/meetings/", HTTP_IF_NONE_MATCH=tag)

    assert re.fullmatch(r'"[0-9a-f]{32}"', tag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == tag


def test_a_changed_row_changes_the_etag(world, staff, analyst):
    tag = analyst.get("/api/v1/meetings/")["ETag"]
    assert staff.patch(f"/api/v1/meetings/{world.som.pk}/", {"city": "Herat"}).status_code == 200

    after = analyst.get("/api/v1/meetings/", HTTP_IF_NONE_MATCH=tag)

    assert after.status_code == 200
    assert after["ETag"] != tag
    assert "Herat" in {row["city"] for row in after.json()["results"]}


@pytest.mark.parametrize("params", [{"page_size": 1}, {"ordering": "id"}, {"kind": "rtg"}], ids=str)
def test_another_page_order_or_filter_has_another_etag(world, analyst, params):
    assert (
        analyst.get("/api/v1/meetings/", params)["ETag"] != analyst.get("/api/v1/meetings/")["ETag"]
    )


def test_a_gzipped_lists_weak_etag_revalidates_too(long_list, analyst):
    tag = analyst.get("/api/v1/meetings/", **GZIP)["ETag"]

    again = analyst.get("/api/v1/meetings/", HTTP_IF_NONE_MATCH=tag, **GZIP)

    assert tag.startswith('W/"')
    assert again.status_code == 304


def test_an_error_is_never_a_304(world, analyst):
    bad = analyst.get("/api/v1/meetings/", {"page_size": "0"})
    assert "ETag" not in bad
    assert (
        analyst.get("/api/v1/meetings/", {"page_size": "0"}, HTTP_IF_NONE_MATCH="*").status_code
        == 400
    )


def test_every_list_carries_an_etag(world, staff):
    for prefix, _, _ in router.registry:
        response = staff.get(f"/api/v1/{prefix}/")
        assert response.status_code == 200 and response.has_header("ETag"), prefix
