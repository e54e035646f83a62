"""The API as an analyst's script meets it: a Python client generated from the live `/api/schema/`
with openapi-python-client, used against a live server for every operation SPEC §6 offers.

The client is generated once per session (into a temporary folder, with `--fail-on-warning`: the
generator must find nothing in the schema it cannot use) and imported like any package. Each test
calls operations through the generated functions only, so a request the schema describes wrongly
(a body the server cannot read, an error the client cannot parse) fails here. Every 4xx is parsed
into its typed model: `FieldErrors` for 400, `ErrorDetail` for the others, `ReferencedConflict`
for a delete others stand in the way of.

`test_every_operation_is_called` holds the file to the schema: an operation added to the API and
not called here fails it.
"""

import datetime as dt
import importlib
import io
import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from unittest import mock

import pytest
from django.conf import settings as django_settings
from knox.models import AuthToken

from cbms.compliance import services as compliance_services
from cbms.models import Activity, RoleKind
from conferences.models import MeetingKind, MeetingStatus
from members.models import Notification, NotificationChannel, User
from tests.cbms.factories import (
    ActivityFactory,
    CBMFactory,
    LeadRoleFactory,
    PlanVersionFactory,
    PriorityAreaFactory,
)
from tests.conferences.factories import (
    ConferenceFactory,
    DeclarationFactory,
    MeetingFactory,
    RtgFactory,
    RtgRuleFactory,
)
from tests.members.factories import (
    CountryFactory,
    FocalPointFactory,
    ParticipationFactory,
    SecretariatFactory,
    UserFactory,
)
from tests.organizations.factories import OrganizationFactory

PACKAGE = "hoa_api_client"
FIXTURES = Path(__file__).resolve().parent.parent / "reports" / "fixtures"
PASSWORD = "pass-word-123"  # tests.members.factories.UserFactory's


# --- The generated client -----------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    schema: dict
    package: str
    folder: Path

    def op(self, operation_id: str) -> ModuleType:
        return importlib.import_module(f"{self.package}.api.v1.{operation_id}")

    def models(self) -> ModuleType:
        return importlib.import_module(f"{self.package}.models")

    def types(self) -> ModuleType:
        return importlib.import_module(f"{self.package}.types")

    def client(self, base_url: str, token: str | None = None, **httpx_args):
        package = importlib.import_module(self.package)
        if token is None:
            return package.Client(base_url=base_url, httpx_args=httpx_args)
        return package.AuthenticatedClient(
            base_url=base_url, token=token, prefix="Token", httpx_args=httpx_args
        )


@pytest.fixture(scope="session")
def generated_once(tmp_path_factory) -> dict:
    """Where the session's client lives once `generated` has made it, and its clean-up."""
    made: dict = {}
    yield made
    if "folder" in made:
        sys.path.remove(made["folder"])
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture
def generated(live_server, generated_once, tmp_path_factory) -> Generated:
    """The client, generated at the first test that asks (the live server admits requests only
    while a test runs) and reused by the others."""
    if "generated" not in generated_once:
        generated_once["generated"] = _generate(live_server.url, tmp_path_factory)
        generated_once["folder"] = str(generated_once["generated"].folder)
    return generated_once["generated"]


def _generate(url: str, tmp_path_factory) -> Generated:
    with urllib.request.urlopen(f"{url}/api/schema/?format=json") as response:
        schema = json.load(response)
    folder = tmp_path_factory.mktemp("generated_client")
    (folder / "schema.json").write_text(json.dumps(schema))
    venv_bin = str(Path(sys.executable).parent)
    result = subprocess.run(
        [
            os.path.join(venv_bin, "openapi-python-client"),
            "generate",
            "--path",
            str(folder / "schema.json"),
            "--output-path",
            str(folder / PACKAGE),
            "--meta",
            "none",
            "--fail-on-warning",
        ],
        # The generator formats its output with ruff, which it looks for on PATH.
        env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r"warning|error", output, re.IGNORECASE), output
    sys.path.insert(0, str(folder))
    return Generated(schema=schema, package=PACKAGE, folder=folder)


# --- The data the live server serves ------------------------------------------------------------


@dataclass
class World:
    url: str
    tokens: dict[str, str]
    users: dict[str, User]
    activities: list[Activity]
    meeting_ids: dict[str, int]
    notification_id: int


@pytest.fixture
def world(live_server, settings, tmp_path) -> World:
    """Afghanistan leads CT, Türkiye DM&EP (UNAMA supports it); three held conferences under
    the RTG rule; meetings of each kind and status; CT's plan with two activities; the
    obligations the rule stores; a notice for the analyst; a token for each role."""
    settings.MEDIA_ROOT = tmp_path
    with mock.patch.object(compliance_services, "_enqueue_drain", lambda *a, **k: None):
        afghanistan = CountryFactory(code="AFG", name="Afghanistan")
        turkey = CountryFactory(code="TUR", name="Türkiye")
        ParticipationFactory(country=afghanistan, kind="participating")
        ParticipationFactory(country=turkey, kind="participating")
        unama = OrganizationFactory(
            acronym="UNAMA", name="UN Assistance Mission", kind="international"
        )
        first = ConferenceFactory(
            number=1, date=dt.date(2011, 11, 2), year=2011, city="Istanbul", host=turkey
        )
        RtgRuleFactory(
            declaration=DeclarationFactory(conference=first, title="Istanbul Declaration"),
            effective_from=dt.date(2011, 11, 2),
        )
        ConferenceFactory(
            number=2, date=dt.date(2012, 6, 14), year=2012, city="Kabul", host=afghanistan
        )
        ConferenceFactory(
            number=3, date=dt.date(2013, 4, 26), year=2013, city="Almaty", host=turkey
        )
        ct = CBMFactory(code="CT", name="Counter Terrorism", approved_on=dt.date(2012, 6, 14))
        dmep = CBMFactory(code="DM&EP", name="Disaster Management", approved_on=ct.approved_on)
        LeadRoleFactory(cbm=ct, country=afghanistan, since=dt.date(2012, 6, 14))
        LeadRoleFactory(cbm=dmep, country=turkey, since=dt.date(2012, 6, 14))
        LeadRoleFactory(
            cbm=dmep,
            country=None,
            organization=unama,
            role=RoleKind.SUPPORTING,
            since=dt.date(2012, 6, 14),
        )
        # Adopted on a day the sources do not give, as the real plans: in force in every cycle.
        plan = PlanVersionFactory(cbm=ct, version=1, adopted_on=None)
        area = PriorityAreaFactory(plan=plan, number=1)
        activities = [ActivityFactory(priority_area=area, number=n) for n in (1, 2)]
        meetings = {
            "rtg": RtgFactory(cbm=ct, date=dt.date(2012, 7, 1), city="Kabul", host=afghanistan),
            "planned": RtgFactory(
                cbm=ct, date=dt.date(2013, 1, 10), city="Kabul", status=MeetingStatus.PLANNED
            ),
            "som": MeetingFactory(
                kind=MeetingKind.SOM, date=dt.date(2012, 9, 1), city="Ankara", host=turkey
            ),
            "am": MeetingFactory(kind=MeetingKind.AM, date=dt.date(2013, 2, 1), city="Kabul"),
        }
        compliance_services.obligations_recompute()
    users = {
        "secretariat": SecretariatFactory(username="desk"),
        "analyst": UserFactory(username="analyst"),
        "focal_point": FocalPointFactory(username="fp-afg", country=afghanistan),
    }
    notification = Notification.objects.create(
        recipient=users["analyst"],
        channel=NotificationChannel.PORTAL,
        event_key="test:1",
        subject="CT: the review RTG is due",
        body="Convene it by 9 Aug.",
        link="/cbms/CT/",
    )
    return World(
        url=live_server.url,
        tokens={role: AuthToken.objects.create(user=user)[1] for role, user in users.items()},
        users=users,
        activities=activities,
        meeting_ids={name: meeting.pk for name, meeting in meetings.items()},
        notification_id=notification.pk,
    )


@pytest.fixture
def as_(generated, world) -> Callable:
    """`as_("analyst")`: a generated client with that role's token; `as_(None)` anonymous."""

    def make(role: str | None, **httpx_args):
        return generated.client(world.url, world.tokens[role] if role else None, **httpx_args)

    return make


def typed(response, model_name: str, status: int, generated: Generated):
    """The parsed body of `response`, asserting its status and its model."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    model = getattr(generated.models(), model_name)
    assert isinstance(response.parsed, model), (type(response.parsed), response.content[:500])
    return response.parsed


def text_plain(request) -> None:
    """An httpx request hook: the body goes as text/plain, which no endpoint reads (415)."""
    request.headers["Content-Type"] = "text/plain"


# --- Every operation ----------------------------------------------------------------------------


def test_every_operation_is_called(generated):
    source = Path(__file__).read_text()
    operations = {
        operation["operationId"]
        for item in generated.schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert operations
    assert not sorted(op for op in operations if f'"{op}"' not in source)


# --- Tokens ---------------------------------------------------------------------------------------


def test_a_token_is_issued_used_and_revoked(generated, world, as_):
    m = generated.models()
    token_create = generated.op("v1_auth_token_create")
    body = m.TokenRequestRequest(username="analyst", password=PASSWORD)
    token = typed(
        token_create.sync_detailed(client=as_(None), body=body), "TokenOut", 200, generated
    )
    assert token.token and token.expiry > dt.datetime.now(dt.UTC)

    wrong = m.TokenRequestRequest(username="analyst", password="not-the-password")
    errors = typed(
        token_create.sync_detailed(client=as_(None), body=wrong), "FieldErrors", 400, generated
    )
    assert errors.non_field_errors

    refused = token_create.sync_detailed(
        client=as_(None, event_hooks={"request": [text_plain]}), body=body
    )
    assert typed(refused, "ErrorDetail", 415, generated).detail

    analyst = generated.client(world.url, token.token)
    page = typed(
        generated.op("v1_notifications_list").sync_detailed(client=analyst),
        "PaginatedNotificationOutList",
        200,
        generated,
    )
    assert [n.id for n in page.results] == [world.notification_id]

    logout = generated.op("v1_auth_logout_create").sync_detailed(client=analyst)
    assert logout.status_code == 204
    after = generated.op("v1_notifications_list").sync_detailed(client=analyst)
    assert typed(after, "ErrorDetail", 401, generated).detail

    second = typed(
        token_create.sync_detailed(client=as_(None), body=body), "TokenOut", 200, generated
    )
    third = typed(
        token_create.sync_detailed(client=as_(None), body=body), "TokenOut", 200, generated
    )
    everywhere = generated.op("v1_auth_logout_all_create").sync_detailed(
        client=generated.client(world.url, second.token)
    )
    assert everywhere.status_code == 204
    gone = generated.op("v1_notifications_list").sync_detailed(
        client=generated.client(world.url, third.token)
    )
    assert typed(gone, "ErrorDetail", 401, generated).detail
    anonymous = generated.op("v1_auth_logout_all_create").sync_detailed(client=as_(None))
    assert typed(anonymous, "ErrorDetail", 401, generated).detail


def test_too_many_wrong_passwords_are_a_typed_429(generated, world, as_):
    m = generated.models()
    token_create = generated.op("v1_auth_token_create")
    wrong = m.TokenRequestRequest(username="fp-afg", password="guess")
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        typed(
            token_create.sync_detailed(client=as_(None), body=wrong), "FieldErrors", 400, generated
        )
    last_try = token_create.sync_detailed(client=as_(None), body=wrong)
    assert typed(last_try, "ErrorDetail", 429, generated).detail
    locked = token_create.sync_detailed(
        client=as_(None), body=m.TokenRequestRequest(username="fp-afg", password=PASSWORD)
    )
    assert "locked" in typed(locked, "ErrorDetail", 429, generated).detail
    assert int(locked.headers["Retry-After"]) > 0


# --- Lists: every filter, paging, ordering --------------------------------------------------------


def _ids(page) -> list:
    key = next(k for k in ("id", "code", "acronym", "number") if hasattr(page.results[0], k))
    return [getattr(row, key) for row in page.results]


def test_lists_answer_every_filter(generated, world, as_):
    m = generated.models()
    secretariat = as_("secretariat")
    day = dt.date
    rtg = world.meeting_ids["rtg"]
    ct_obligations = typed(
        generated.op("v1_obligations_list").sync_detailed(
            client=secretariat, cbm="CT", page_size=500
        ),
        "PaginatedObligationOutList",
        200,
        generated,
    ).results
    met = next(o for o in ct_obligations if o.met_by is not None)
    # Each list, with every one of its filters at once and the rows they must leave.
    cases = {
        "v1_countries_list": (
            {
                "code": "afg",
                "name": "ghan",
                "participation": m.ParticipationEnum.PARTICIPATING,
                "since_after": day(2011, 1, 1),
                "since_before": day(2012, 1, 1),
                "until_after": None,
                "until_before": None,
                "ongoing": True,
            },
            ["AFG"],
        ),
        "v1_organizations_list": (
            {
                "acronym": "unama",
                "name": "assistance",
                "kind": m.OrganizationKindEnum.INTERNATIONAL,
            },
            ["UNAMA"],
        ),
        "v1_conferences_list": (
            {
                "number": 2,
                "date_after": day(2012, 1, 1),
                "date_before": day(2012, 12, 31),
                "year": 2012,
                "city": "kabul",
                "host": "AFG",
                "status": m.ConferenceStatusEnum.HELD,
                "declaration": None,
            },
            [2],
        ),
        "v1_cbms_list": (
            {
                "code": "ct",
                "name": "terror",
                "approved_on_after": day(2012, 6, 14),
                "approved_on_before": day(2012, 6, 14),
                "leads": "AFG",
                "supporting": None,
            },
            ["CT"],
        ),
        "v1_cbm_roles_list": (
            {
                "cbm": "DM&EP",
                "country": None,
                "organization": "UNAMA",
                "role": m.CbmRoleKindEnum.SUPPORTING,
                "since_after": day(2012, 1, 1),
                "since_before": day(2012, 12, 31),
                "until_after": None,
                "until_before": None,
                "ongoing": True,
                "on": day(2020, 1, 1),
            },
            None,
        ),
        "v1_meetings_list": (
            {
                "kind": m.MeetingKindEnum.RTG,
                "cbm": "CT",
                "status": m.MeetingStatusEnum.HELD,
                "date_after": day(2012, 7, 1),
                "date_before": day(2012, 7, 1),
                "host": "AFG",
                "city": "kabul",
            },
            [rtg],
        ),
        "v1_obligations_list": (
            {
                "cbm": "CT",
                "conference": met.conference,
                "kind": met.kind,
                "status": met.status,
                "estimated": met.estimated,
                "window_start_after": met.window_start,
                "window_start_before": met.window_start,
                "deadline_after": met.deadline,
                "deadline_before": met.deadline,
                "met_by": met.met_by,
                "evaluated_on_after": met.evaluated_on,
                "evaluated_on_before": met.evaluated_on,
            },
            [met.id],
        ),
        "v1_users_list": (
            {
                "username": "FP-AFG",
                "email": "fp-afg@example.org",
                "role": m.UserRoleEnum.FOCAL_POINT,
                "country": "AFG",
            },
            [world.users["focal_point"].pk],
        ),
    }
    for operation_id, (filters, expected) in cases.items():
        list_op = generated.op(operation_id)
        page = typed(
            list_op.sync_detailed(
                client=secretariat, **{k: v for k, v in filters.items() if v is not None}
            ),
            _result_model(generated, operation_id),
            200,
            generated,
        )
        assert page.count == len(page.results) >= 1, operation_id
        if expected is not None:
            assert _ids(page) == expected, operation_id
        # Every filter of the operation is in the table (some left out of this one request).
        named = set(_filter_parameters(generated.schema, operation_id))
        assert named == set(filters), (operation_id, named ^ set(filters))


def _result_model(generated: Generated, operation_id: str) -> str:
    for item in generated.schema["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
                return ref.rsplit("/", 1)[1]
    raise LookupError(operation_id)


PAGING = {"ordering", "page", "page_size", "format"}


def _filter_parameters(schema: dict, operation_id: str) -> list[str]:
    for item in schema["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return [
                    p["name"]
                    for p in operation.get("parameters", [])
                    if p["in"] == "query" and p["name"] not in PAGING
                ]
    raise LookupError(operation_id)


def test_lists_page_order_and_refuse_bad_parameters(generated, world, as_):
    m = generated.models()
    meetings = generated.op("v1_meetings_list")
    secretariat = as_("secretariat")
    first = typed(
        meetings.sync_detailed(
            client=secretariat, page_size=1, ordering=m.V1MeetingsListOrdering.DATE
        ),
        "PaginatedMeetingList",
        200,
        generated,
    )
    second = typed(
        meetings.sync_detailed(
            client=secretariat, page_size=1, page=2, ordering=m.V1MeetingsListOrdering.DATE
        ),
        "PaginatedMeetingList",
        200,
        generated,
    )
    assert first.count == second.count == 4
    assert first.next_ and second.previous
    assert first.results[0].date < second.results[0].date
    newest = typed(
        meetings.sync_detailed(client=secretariat, ordering=m.V1MeetingsListOrdering.DATE_DESC),
        "PaginatedMeetingList",
        200,
        generated,
    )
    assert [r.date for r in newest.results] == sorted(
        (r.date for r in newest.results), reverse=True
    )

    too_big = meetings.sync_detailed(client=secretariat, page_size=501)
    assert typed(too_big, "FieldErrors", 400, generated)["page_size"]
    beyond = meetings.sync_detailed(client=secretariat, page=9)
    assert typed(beyond, "FieldErrors", 400, generated)["page"]
    unknown = meetings.sync_detailed(client=secretariat, cbm="NOPE")
    assert typed(unknown, "FieldErrors", 400, generated)["cbm"]
    bad_token = meetings.sync_detailed(client=generated.client(world.url, "not-a-token"))
    assert typed(bad_token, "ErrorDetail", 401, generated).detail
    users = generated.op("v1_users_list").sync_detailed(client=as_("analyst"))
    assert typed(users, "ErrorDetail", 403, generated).detail
    obligations = generated.op("v1_obligations_list").sync_detailed(client=as_(None))
    assert typed(obligations, "ErrorDetail", 401, generated).detail
    # The public sees held meetings only.
    public = typed(meetings.sync_detailed(client=as_(None)), "PaginatedMeetingList", 200, generated)
    assert {r.status for r in public.results} == {m.MeetingStatusEnum.HELD}


def test_lists_export_csv_and_xlsx(generated, world, as_):
    """The generated functions parse JSON, the first media type of a 200; the spreadsheets of
    the same operation are fetched with the client's own httpx client and the documented
    `format`."""
    m = generated.models()
    secretariat = as_("secretariat")
    http = secretariat.get_httpx_client()
    csv = http.get("/api/v1/meetings/", params={"format": m.ExportFormatEnum.CSV.value})
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 1 + 4
    xlsx = http.get("/api/v1/meetings/", params={"format": m.ExportFormatEnum.XLSX.value})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    refused = http.get("/api/v1/meetings/", params={"format": "csv", "cbm": "NOPE"})
    assert refused.status_code == 400
    assert m.FieldErrors.from_dict(refused.json())["cbm"]


# --- Records: the secretariat's writes ------------------------------------------------------------


def test_records_are_created_changed_and_deleted(generated, world, as_):
    m = generated.models()
    staff = as_("secretariat")

    country = typed(
        generated.op("v1_countries_create").sync_detailed(
            client=staff,
            body=m.CountryRequest(
                code="KAZ",
                name="Kazakhstan",
                participation=m.ParticipationEnum.PARTICIPATING,
                since=dt.date(2011, 11, 2),
            ),
        ),
        "Country",
        201,
        generated,
    )
    assert country.until is None
    bad = generated.op("v1_countries_create").sync_detailed(
        client=staff, body=m.CountryRequest(code="kz", name="Lower")
    )
    assert typed(bad, "FieldErrors", 400, generated)["code"]
    renamed = generated.op("v1_countries_update").sync_detailed(
        "KAZ", client=staff, body=m.CountryRequest(code="KAZ", name="Qazaqstan")
    )
    assert typed(renamed, "Country", 200, generated).name == "Qazaqstan"
    ended = generated.op("v1_countries_partial_update").sync_detailed(
        "KAZ", client=staff, body=m.PatchedCountryRequest(until=dt.date(2020, 1, 1))
    )
    assert typed(ended, "Country", 200, generated).until == dt.date(2020, 1, 1)
    reopened = generated.op("v1_countries_partial_update").sync_detailed(
        "KAZ", client=staff, body=m.PatchedCountryRequest(until=None)
    )
    assert typed(reopened, "Country", 200, generated).until is None
    read = generated.op("v1_countries_retrieve").sync_detailed("KAZ", client=as_(None))
    assert typed(read, "Country", 200, generated).name == "Qazaqstan"
    missing = generated.op("v1_countries_retrieve").sync_detailed("XXX", client=as_(None))
    assert typed(missing, "ErrorDetail", 404, generated).detail

    organization = generated.op("v1_organizations_create").sync_detailed(
        client=staff,
        body=m.OrganizationRequest(
            acronym="SCO",
            name="Shanghai Cooperation Organisation",
            kind=m.OrganizationKindEnum.REGIONAL,
        ),
    )
    assert typed(organization, "Organization", 201, generated).acronym == "SCO"
    generated.op("v1_organizations_update").sync_detailed(
        "SCO",
        client=staff,
        body=m.OrganizationRequest(acronym="SCO", name="SCO", kind=m.OrganizationKindEnum.REGIONAL),
    )
    patched = generated.op("v1_organizations_partial_update").sync_detailed(
        "SCO",
        client=staff,
        body=m.PatchedOrganizationRequest(kind=m.OrganizationKindEnum.MECHANISM),
    )
    assert typed(patched, "Organization", 200, generated).kind == m.OrganizationKindEnum.MECHANISM
    assert (
        typed(
            generated.op("v1_organizations_retrieve").sync_detailed("SCO", client=as_(None)),
            "Organization",
            200,
            generated,
        ).name
        == "SCO"
    )

    conference = generated.op("v1_conferences_create").sync_detailed(
        client=staff,
        body=m.ConferenceRequest(
            number=4,
            date=None,
            year=2030,
            city="",
            host="KAZ",
            status=m.ConferenceStatusEnum.PLANNED,
        ),
    )
    assert typed(conference, "Conference", 201, generated).date is None
    generated.op("v1_conferences_update").sync_detailed(
        4,
        client=staff,
        body=m.ConferenceRequest(
            number=4, year=2030, city="Astana", host="KAZ", status=m.ConferenceStatusEnum.PLANNED
        ),
    )
    astana = generated.op("v1_conferences_partial_update").sync_detailed(
        4, client=staff, body=m.PatchedConferenceRequest(city="Nur-Sultan")
    )
    assert typed(astana, "Conference", 200, generated).city == "Nur-Sultan"
    assert (
        typed(
            generated.op("v1_conferences_retrieve").sync_detailed(1, client=as_(None)),
            "Conference",
            200,
            generated,
        ).declaration
        == "Istanbul Declaration"
    )

    cbm = generated.op("v1_cbms_create").sync_detailed(
        client=staff,
        body=m.CBMRequest(code="WE", name="Women Empowerment", approved_on=dt.date(2019, 12, 9)),
    )
    assert typed(cbm, "CBM", 201, generated).leads == []
    generated.op("v1_cbms_update").sync_detailed(
        "WE",
        client=staff,
        body=m.CBMRequest(code="WE", name="Women's Empowerment", approved_on=dt.date(2019, 12, 9)),
    )
    generated.op("v1_cbms_partial_update").sync_detailed(
        "WE", client=staff, body=m.PatchedCBMRequest(name="Women Empowerment")
    )
    dmep = generated.op("v1_cbms_retrieve").sync_detailed("DM&EP", client=as_(None))
    assert typed(dmep, "CBM", 200, generated).supporting == ["UNAMA"]

    role = typed(
        generated.op("v1_cbm_roles_create").sync_detailed(
            client=staff,
            body=m.CBMRoleRequest(
                cbm="WE",
                country="KAZ",
                role=m.CbmRoleKindEnum.LEAD,
                since=dt.date(2019, 12, 9),
                until=dt.date(2021, 1, 1),
            ),
        ),
        "CBMRole",
        201,
        generated,
    )
    assert role.until == dt.date(2021, 1, 1) and role.organization is None
    ongoing = generated.op("v1_cbm_roles_partial_update").sync_detailed(
        role.id, client=staff, body=m.PatchedCBMRoleRequest(until=None)
    )
    assert typed(ongoing, "CBMRole", 200, generated).until is None
    both = generated.op("v1_cbm_roles_update").sync_detailed(
        role.id,
        client=staff,
        body=m.CBMRoleRequest(
            cbm="WE",
            country="KAZ",
            organization="SCO",
            role=m.CbmRoleKindEnum.LEAD,
            since=dt.date(2019, 12, 9),
        ),
    )
    assert typed(both, "FieldErrors", 400, generated)["organization"]
    assert (
        typed(
            generated.op("v1_cbm_roles_retrieve").sync_detailed(role.id, client=as_(None)),
            "CBMRole",
            200,
            generated,
        ).country
        == "KAZ"
    )

    # A country with a role, a conference host, a CBM with roles: others refer to them.
    referenced = generated.op("v1_countries_destroy").sync_detailed("KAZ", client=staff)
    conflict = typed(referenced, "ReferencedConflict", 409, generated)
    assert {r.model for r in conflict.referenced_by} >= {"cbms.cbmrole"}
    forbidden = generated.op("v1_cbm_roles_destroy").sync_detailed(role.id, client=as_("analyst"))
    assert typed(forbidden, "ErrorDetail", 403, generated).detail
    anonymous = generated.op("v1_cbm_roles_destroy").sync_detailed(role.id, client=as_(None))
    assert typed(anonymous, "ErrorDetail", 401, generated).detail
    assert (
        generated.op("v1_cbm_roles_destroy").sync_detailed(role.id, client=staff).status_code == 204
    )
    assert generated.op("v1_cbms_destroy").sync_detailed("WE", client=staff).status_code == 204
    assert generated.op("v1_conferences_destroy").sync_detailed(4, client=staff).status_code == 204
    assert (
        generated.op("v1_organizations_destroy").sync_detailed("SCO", client=staff).status_code
        == 204
    )
    assert (
        generated.op("v1_countries_destroy").sync_detailed("KAZ", client=staff).status_code == 204
    )
    gone = generated.op("v1_cbm_roles_retrieve").sync_detailed(role.id, client=staff)
    assert typed(gone, "ErrorDetail", 404, generated).detail


def test_meetings_are_recorded_by_the_secretariat_and_lead_focal_points(generated, world, as_):
    m = generated.models()
    staff, focal_point = as_("secretariat"), as_("focal_point")
    som = typed(
        generated.op("v1_meetings_create").sync_detailed(
            client=staff,
            body=m.MeetingRequest(
                kind=m.MeetingKindEnum.SOM,
                date=dt.date(2014, 3, 1),
                status=m.MeetingStatusEnum.HELD,
                city="Kabul",
                host="AFG",
                cbm=None,
            ),
        ),
        "Meeting",
        201,
        generated,
    )
    assert som.cbm is None
    rtg = typed(
        generated.op("v1_meetings_create").sync_detailed(
            client=focal_point,
            body=m.MeetingRequest(
                kind=m.MeetingKindEnum.RTG,
                cbm="CT",
                date=dt.date(2014, 5, 1),
                status=m.MeetingStatusEnum.PLANNED,
                city="Herat",
            ),
        ),
        "Meeting",
        201,
        generated,
    )
    not_led = generated.op("v1_meetings_create").sync_detailed(
        client=focal_point,
        body=m.MeetingRequest(
            kind=m.MeetingKindEnum.RTG,
            cbm="DM&EP",
            date=dt.date(2014, 5, 1),
            status=m.MeetingStatusEnum.PLANNED,
        ),
    )
    assert typed(not_led, "ErrorDetail", 403, generated).detail
    held = generated.op("v1_meetings_partial_update").sync_detailed(
        rtg.id,
        client=focal_point,
        body=m.PatchedMeetingRequest(status=m.MeetingStatusEnum.HELD, host="AFG"),
    )
    assert typed(held, "Meeting", 200, generated).host == "AFG"
    no_host = generated.op("v1_meetings_partial_update").sync_detailed(
        rtg.id, client=focal_point, body=m.PatchedMeetingRequest(host=None)
    )
    assert typed(no_host, "Meeting", 200, generated).host is None
    moved = generated.op("v1_meetings_update").sync_detailed(
        som.id,
        client=staff,
        body=m.MeetingRequest(
            kind=m.MeetingKindEnum.SOM,
            date=dt.date(2014, 3, 2),
            status=m.MeetingStatusEnum.HELD,
            city="Kabul",
        ),
    )
    assert typed(moved, "Meeting", 200, generated).date == dt.date(2014, 3, 2)
    rtg_without_cbm = generated.op("v1_meetings_update").sync_detailed(
        som.id,
        client=staff,
        body=m.MeetingRequest(
            kind=m.MeetingKindEnum.RTG, date=dt.date(2014, 3, 2), status=m.MeetingStatusEnum.HELD
        ),
    )
    assert typed(rtg_without_cbm, "FieldErrors", 400, generated)
    read = generated.op("v1_meetings_retrieve").sync_detailed(som.id, client=as_(None))
    assert typed(read, "Meeting", 200, generated).city == "Kabul"
    planned = generated.op("v1_meetings_retrieve").sync_detailed(
        world.meeting_ids["planned"], client=as_(None)
    )
    assert typed(planned, "ErrorDetail", 404, generated).detail
    assert (
        generated.op("v1_meetings_destroy").sync_detailed(som.id, client=staff).status_code == 204
    )


def test_users_are_managed_by_the_secretariat(generated, world, as_):
    m = generated.models()
    staff = as_("secretariat")
    created = typed(
        generated.op("v1_users_create").sync_detailed(
            client=staff,
            body=m.UserInRequest(
                username="newcomer",
                email="",
                role=m.UserRoleEnum.FOCAL_POINT,
                country="TUR",
                password="a-long-pass-phrase-42",
            ),
        ),
        "UserIn",
        201,
        generated,
    )
    assert created.country == "TUR"
    analyst = generated.op("v1_users_update").sync_detailed(
        created.id,
        client=staff,
        body=m.UserInRequest(username="newcomer", role=m.UserRoleEnum.ANALYST, country=None),
    )
    assert typed(analyst, "UserIn", 200, generated).country is None
    no_country = generated.op("v1_users_partial_update").sync_detailed(
        created.id, client=staff, body=m.PatchedUserInRequest(role=m.UserRoleEnum.FOCAL_POINT)
    )
    assert typed(no_country, "FieldErrors", 400, generated)["country"]
    read = generated.op("v1_users_retrieve").sync_detailed(created.id, client=staff)
    assert typed(read, "UserOut", 200, generated).role == m.UserRoleEnum.ANALYST
    refused = generated.op("v1_users_retrieve").sync_detailed(created.id, client=as_("analyst"))
    assert typed(refused, "ErrorDetail", 403, generated).detail
    destroy = generated.op("v1_users_destroy")
    own = destroy.sync_detailed(world.users["secretariat"].pk, client=staff)
    assert "own account" in typed(own, "ErrorDetail", 409, generated).detail
    assert destroy.sync_detailed(created.id, client=staff).status_code == 204
    assert typed(
        generated.op("v1_users_retrieve").sync_detailed(10**6, client=staff),
        "ErrorDetail",
        404,
        generated,
    ).detail


# --- Compliance and obligations -------------------------------------------------------------------


def test_a_cbms_compliance_on_a_day(generated, world, as_):
    m = generated.models()
    compliance = generated.op("v1_cbms_compliance_retrieve")
    answer = typed(
        compliance.sync_detailed("CT", client=as_("analyst"), on=dt.date(2013, 1, 1)),
        "ComplianceOut",
        200,
        generated,
    )
    assert answer.cbm == "CT" and answer.on == dt.date(2013, 1, 1)
    assert answer.obligations and all(
        isinstance(o.status, m.ObligationStatusEnum) and isinstance(o.kind, m.ObligationKindEnum)
        for o in answer.obligations
    )
    assert {a.year for a in answer.annual}
    assert typed(
        compliance.sync_detailed("NOPE", client=as_("analyst")), "ErrorDetail", 404, generated
    ).detail
    assert typed(
        compliance.sync_detailed("CT", client=as_(None)), "ErrorDetail", 401, generated
    ).detail

    stored = typed(
        generated.op("v1_obligations_list").sync_detailed(client=as_("analyst"), page_size=1),
        "PaginatedObligationOutList",
        200,
        generated,
    ).results[0]
    one = generated.op("v1_obligations_retrieve").sync_detailed(stored.id, client=as_("analyst"))
    assert typed(one, "ObligationOut", 200, generated).status == stored.status


# --- Notifications --------------------------------------------------------------------------------


def test_notifications_are_read(generated, world, as_):
    analyst = as_("analyst")
    unread = typed(
        generated.op("v1_notifications_list").sync_detailed(
            client=analyst,
            unread=True,
            read=False,
            subject="review",
            body="Aug",
            link="/cbms/CT/",
            created_at_after=dt.date(2000, 1, 1),
            created_at_before=dt.date(2100, 1, 1),
        ),
        "PaginatedNotificationOutList",
        200,
        generated,
    )
    assert [n.id for n in unread.results] == [world.notification_id]
    one = generated.op("v1_notifications_retrieve").sync_detailed(
        world.notification_id, client=analyst
    )
    assert typed(one, "NotificationOut", 200, generated).read is False
    read = generated.op("v1_notifications_read_create").sync_detailed(
        world.notification_id, client=analyst
    )
    assert typed(read, "NotificationOut", 200, generated).read is True
    marked = generated.op("v1_notifications_read_all_create").sync_detailed(client=analyst)
    assert typed(marked, "MarkedOut", 200, generated).marked == 0
    others = generated.op("v1_notifications_retrieve").sync_detailed(
        world.notification_id, client=as_("secretariat")
    )
    assert typed(others, "ErrorDetail", 404, generated).detail


# --- Reports --------------------------------------------------------------------------------------


def test_a_report_is_drafted_submitted_returned_and_accepted(generated, world, as_):
    m = generated.models()
    types = generated.types()
    focal_point, staff = as_("focal_point"), as_("secretariat")
    first, second = world.activities
    body = m.ReportRequest(
        cbm="CT",
        conference=2,
        narrative="Two workshops held.",
        activities=[
            m.ActivityUpdateRequest(
                activity=first.pk, status=m.ActivityStatusEnum.IN_PROGRESS, percent=40, note=""
            )
        ],
    )
    report = typed(
        generated.op("v1_reports_create").sync_detailed(client=focal_point, body=body),
        "Report",
        201,
        generated,
    )
    assert report.state == m.ReportStateEnum.DRAFT and report.country == "AFG"
    again = generated.op("v1_reports_create").sync_detailed(client=focal_point, body=body)
    assert typed(again, "ReportRequestErrors", 400, generated)["conference"]
    by_analyst = generated.op("v1_reports_create").sync_detailed(client=as_("analyst"), body=body)
    assert typed(by_analyst, "ErrorDetail", 403, generated).detail

    read = generated.op("v1_reports_retrieve").sync_detailed(report.id, client=focal_point)
    typed(read, "Report", 200, generated)
    etag = read.headers["ETag"]
    update = generated.op("v1_reports_partial_update")
    changed = update.sync_detailed(
        report.id,
        client=focal_point,
        if_match=etag,
        body=m.PatchedReportUpdateRequest(
            activities=[
                m.ActivityUpdateRequest(
                    activity=first.pk, status=m.ActivityStatusEnum.COMPLETED, percent=100
                ),
                m.ActivityUpdateRequest(
                    activity=second.pk,
                    status=m.ActivityStatusEnum.DELAYED,
                    percent=0,
                    note="Postponed",
                ),
            ]
        ),
    )
    assert [a.status for a in typed(changed, "Report", 200, generated).activities] == [
        m.ActivityStatusEnum.COMPLETED,
        m.ActivityStatusEnum.DELAYED,
    ]
    stale = update.sync_detailed(
        report.id,
        client=focal_point,
        if_match=etag,
        body=m.PatchedReportUpdateRequest(narrative="Late"),
    )
    assert typed(stale, "ErrorDetail", 412, generated).detail
    invalid = update.sync_detailed(
        report.id,
        client=focal_point,
        body=m.PatchedReportUpdateRequest(
            activities=[
                m.ActivityUpdateRequest(
                    activity=first.pk, status=m.ActivityStatusEnum.COMPLETED, percent=101
                )
            ]
        ),
    )
    nested = typed(invalid, "ReportUpdateRequestErrors", 400, generated)
    assert nested.activities

    pdf = (FIXTURES / "libreoffice-sample.pdf").read_bytes()
    attach = generated.op("v1_reports_attachments_create")
    attached = attach.sync_detailed(
        report.id,
        client=focal_point,
        body=m.FileInRequest(
            file=types.File(
                payload=io.BytesIO(pdf), file_name="workshops.pdf", mime_type="application/pdf"
            )
        ),
    )
    attachment = typed(attached, "AttachmentOut", 201, generated)
    assert attachment.name == "workshops.pdf" and attachment.size == len(pdf)
    not_a_pdf = attach.sync_detailed(
        report.id,
        client=focal_point,
        body=m.FileInRequest(
            file=types.File(payload=io.BytesIO(b"MZ\x90\x00"), file_name="tool.pdf")
        ),
    )
    assert typed(not_a_pdf, "FieldErrors", 400, generated)["file"]
    mistaken = attach.sync_detailed(
        report.id,
        client=focal_point,
        body=m.FileInRequest(
            file=types.File(
                payload=io.BytesIO(pdf), file_name="mistaken.pdf", mime_type="application/pdf"
            )
        ),
    )
    mistaken = typed(mistaken, "AttachmentOut", 201, generated)
    remove = generated.op("v1_reports_attachments_destroy")
    removed = remove.sync_detailed(id=report.id, attachment_id=mistaken.id, client=focal_point)
    assert removed.status_code == 204
    again = remove.sync_detailed(id=report.id, attachment_id=mistaken.id, client=focal_point)
    assert typed(again, "ErrorDetail", 404, generated).detail
    as_json = attach.sync_detailed(
        report.id,
        client=as_("focal_point", event_hooks={"request": [text_plain]}),
        body=m.FileInRequest(file=types.File(payload=io.BytesIO(pdf), file_name="x.pdf")),
    )
    assert typed(as_json, "ErrorDetail", 415, generated).detail

    submit = generated.op("v1_reports_submit_create")
    submitted = typed(submit.sync_detailed(report.id, client=focal_point), "Report", 200, generated)
    assert submitted.state == m.ReportStateEnum.SUBMITTED and submitted.versions == 1
    twice = submit.sync_detailed(report.id, client=focal_point)
    assert typed(twice, "ErrorDetail", 409, generated).detail
    late_file = attach.sync_detailed(
        report.id,
        client=focal_point,
        body=m.FileInRequest(file=types.File(payload=io.BytesIO(pdf), file_name="late.pdf")),
    )
    assert typed(late_file, "ErrorDetail", 409, generated).detail

    give_back = generated.op("v1_reports_return_create")
    no_reason = give_back.sync_detailed(
        report.id, client=staff, body=m.CommentInRequest(comment="")
    )
    assert typed(no_reason, "FieldErrors", 400, generated)
    unreadable = give_back.sync_detailed(
        report.id,
        client=as_("secretariat", event_hooks={"request": [text_plain]}),
        body=m.CommentInRequest(comment="x"),
    )
    assert typed(unreadable, "ErrorDetail", 415, generated).detail
    returned = give_back.sync_detailed(
        report.id, client=staff, body=m.CommentInRequest(comment="Add the dates.")
    )
    assert typed(returned, "Report", 200, generated).state == m.ReportStateEnum.RETURNED

    typed(
        update.sync_detailed(
            report.id, client=focal_point, body=m.PatchedReportUpdateRequest(narrative="Dated.")
        ),
        "Report",
        200,
        generated,
    )
    typed(submit.sync_detailed(report.id, client=focal_point), "Report", 200, generated)
    accept = generated.op("v1_reports_accept_create")
    by_focal_point = accept.sync_detailed(report.id, client=focal_point, body=m.CommentInRequest())
    assert typed(by_focal_point, "ErrorDetail", 403, generated).detail
    accepted = accept.sync_detailed(
        report.id, client=staff, body=m.CommentInRequest(comment="Thank you.")
    )
    assert typed(accepted, "Report", 200, generated).state == m.ReportStateEnum.ACCEPTED
    accepted_twice = accept.sync_detailed(report.id, client=staff, body=m.CommentInRequest())
    assert typed(accepted_twice, "ErrorDetail", 409, generated).detail

    versions = generated.op("v1_reports_versions_list").sync_detailed(report.id, client=focal_point)
    assert versions.status_code == 200
    assert [v.number for v in versions.parsed] == [1, 2]
    assert [r.decision.value for v in versions.parsed for r in v.reviews] == [
        "returned",
        "accepted",
    ]

    page = typed(
        generated.op("v1_reports_list").sync_detailed(
            client=staff,
            id=report.id,
            cbm="ct",
            conference=2,
            country="afg",
            state=m.ReportStateEnum.ACCEPTED,
            narrative="dated",
            activities=first.pk,
            attachments="workshops",
            versions=2,
        ),
        "PaginatedReportList",
        200,
        generated,
    )
    assert [r.id for r in page.results] == [report.id]
    missing = generated.op("v1_reports_retrieve").sync_detailed(10**6, client=focal_point)
    assert typed(missing, "ErrorDetail", 404, generated).detail
