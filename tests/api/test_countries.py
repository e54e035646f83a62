"""/api/v1/countries/: a country is shown with its current participation period, else its most
recent one; writing the period's fields writes that period, with the country, all or nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from members.models import Country, Participation
from tests.api.conftest import snapshot
from tests.members.factories import CountryFactory

TODAY = timezone.localdate()


def _period(country, kind, since, until=None):
    return Participation.objects.create(
        country=country, kind=kind, since=since, until=until, source="test"
    )


@pytest.mark.parametrize(
    ("periods", "shown"),
    [
        ([], (None, None, None)),
        (
            [("participating", "2011-11-02", "2015-12-31"), ("supporting", "2016-01-01", None)],
            ("supporting", "2016-01-01", None),
        ),
        (
            [
                ("participating", "2011-11-02", "2013-12-31"),
                ("supporting", "2014-01-01", "2016-06-30"),
            ],
            ("supporting", "2014-01-01", "2016-06-30"),
        ),
        ([("participating", None, None)], ("participating", None, None)),
        (
            [("supporting", "2011-11-02", None), ("participating", "2099-01-01", None)],
            ("supporting", "2011-11-02", None),
        ),
    ],
    ids=["no period", "current over past", "the most recent ended", "dates unknown", "not yet"],
)
def test_a_country_is_shown_with_its_current_or_latest_period(world, analyst, periods, shown):
    country = CountryFactory(code="UZB", name="Uzbekistan")
    for kind, since, until in periods:
        _period(country, kind, since, until)

    body = analyst.get("/api/v1/countries/UZB/").json()

    assert body == {
        "code": "UZB",
        "name": "Uzbekistan",
        "participation": shown[0],
        "since": shown[1],
        "until": shown[2],
    }
    listed = analyst.get("/api/v1/countries/", {"code": "uzb"}).json()["results"]
    assert listed == [body]


def test_creating_a_country_records_its_period_in_the_same_request(world, staff):
    response = staff.post(
        "/api/v1/countries/",
        {
            "code": "UZB",
            "name": "Uzbekistan",
            "participation": "participating",
            "since": "2012-06-14",
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json() == {
        "code": "UZB",
        "name": "Uzbekistan",
        "participation": "participating",
        "since": "2012-06-14",
        "until": None,
    }
    (period,) = Participation.objects.filter(country__code="UZB")
    assert (period.kind, period.since, period.until) == (
        "participating",
        dt.date(2012, 6, 14),
        None,
    )
    assert "staff" in period.source


def test_a_country_without_participation_fields_gets_no_period(world, staff):
    response = staff.post(
        "/api/v1/countries/", {"code": "UZB", "name": "Uzbekistan"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["participation"] is None
    assert not Participation.objects.filter(country__code="UZB").exists()


def test_a_bad_period_saves_no_country_either(world, staff):
    before = snapshot()
    response = staff.post(
        "/api/v1/countries/",
        {"code": "UZB", "name": "Uzbekistan", "since": "2012-06-14"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["participation"]
    assert snapshot() == before


def test_patching_the_period_changes_the_period_shown_not_another(world, staff):
    old = _period(world.spare_country, "participating", dt.date(2011, 11, 2), dt.date(2015, 12, 31))
    current = _period(world.spare_country, "supporting", dt.date(2016, 1, 1))

    response = staff.patch(
        "/api/v1/countries/XYZ/", {"until": TODAY.isoformat(), "name": "Spare Union"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["until"] == TODAY.isoformat()
    assert Country.objects.get(code="XYZ").name == "Spare Union"
    current.refresh_from_db()
    old.refresh_from_db()
    assert current.until == TODAY
    assert old.until == dt.date(2015, 12, 31)
    assert Participation.objects.filter(country=world.spare_country).count() == 2


def test_patching_a_period_onto_a_country_without_one_records_it(world, staff):
    response = staff.patch("/api/v1/countries/XYZ/", {"participation": "supporting"}, format="json")
    assert response.status_code == 200
    assert response.json()["participation"] == "supporting"
    assert Participation.objects.filter(country=world.spare_country, kind="supporting").exists()


def test_renaming_a_countrys_code_moves_its_address(world, staff):
    response = staff.patch("/api/v1/countries/XYZ/", {"code": "XYW"}, format="json")
    assert response.status_code == 200
    assert staff.get("/api/v1/countries/XYW/").status_code == 200
    assert staff.get("/api/v1/countries/XYZ/").status_code == 404


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({"participation": "supporting"}, ["FRA", "DEU"]),
        ({"participation": "participating"}, ["UZB"]),
        ({"since_after": "2012-01-01"}, ["UZB"]),
        ({"until_before": "2030-01-01"}, []),
        ({"ongoing": "true"}, ["FRA", "DEU", "UZB"]),
        ({"ongoing": "false"}, ["XYZ"]),
        ({"name": "land"}, ["XYZ"]),
        ({"ordering": "-since", "participation": "supporting"}, ["FRA", "DEU"]),
    ],
)
def test_countries_filter_on_the_period_shown(world, analyst, params, codes):
    _period(CountryFactory(code="UZB", name="Uzbekistan"), "participating", dt.date(2012, 6, 14))
    results = analyst.get("/api/v1/countries/", params).json()["results"]
    assert sorted(r["code"] for r in results) == sorted(codes)


def test_countries_order_on_the_period_shown(world, analyst):
    _period(CountryFactory(code="UZB", name="Uzbekistan"), "participating", dt.date(2012, 6, 14))
    results = analyst.get(
        "/api/v1/countries/", {"ordering": "-since,code", "ongoing": "true"}
    ).json()["results"]
    assert [r["code"] for r in results] == ["UZB", "DEU", "FRA"]
