"""No exported cell runs as a formula (OWASP "CSV injection"): text that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return gets a leading `'`, in CSV and XLSX alike, in every text column of
every list (issue #13). A text column of a list that is neither covered here nor exempted, with
its reason, fails `test_every_text_column_is_covered`."""

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.db import models
from rest_framework import serializers

from cbms.models import CBMRole, Obligation, RoleKind
from cbms.reports.services import report_start
from hoa_portal.api_urls import router
from members.models import Notification
from tests.api.conftest import World, token_client
from tests.api.exports import FORMATS, formulas_in, read_csv, read_workbook, read_xlsx
from tests.cbms.factories import (
    ActivityFactory,
    CBMFactory,
    LeadRoleFactory,
    PlanVersionFactory,
    PriorityAreaFactory,
)
from tests.conferences.factories import ConferenceFactory, DeclarationFactory, RtgFactory
from tests.members.factories import CountryFactory, UserFactory
from tests.organizations.factories import OrganizationFactory

PAYLOADS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]
Make = Callable[[World, str], None]


def _obligation(world: World, code: str) -> None:
    Obligation.objects.create(
        cbm=CBMFactory(code=code),
        conference=world.held_conference,
        kind="review",
        window_start=dt.date(2011, 11, 2),
        deadline=dt.date(2012, 7, 2),
        status="missed",
        evaluated_on=dt.date(2026, 1, 1),
    )


def _report_of(world: World, code: str) -> None:
    cbm = CBMFactory(code=code)
    LeadRoleFactory(cbm=cbm, country=world.france, since=dt.date(2011, 1, 1))
    report_start(cbm=cbm, conference=world.held_conference, actor=world.users["fp_lead"])


def _report_notes(world: World, payloads: list[str]) -> None:
    area = PriorityAreaFactory(plan=PlanVersionFactory(cbm=world.cbm))
    updates = [
        {"activity": ActivityFactory(priority_area=area).pk, "status": "delayed", "percent": 5}
        | {"note": note}
        for note in payloads
    ]
    report_start(
        cbm=world.cbm,
        conference=world.held_conference,
        actor=world.users["fp_lead"],
        activities=updates,
    )


def _supporter(world: World, acronym: str) -> None:
    CBMRole.objects.create(
        cbm=CBMFactory(),
        organization=OrganizationFactory(acronym=acronym),
        role=RoleKind.SUPPORTING,
        since=dt.date(2014, 1, 1),
    )


def _notice(world: World, **text) -> None:
    fields = {"subject": "Subject", "body": "Body", "link": "/"} | text
    Notification.objects.create(
        recipient=world.users["secretariat"], channel="portal", event_key=str(text), **fields
    )


def each(make: Make) -> Callable[[World], None]:
    """A row per payload, each made by `make(world, payload)`."""
    return lambda world: [make(world, payload) for payload in PAYLOADS]


# list -> text column -> how rows come to hold each payload in it
TEXT_COLUMNS: dict[str, dict[str, Callable[[World], None]]] = {
    "countries": {"name": each(lambda w, p: CountryFactory(name=p))},
    "organizations": {
        "acronym": each(lambda w, p: OrganizationFactory(acronym=p)),
        "name": each(lambda w, p: OrganizationFactory(name=p)),
    },
    "conferences": {
        "city": each(lambda w, p: ConferenceFactory(city=p)),
        "declaration": each(lambda w, p: DeclarationFactory(title=p)),
    },
    "cbms": {
        "code": each(lambda w, p: CBMFactory(code=p)),
        "name": each(lambda w, p: CBMFactory(name=p)),
        "supporting": each(_supporter),
    },
    "cbm-roles": {
        "cbm": each(
            lambda w, p: CBMRole.objects.create(
                cbm=CBMFactory(code=p),
                country=w.germany,
                role=RoleKind.SUPPORTING,
                since=dt.date(2014, 1, 1),
            )
        ),
        "organization": each(
            lambda w, p: CBMRole.objects.create(
                cbm=w.cbm,
                organization=OrganizationFactory(acronym=p),
                role=RoleKind.SUPPORTING,
                since=dt.date(2014, 1, 1),
            )
        ),
    },
    "meetings": {
        "city": each(lambda w, p: RtgFactory(cbm=w.cbm, city=p)),
        "cbm": each(lambda w, p: RtgFactory(cbm=CBMFactory(code=p))),
    },
    "obligations": {"cbm": each(_obligation)},
    "users": {
        "username": each(lambda w, p: UserFactory(username=p, email="")),
        "email": each(lambda w, p: UserFactory(email=p)),
    },
    "reports": {
        "cbm": each(_report_of),
        "note": lambda world: _report_notes(world, PAYLOADS),
    },
    "notifications": {
        "subject": each(lambda w, p: _notice(w, subject=p)),
        "body": each(lambda w, p: _notice(w, body=p)),
        "link": each(lambda w, p: _notice(w, link=p)),
    },
}
COUNTRY_CODE = "a country code: three capital letters, a database constraint"
ONE_OF = "one of a fixed set of values, checked on every write"
EXEMPT = {
    ("countries", "code"): COUNTRY_CODE,
    ("conferences", "host"): COUNTRY_CODE,
    ("cbms", "leads"): COUNTRY_CODE,
    ("cbm-roles", "country"): COUNTRY_CODE,
    ("meetings", "host"): COUNTRY_CODE,
    ("users", "country"): COUNTRY_CODE,
    ("reports", "country"): COUNTRY_CODE,
    ("reports", "state"): ONE_OF,
    ("reports", "status"): ONE_OF,
}
CASES = [
    pytest.param(prefix, column, id=f"{prefix}-{column}")
    for prefix, columns in TEXT_COLUMNS.items()
    for column in columns
]


def _export_fields(viewset) -> dict[str, serializers.Field]:
    """The fields behind the columns of a list's export, nested ones (a report's activity
    updates) included."""
    view = viewset()
    view.request = SimpleNamespace(method="GET")
    view.format_kwarg = None
    fields = dict(view.get_serializer_class()().fields)
    for nested in list(fields.values()):
        if isinstance(nested, serializers.ListSerializer):
            fields.update(nested.child.fields)
    names = viewset.export_columns or [name for name, f in fields.items() if not f.write_only]
    return {name: fields[name] for name in names}


def _is_text(field: serializers.Field) -> bool:
    if isinstance(field, serializers.SlugRelatedField):
        model = field.parent.Meta.model
        related = model._meta.get_field(field.source).related_model
        return isinstance(related._meta.get_field(field.slug_field), models.CharField)
    if isinstance(field, serializers.ChoiceField):
        return False
    return isinstance(
        field,
        serializers.CharField | serializers.SerializerMethodField | serializers.ManyRelatedField,
    )


def test_every_text_column_is_covered():
    for prefix, viewset, _basename in router.registry:
        text = {name for name, field in _export_fields(viewset).items() if _is_text(field)}
        covered = set(TEXT_COLUMNS.get(prefix, {})) | {c for p, c in EXEMPT if p == prefix}
        assert text == covered, prefix


def _column(response, export_format: str, column: str) -> list:
    if export_format == "csv":
        return [row[column] for row in read_csv(response).rows]
    assert formulas_in(response) == []
    sheet = next(iter(read_workbook(response).values()))  # a list's; compliance's obligations
    for row in sheet.cells:
        assert all(c.data_type != "f" for c in row)
    return [row[column] for row in sheet.rows]


@pytest.mark.parametrize("export_format", FORMATS)
@pytest.mark.parametrize(("prefix", "column"), CASES)
def test_text_that_starts_like_a_formula_is_neutralised(world, prefix, column, export_format):
    TEXT_COLUMNS[prefix][column](world)
    client = token_client(world.users["secretariat"])

    response = client.get(f"/api/v1/{prefix}/", {"format": export_format})

    cells = _column(response, export_format, column)
    for payload in PAYLOADS:
        assert f"'{payload}" in cells, payload
        assert payload not in cells, payload


@pytest.mark.parametrize("export_format", FORMATS)
def test_compliance_and_one_record_are_neutralised_too(world, export_format):
    cbm = CBMFactory(code="@SUM(A1)", approved_on=dt.date(2011, 1, 1))
    LeadRoleFactory(cbm=cbm, country=world.france, since=dt.date(2012, 6, 14))
    ConferenceFactory(number=2, date=dt.date(2012, 6, 1), year=2012)
    meeting = RtgFactory(cbm=world.cbm, city='=HYPERLINK("http://x")')
    client = token_client(world.users["secretariat"])

    compliance = client.get(
        f"/api/v1/cbms/{quote(cbm.code, safe='')}/compliance/", {"format": export_format}
    )
    record = client.get(f"/api/v1/meetings/{meeting.pk}/", {"format": export_format})

    assert set(_column(compliance, export_format, "cbm")) == {"'@SUM(A1)"}
    assert _column(record, export_format, "city") == ['\'=HYPERLINK("http://x")']


@pytest.mark.parametrize("export_format", FORMATS)
def test_numbers_and_plain_text_are_left_alone(world, export_format):
    _report_notes(world, ["Plain", "1-2 workshops", "'quoted", "#N/A", "50%"])
    client = token_client(world.users["secretariat"])

    response = client.get("/api/v1/reports/", {"format": export_format})

    notes = _column(response, export_format, "note")
    percents = _column(response, export_format, "percent")
    assert set(notes) == {"Plain", "1-2 workshops", "'quoted", "#N/A", "50%"}
    assert set(percents) == ({"5"} if export_format == "csv" else {5})
    if export_format == "xlsx":
        sheet = read_xlsx(client.get("/api/v1/reports/", {"format": "xlsx"}))
        index = sheet.header.index("note")
        (typed,) = [row[index] for row in sheet.cells if row[index].value == "#N/A"]
        assert typed.data_type == "s"  # text a person typed, not an error of the sheet
