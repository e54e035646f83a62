"""Bad input is a 400 naming the field, never a 500 (SPEC §6, RELIABILITY goal 21), and it
changes nothing."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.api.conftest import snapshot
from tests.organizations.factories import OrganizationFactory

LISTS = [
    "countries",
    "organizations",
    "conferences",
    "cbms",
    "cbm-roles",
    "meetings",
    "obligations",
    "users",
]
# A week ahead rather than tomorrow: the table is built at collection, and the suite may run
# across midnight in Kabul.
NEXT_WEEK = (timezone.localdate() + dt.timedelta(days=7)).isoformat()


# --- Writes -----------------------------------------------------------------------------------

BAD_WRITES = [
    # (id, method, path, payload, the field the answer names)
    (
        "unknown cbm",
        "POST",
        "meetings/",
        {"kind": "rtg", "cbm": "NOPE", "date": "2015-01-01"},
        "cbm",
    ),
    ("unknown host", "POST", "conferences/", {"number": 2, "year": 2012, "host": "ZZZ"}, "host"),
    ("unknown country", "POST", "cbm-roles/", {"cbm": "CT", "country": "ZZZ"}, "country"),
    ("unknown organization", "POST", "cbm-roles/", {"organization": "NOPE"}, "organization"),
    ("unknown user country", "POST", "users/", {"username": "u", "country": "ZZZ"}, "country"),
    ("month 13", "POST", "meetings/", {"kind": "som", "date": "2024-13-01"}, "date"),
    ("30 February", "POST", "cbms/", {"code": "X", "approved_on": "2019-02-30"}, "approved_on"),
    ("a word for a date", "POST", "countries/", {"code": "NEW", "since": "soon"}, "since"),
    ("another date format", "POST", "conferences/", {"number": 2, "date": "14/06/2012"}, "date"),
    (
        "held meeting dated in the future",
        "POST",
        "meetings/",
        {"kind": "som", "date": NEXT_WEEK, "status": "held"},
        "date",
    ),
    (
        "RTG without a CBM",
        "POST",
        "meetings/",
        {"kind": "rtg", "date": "2015-01-01", "status": "held"},
        "cbm",
    ),
    (
        "conference dated before an earlier-numbered one",
        "POST",
        "conferences/",
        {"number": 2, "date": "2010-06-14", "status": "held", "host": "FRA"},
        "date",
    ),
    (
        "planned conference dated before an earlier one",
        "PATCH",
        "conferences/9/",
        {"date": "2011-01-01"},
        "date",
    ),
    ("NUL in a name", "POST", "organizations/", {"name": "A\x00B", "kind": "format"}, "name"),
    ("NUL in a code", "POST", "meetings/", {"kind": "rtg", "cbm": "C\x00T"}, "cbm"),
    ("NUL in a city", "PATCH", "meetings/{som}/", {"city": "Ka\x00bul"}, "city"),
    ("NUL in a password", "PATCH", "users/{user}/", {"password": "Str0ng\x00Pass"}, "password"),
    ("number too big", "POST", "conferences/", {"number": 10**12, "year": 2030}, "number"),
    ("a list for a name", "PATCH", "countries/XYZ/", {"name": ["a", "b"]}, "name"),
]


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [case[1:] for case in BAD_WRITES],
    ids=[case[0] for case in BAD_WRITES],
)
def test_a_bad_write_is_a_400_naming_the_field(world, staff, method, path, payload, field):
    path = "/api/v1/" + path.format(som=world.som.pk, user=world.spare_user.pk)
    before = snapshot()

    response = staff.generic(method, path, json.dumps(payload), content_type="application/json")

    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert all(isinstance(message, str) for message in response.json()[field])
    assert snapshot() == before


def test_a_body_that_is_not_json_is_a_400(staff):
    response = staff.generic(
        "POST", "/api/v1/organizations/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_a_body_that_is_a_list_is_a_400(staff):
    response = staff.post("/api/v1/organizations/", [1, 2], format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    ["countries/FRA/", "cbms/CT/", "organizations/SPARE/", "conferences/1/"],
    ids=[
        "a country with focal points",
        "a CBM with meetings",
        "an organization with a role",
        "a conference a CBM was approved at",
    ],
)
def test_deleting_a_row_others_refer_to_is_a_409_and_deletes_nothing(world, staff, path):
    world.cbm.roles.create(
        organization=world.spare_organization, role="supporting", since=dt.date(2020, 1, 1)
    )
    world.spare_cbm.approved_at = world.held_conference
    world.spare_cbm.save()
    before = snapshot()

    response = staff.delete(f"/api/v1/{path}")

    assert response.status_code == 409, response.content
    assert response.json()["referenced_by"]
    assert snapshot() == before


# --- Lookups ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "countries/%00/",
        "countries/ZZZ/",
        "organizations/A%00B/",
        "conferences/abc/",
        "conferences/99999999999999999999/",
        "cbms/C%00T/",
        "cbms/NOPE/compliance/",
        "cbm-roles/0/",
        "meetings/99999999999999999999/",
        "users/%00/",
    ],
)
def test_an_unknown_or_malformed_lookup_is_a_404(staff, path):
    assert staff.get(f"/api/v1/{path}").status_code == 404


# --- Filters, pages and ordering --------------------------------------------------------------

BAD_FILTERS = [
    ("countries", {"participation": "observer"}, "participation"),
    ("countries", {"since_after": "2020-13-01"}, "since"),
    ("organizations", {"kind": "club"}, "kind"),
    ("conferences", {"status": "rumoured"}, "status"),
    ("conferences", {"host": "ZZZ"}, "host"),
    ("conferences", {"number": "1.5"}, "number"),
    ("conferences", {"date_after": "yesterday"}, "date"),
    ("cbms", {"leads": "ZZZ"}, "leads"),
    ("cbms", {"supporting": "NOPE"}, "supporting"),
    ("cbms", {"approved_on_before": "2019-02-30"}, "approved_on"),
    ("cbm-roles", {"cbm": "NOPE"}, "cbm"),
    ("cbm-roles", {"organization": "NOPE"}, "organization"),
    ("cbm-roles", {"role": "chair"}, "role"),
    ("cbm-roles", {"on": "soon"}, "on"),
    ("meetings", {"kind": "agm"}, "kind"),
    ("meetings", {"cbm": "NOPE"}, "cbm"),
    ("meetings", {"date_before": "2020-02-30"}, "date"),
    ("obligations", {"status": "excused"}, "status"),
    ("obligations", {"conference": "abc"}, "conference"),
    ("obligations", {"met_by": "x"}, "met_by"),
    ("users", {"role": "admin"}, "role"),
    ("users", {"country": "ZZZ"}, "country"),
]


@pytest.mark.parametrize(("prefix", "params", "field"), BAD_FILTERS)
def test_an_unknown_filter_value_is_a_400_naming_the_filter(staff, prefix, params, field):
    response = staff.get(f"/api/v1/{prefix}/", params)
    assert response.status_code == 400, response.content
    assert any(key.startswith(field) for key in response.json()), response.json()


@pytest.mark.parametrize("prefix", LISTS)
@pytest.mark.parametrize(
    "params",
    [{"city": "Ka\x00bul"}, {"ordering": "\x00"}, {"page": "1\x00"}, {"x\x00y": "1"}],
    ids=["in a value", "in ordering", "in page", "in a name"],
)
def test_a_nul_byte_in_the_query_is_a_400(staff, prefix, params):
    assert staff.get(f"/api/v1/{prefix}/", params).status_code == 400


@pytest.mark.parametrize("prefix", LISTS)
@pytest.mark.parametrize("page", [str(10**12), "0", "-1", "abc", "2"])
def test_a_page_out_of_range_is_a_400(staff, prefix, page):
    response = staff.get(f"/api/v1/{prefix}/", {"page": page})
    assert response.status_code == 400
    assert "page" in response.json()


@pytest.mark.parametrize("prefix", LISTS)
@pytest.mark.parametrize(
    "ordering", ["nonsense", "-password", "email,-name", "cbm__desk_officer__password", ","]
)
def test_a_bad_ordering_is_a_400(staff, prefix, ordering):
    response = staff.get(f"/api/v1/{prefix}/", {"ordering": ordering})
    assert response.status_code == 400
    assert list(response.json()) == ["ordering"]


@pytest.mark.parametrize("prefix", LISTS)
@pytest.mark.parametrize("page_size", ["100000", str(10**12), "0", "-5", "abc"])
def test_a_page_size_out_of_range_is_a_400(staff, prefix, page_size):
    response = staff.get(f"/api/v1/{prefix}/", {"page_size": page_size})
    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


@pytest.mark.parametrize("prefix", LISTS)
def test_a_limit_is_not_ours_and_is_ignored(staff, prefix):
    response = staff.get(f"/api/v1/{prefix}/", {"limit": str(10**9), "offset": str(10**12)})
    assert response.status_code == 200
    assert len(response.json()["results"]) <= 500


def test_a_page_holds_500_rows_at_most(world, analyst):
    OrganizationFactory.create_batch(505)
    body = analyst.get("/api/v1/organizations/", {"page_size": 500}).json()
    assert body["count"] == 506
    assert len(body["results"]) == 500
    assert analyst.get("/api/v1/organizations/", {"page_size": 501}).status_code == 400


def test_a_huge_number_in_a_filter_finds_nothing(staff):
    response = staff.get("/api/v1/conferences/", {"number": str(10**20), "year": str(10**20)})
    assert response.status_code == 200
    assert response.json()["count"] == 0
