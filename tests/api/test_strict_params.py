"""Strict list parameters (issue #13): an `ordering`, a boolean filter or a `page_size` the list
cannot use is a 400 naming the parameter exactly as it was sent, never silently ignored.

The lists, their ordering fields and their filters are read from the router, so a new list is
covered the day it is registered."""

import datetime as dt

import django_filters
import pytest

from conferences.models import Meeting, MeetingKind, MeetingStatus
from hoa_portal.api.filters import StrictBooleanFilter
from hoa_portal.api.pagination import PortalPagination
from hoa_portal.api_urls import router

LISTS = [(prefix, viewset) for prefix, viewset, _ in router.registry]


def _url(prefix: str) -> str:
    return f"/api/v1/{prefix}/"


def _filters_of_kind(kind) -> list[tuple[str, str, django_filters.Filter]]:
    return [
        (prefix, name, filter_)
        for prefix, viewset in LISTS
        if viewset.filterset_class is not None
        for name, filter_ in viewset.filterset_class.base_filters.items()
        if isinstance(filter_, kind)
    ]


BOOLEANS = _filters_of_kind(django_filters.BooleanFilter)
RANGES = _filters_of_kind(django_filters.DateFromToRangeFilter)
ORDERINGS = [
    pytest.param(prefix, f"{sign}{field}", id=f"{prefix}-{sign}{field}")
    for prefix, viewset in LISTS
    for field in viewset.ordering_fields
    for sign in ("", "-")
]


# --- ordering -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "ordering"), ORDERINGS)
def test_every_ordering_field_of_every_list_is_accepted(staff, prefix, ordering):
    response = staff.get(_url(prefix), {"ordering": ordering})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(("prefix", "viewset"), LISTS, ids=[prefix for prefix, _ in LISTS])
def test_an_ordering_reversed_reverses_the_rows(world, staff, prefix, viewset):
    unique = "id" if "id" in viewset.ordering_fields else viewset.lookup_field
    assert unique in viewset.ordering_fields, f"/{prefix}/ orders on no unique field"

    up = staff.get(_url(prefix), {"ordering": unique}).json()["results"]
    down = staff.get(_url(prefix), {"ordering": f"-{unique}"}).json()["results"]

    assert [row[unique] for row in down] == [row[unique] for row in reversed(up)]


@pytest.mark.parametrize(("prefix", "viewset"), LISTS, ids=[prefix for prefix, _ in LISTS])
@pytest.mark.parametrize(
    "ordering",
    ["nonsense", "--{field}", "{field},,{field}", "{field},", " ", "-", "{field}__id", "pk"],
)
def test_an_ordering_the_list_does_not_offer_is_a_400_naming_ordering(
    staff, prefix, viewset, ordering
):
    sent = ordering.format(field=viewset.ordering_fields[0])

    response = staff.get(_url(prefix), {"ordering": sent})

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["ordering"]
    message = response.json()["ordering"][0]
    assert all(field in message for field in viewset.ordering_fields), message


def test_the_message_names_the_unknown_term_and_only_it(staff):
    response = staff.get(_url("meetings"), {"ordering": "-date,venue"})
    message = response.json()["ordering"][0]
    assert "'venue'" in message and "'-date'" not in message


def test_a_csv_export_refuses_a_bad_ordering_too(staff):
    response = staff.get(_url("meetings"), {"ordering": "venue", "format": "csv"})
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_an_empty_ordering_is_the_default_order(world, staff):
    default = staff.get(_url("meetings")).json()
    assert staff.get(_url("meetings"), {"ordering": ""}).json() == default


def test_a_detail_route_leaves_an_ordering_alone(world, staff):
    """A single record has no order: `ordering` is not one of its parameters, and unknown
    parameters are ignored, as everywhere."""
    assert staff.get(f"/api/v1/meetings/{world.som.pk}/", {"ordering": "x"}).status_code == 200
    response = staff.get("/api/v1/cbms/CT/compliance/", {"ordering": "x"})
    assert response.status_code == 200


def test_a_parameter_no_list_knows_is_left_alone(world, staff):
    assert staff.get(_url("meetings"), {"venue": "Kabul"}).json()["count"] == 2


# --- booleans -----------------------------------------------------------------------------------


def test_the_lists_have_boolean_filters():
    assert {(prefix, name) for prefix, name, _ in BOOLEANS} >= {
        ("countries", "ongoing"),
        ("cbm-roles", "ongoing"),
        ("obligations", "estimated"),
        ("notifications", "unread"),
        ("notifications", "read"),
    }


@pytest.mark.parametrize(
    ("prefix", "name", "filter_"), BOOLEANS, ids=[f"{p}-{n}" for p, n, _ in BOOLEANS]
)
def test_every_boolean_filter_is_strict(prefix, name, filter_):
    assert isinstance(filter_, StrictBooleanFilter), f"/{prefix}/?{name}= would ignore junk"


@pytest.mark.parametrize(
    ("prefix", "name", "filter_"), BOOLEANS, ids=[f"{p}-{n}" for p, n, _ in BOOLEANS]
)
@pytest.mark.parametrize("spelling", ["True", "FALSE", "1", "0", "yes", "no", "on", "perhaps"])
def test_a_boolean_that_is_not_true_or_false_is_a_400_naming_it(
    staff, prefix, name, filter_, spelling
):
    response = staff.get(_url(prefix), {name: spelling})
    assert response.status_code == 400, response.content
    assert list(response.json()) == [name]


@pytest.mark.parametrize(
    ("prefix", "name", "filter_"), BOOLEANS, ids=[f"{p}-{n}" for p, n, _ in BOOLEANS]
)
def test_true_and_false_split_the_list_between_them(world, staff, prefix, name, filter_):
    every = staff.get(_url(prefix)).json()["count"]
    true = staff.get(_url(prefix), {name: "true"})
    false = staff.get(_url(prefix), {name: "false"})

    assert true.status_code == false.status_code == 200
    assert true.json()["count"] + false.json()["count"] == every
    assert staff.get(_url(prefix), {name: ""}).json()["count"] == every


@pytest.mark.parametrize(("value", "codes"), [("true", ["DEU", "FRA"]), ("false", ["XYZ"])])
def test_a_boolean_filters_the_rows(world, staff, value, codes):
    rows = staff.get(_url("countries"), {"ongoing": value, "ordering": "code"}).json()["results"]
    assert [row["code"] for row in rows] == codes


# --- ranges: the part that was sent -------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "name", "filter_"), RANGES, ids=[f"{p}-{n}" for p, n, _ in RANGES]
)
@pytest.mark.parametrize(
    ("sent", "named"),
    [
        ({"{name}_after": "soon"}, ["{name}_after"]),
        ({"{name}_before": "2020-02-30"}, ["{name}_before"]),
        ({"{name}_after": "2020-01-01", "{name}_before": "later"}, ["{name}_before"]),
        ({"{name}_after": "x", "{name}_before": "y"}, ["{name}_after", "{name}_before"]),
        ({"{name}_after": "", "{name}_before": "13/01/2020"}, ["{name}_before"]),
    ],
    ids=["after", "before", "before of two", "both", "before beside an empty after"],
)
def test_a_bad_date_is_named_as_sent(staff, prefix, name, filter_, sent, named):
    params = {key.format(name=name): value for key, value in sent.items()}

    response = staff.get(_url(prefix), params)

    assert response.status_code == 400, response.content
    assert sorted(response.json()) == sorted(key.format(name=name) for key in named)


def test_a_good_range_still_filters(world, staff):
    params = {"date_after": "2015-03-01", "date_before": "2015-03-31"}
    rows = staff.get(_url("meetings"), params).json()["results"]
    assert [row["id"] for row in rows] == [world.rtg.pk]


# --- page_size ----------------------------------------------------------------------------------


@pytest.fixture
def many_meetings(world):
    Meeting.objects.bulk_create(
        Meeting(kind=MeetingKind.SOM, date=dt.date(2014, 1, 1), status=MeetingStatus.HELD)
        for _ in range(PortalPagination.max_page_size)
    )
    return Meeting.objects.count()  # 502


@pytest.mark.parametrize(("page_size", "rows"), [("1", 1), ("2", 2), ("500", 500), ("007", 7)])
def test_a_page_size_from_1_to_500_is_the_page(many_meetings, staff, page_size, rows):
    body = staff.get(_url("meetings"), {"page_size": page_size}).json()
    assert len(body["results"]) == rows
    assert body["count"] == many_meetings
    assert body["next"] is not None


def test_without_page_size_a_page_has_50_rows(many_meetings, staff):
    assert len(staff.get(_url("meetings")).json()["results"]) == 50


@pytest.mark.parametrize(
    "page_size",
    ["0", "501", str(10**12), "9" * 5000, "-1", "+5", "1.5", "1e2", "abc", "", " 5", "٣", "0x10"],
)
def test_any_other_page_size_is_a_400_naming_page_size(many_meetings, staff, page_size):
    response = staff.get(_url("meetings"), {"page_size": page_size})
    assert response.status_code == 400, response.content
    assert response.json() == {"page_size": ["A whole number from 1 to 500."]}


@pytest.mark.parametrize("prefix", [prefix for prefix, _ in LISTS])
@pytest.mark.parametrize("page_size", ["0", "501", "abc"])
def test_every_list_refuses_a_bad_page_size(staff, prefix, page_size):
    response = staff.get(_url(prefix), {"page_size": page_size})
    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]
