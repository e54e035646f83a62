"""The portal's own list exports (`?format=csv`, `?format=xlsx` on every list page): every row
the filters match, through the API's writers, so no cell runs as a formula and accents and Dari
survive (issue #13). Every list page of the URLconf is covered, and every text column of each."""

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cbms.models import Activity, ImplementationPlanVersion, PriorityArea, RoleKind
from conferences.models import Article, Declaration, Meeting
from hoa_portal.views import PortalListView
from members.models import Country, User
from organizations.models import Organization
from tests.api.exports import FORMATS, formulas_in, read_csv, read_xlsx
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.members.factories import CountryFactory

PAYLOADS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _list_pages(resolver: URLResolver, prefix: str = "") -> dict[str, type[PortalListView]]:
    pages = {}
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            pages |= _list_pages(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            view = getattr(pattern.callback, "view_class", None)
            if isinstance(view, type) and issubclass(view, PortalListView):
                pages[f"{prefix}{pattern.name}"] = view
    return pages


PAGES = _list_pages(get_resolver())


def _export(client, name: str, export_format: str, **params):
    return client.get(reverse(name), {**params, "format": export_format})


def _read(response, export_format: str):
    return read_csv(response) if export_format == "csv" else read_xlsx(response)


# --- Every list page exports its rows ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_list_page_exports_every_matching_row_in_both_formats(world, client_for, name):
    client = client_for("secretariat")
    page = client.get(reverse(name))
    keys = [column.key for column in PAGES[name].columns]

    text = _read(_export(client, name, "csv"), "csv")
    typed = _read(_export(client, name, "xlsx"), "xlsx")

    assert page.status_code == 200
    assert text.header == typed.header == keys
    assert len(text.rows) == len(typed.rows) == page.context["paginator"].count > 0
    for text_row, typed_row in zip(text.rows, typed.rows, strict=True):
        for key, value in typed_row.items():
            assert _same(text_row[key], value), (key, text_row, typed_row)


def _same(text: str, value) -> bool:
    """A CSV cell and the XLSX cell of the same value: its JSON text, and the value typed."""
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, dt.datetime):  # in UTC; Excel keeps milliseconds
        written = dt.datetime.fromisoformat(text).astimezone(dt.UTC).replace(tzinfo=None)
        return text.endswith("Z") and abs(written - value) <= dt.timedelta(milliseconds=1)
    if isinstance(value, dt.date):
        return text == value.isoformat()
    return text == str(value) and isinstance(value, str | int)


def test_exports_hold_every_row_not_one_page_and_keep_dari_and_accents(world, client_for):
    names = ["افغانستان", "Türkiye", "Côte d'Ivoire"] + [f"Zland {i}" for i in range(30)]
    for name in names:
        CountryFactory(name=name)
    client = client_for("anonymous")

    text = _read(_export(client, "members:country_list", "csv"), "csv")
    typed = _read(_export(client, "members:country_list", "xlsx"), "xlsx")
    searched = _read(_export(client, "members:country_list", "csv", q="zland"), "csv")

    assert set(names) <= {row["name"] for row in text.rows}
    assert set(names) <= {row["name"] for row in typed.rows}
    assert len(searched.rows) == 30 > 25  # every match of the search, not a page of 25


def test_xlsx_cells_are_typed(world, client_for):
    client = client_for("anonymous")

    sheet = _read(_export(client, "conferences:conference_list", "xlsx"), "xlsx")

    beijing = next(row for row in sheet.rows if row["city"] == "Beijing")
    assert beijing["number"] == 4
    assert beijing["date"] == dt.date(2014, 10, 31)
    planned = next(row for row in sheet.rows if row["number"] == 6)
    assert planned["date"] is None


def test_an_empty_export_is_its_header_row(world, client_for):
    client = client_for("anonymous")
    keys = [column.key for column in PAGES["conferences:meeting_list"].columns]

    for export_format in FORMATS:
        sheet = _read(
            _export(client, "conferences:meeting_list", export_format, q="nowhere"), export_format
        )
        assert sheet.header == keys and sheet.rows == []


# --- No cell runs as a formula -------------------------------------------------------------

Inject = Callable[[object, str], None]


def _set_all(model: type[models.Model], field: str, **only) -> Inject:
    """Every row of `model` (or those `only` names) holds the payload at the start of `field`,
    made unique by the row's id."""

    def inject(world, payload: str) -> None:
        rows = model._default_manager.filter(**only)
        for pk in rows.values_list("pk", flat=True):
            model._default_manager.filter(pk=pk).update(**{field: f"{payload}{pk}"})

    return inject


def _column_field(view: type[PortalListView], key: str) -> models.Field | None:
    """The model field a column shows, where it is an attribute path ending in one."""
    column = next(c for c in view.columns if c.key == key)
    if callable(column.value):
        return None
    model = view.model
    *parents, last = column.value.split(".")
    for part in parents:
        model = model._meta.get_field(part).related_model
    try:
        field = model._meta.get_field(last)
    except FieldDoesNotExist:  # a property (`party`)
        return None
    return None if field.is_relation else field


def _is_text(field: models.Field) -> bool:
    return isinstance(field, models.CharField | models.TextField) and not field.choices


# Columns that are not attribute paths to a text field, but show text a person typed.
SHOWN_TEXT: dict[tuple[str, str], Inject] = {
    ("members:user_list", "name"): _set_all(User, "first_name"),
    ("conferences:conference_list", "declaration"): _set_all(Declaration, "title"),
    ("conferences:article_list", "text"): _set_all(Article, "text"),
    ("cbms:role_list", "party"): lambda world, payload: (
        _set_all(Country, "name")(world, payload),
        _set_all(Organization, "acronym")(world, payload),
    ),
    ("conferences:meeting_list", "host"): lambda world, payload: (
        Meeting.objects.update(host=world.france),
        _set_all(Country, "name")(world, payload),
    ),
    # A published plan's content is frozen (a database trigger): its draft revision's is not.
    ("cbms:plan_list", "title"): _set_all(ImplementationPlanVersion, "title", status="draft"),
    ("cbms:area_list", "title"): _set_all(PriorityArea, "title", plan__status="draft"),
    ("cbms:activity_list", "title"): _set_all(
        Activity, "title", priority_area__plan__status="draft"
    ),
}
COUNTRY_CODE = "a country code: three capital letters, a database constraint"
NOT_TEXT = {
    ("members:country_list", "code"): COUNTRY_CODE,
    ("cbms:cbm_list", "leads"): COUNTRY_CODE,
    ("members:country_list", "participation"): "labels of a fixed set of kinds",
    ("cbms:cbm_list", "supporting"): "a number",
    ("conferences:declaration_list", "articles"): "a number",
    ("conferences:conference_list", "conference"): "starts with the conference's ordinal",
    ("conferences:declaration_list", "conference"): "starts with the conference's ordinal",
    ("cbms:activity_list", "area"): "starts with the priority area's number",
}


def _text_columns() -> dict[tuple[str, str], Inject]:
    columns = {}
    for name, view in PAGES.items():
        for column in view.columns:
            field = _column_field(view, column.key)
            if field is not None and _is_text(field) and (name, column.key) not in NOT_TEXT:
                columns[(name, column.key)] = _set_all(field.model, field.name)
    return columns | SHOWN_TEXT


TEXT_COLUMNS = _text_columns()


def test_every_column_is_text_checked_here_or_says_why_not():
    unchecked = []
    for name, view in PAGES.items():
        for column in view.columns:
            field = _column_field(view, column.key)
            values = field is not None and not _is_text(field)  # dates, numbers, choices
            known = (name, column.key) in TEXT_COLUMNS or (name, column.key) in NOT_TEXT
            if not values and not known:
                unchecked.append((name, column.key))
    assert not unchecked, "a column showing text goes in SHOWN_TEXT, or in NOT_TEXT with why"


def _is_neutralised(cell) -> bool:
    return isinstance(cell, str) and cell.startswith("'") and cell[1:].startswith(TRIGGERS)


@pytest.mark.parametrize(("name", "key"), sorted(TEXT_COLUMNS))
def test_text_that_starts_like_a_formula_is_neutralised(world, client_for, name, key):
    client = client_for("secretariat")
    for payload in PAYLOADS:
        TEXT_COLUMNS[(name, key)](world, payload)
        for export_format in FORMATS:
            response = _export(client, name, export_format)
            cells = [row[key] for row in _read(response, export_format).rows]

            assert any(_is_neutralised(cell) for cell in cells), (payload, cells)
            raw = [cell for cell in cells if isinstance(cell, str) and cell.startswith(TRIGGERS)]
            assert raw == [], (payload, export_format)
            if export_format == "xlsx":
                assert formulas_in(response) == []


def _export_queries(client, name: str, export_format: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        rows = len(_read(_export(client, name, export_format), export_format).rows)
    return rows, len(captured)


@pytest.mark.parametrize("export_format", FORMATS)
def test_an_exports_queries_do_not_grow_with_its_rows(world, client_for, export_format):
    client = client_for("anonymous")
    few_rows, few = _export_queries(client, "cbms:cbm_list", export_format)

    for i in range(12):
        cbm = CBMFactory(code=f"N{i}", name=f"New measure {i}")
        LeadRoleFactory(cbm=cbm, country=world.france)
        LeadRoleFactory(cbm=cbm, country=CountryFactory(), role=RoleKind.SUPPORTING)
    many_rows, many = _export_queries(client, "cbms:cbm_list", export_format)

    assert many_rows == few_rows + 12
    assert many == few
