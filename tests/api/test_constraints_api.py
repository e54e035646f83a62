"""RELIABILITY goal 11 through the API: the data each database constraint refuses (see
tests/test_constraints.py) is a 400 naming the field when it arrives through the API, never a
500, and the database is unchanged."""

import datetime as dt
import json

import pytest

from members.models import Participation
from tests.api.conftest import snapshot


def _two_periods(world) -> None:
    """Spareland took part from 2011 to 2015, and supports the process since 2016."""
    Participation.objects.create(
        country=world.spare_country,
        kind="participating",
        since=dt.date(2011, 11, 2),
        until=dt.date(2015, 12, 31),
        source="test",
    )
    Participation.objects.create(
        country=world.spare_country, kind="supporting", since=dt.date(2016, 1, 1), source="test"
    )


ROLE = {"cbm": "CT", "role": "supporting", "since": "2016-01-01"}
CONFERENCE = {"year": 2012, "host": "FRA", "status": "held"}

VIOLATIONS = [
    # (constraint, method, path, payload, the field the answer names)
    ("country_code_alpha3", "POST", "countries/", {"code": "af1", "name": "A"}, "code"),
    ("country code unique", "POST", "countries/", {"code": "FRA", "name": "B"}, "code"),
    ("country name unique", "PATCH", "countries/XYZ/", {"name": "France"}, "name"),
    (
        "participation_until_after_since",
        "POST",
        "countries/",
        {
            "code": "NEW",
            "name": "N",
            "participation": "supporting",
            "since": "2020-01-01",
            "until": "2019-12-31",
        },
        "until",
    ),
    (
        "participation_until_after_since (on the period shown)",
        "PATCH",
        "countries/FRA/",
        {"until": "2000-01-01"},
        "until",
    ),
    (
        "participation_kind_valid",
        "PATCH",
        "countries/FRA/",
        {"participation": "observer"},
        "participation",
    ),
    (
        "participation_unique_start",
        "PATCH",
        "countries/XYZ/",
        {"participation": "participating", "since": "2011-11-02"},
        "since",
    ),
    (
        "user_country_iff_focal_point (no country)",
        "POST",
        "users/",
        {"username": "u1", "role": "focal_point", "password": "Str0ng-Passphrase-9"},
        "country",
    ),
    (
        "user_country_iff_focal_point (an analyst's country)",
        "POST",
        "users/",
        {"username": "u2", "role": "analyst", "country": "FRA", "password": "Str0ng-Passphrase-9"},
        "country",
    ),
    (
        "user_country_iff_focal_point (demoted, keeps the country)",
        "PATCH",
        "users/{fp_lead}/",
        {"role": "analyst"},
        "country",
    ),
    ("user_role_valid", "PATCH", "users/{user}/", {"role": "admin"}, "role"),
    ("username unique", "PATCH", "users/{user}/", {"username": "staff"}, "username"),
    ("organization_kind_valid", "PATCH", "organizations/SPARE/", {"kind": "club"}, "kind"),
    ("organization_acronym_not_empty", "PATCH", "organizations/SPARE/", {"acronym": ""}, "acronym"),
    (
        "organization acronym unique",
        "POST",
        "organizations/",
        {"acronym": "SPARE", "name": "Other", "kind": "format"},
        "acronym",
    ),
    (
        "organization name unique",
        "PATCH",
        "organizations/SPARE/",
        {"name": "Taken"},
        "name",
    ),
    ("conference_held_has_date", "PATCH", "conferences/9/", {"status": "held"}, "date"),
    ("conference_number_positive", "POST", "conferences/", {**CONFERENCE, "number": 0}, "number"),
    ("conference number unique", "PATCH", "conferences/9/", {"number": 1}, "number"),
    (
        "conference date unique",
        "POST",
        "conferences/",
        {**CONFERENCE, "number": 2, "date": "2011-11-02"},
        "date",
    ),
    ("conference_year_plausible", "PATCH", "conferences/9/", {"year": 1999}, "year"),
    ("conference_status_valid", "PATCH", "conferences/9/", {"status": "rumoured"}, "status"),
    ("meeting_cbm_iff_rtg (RTG without)", "PATCH", "meetings/{rtg}/", {"cbm": None}, "cbm"),
    ("meeting_cbm_iff_rtg (SOM with)", "PATCH", "meetings/{som}/", {"cbm": "CT"}, "cbm"),
    ("meeting_kind_valid", "PATCH", "meetings/{som}/", {"kind": "agm"}, "kind"),
    ("meeting_status_valid", "PATCH", "meetings/{som}/", {"status": "postponed"}, "status"),
    ("cbm_code_not_empty", "PATCH", "cbms/ZZ/", {"code": ""}, "code"),
    ("cbm code unique", "PATCH", "cbms/ZZ/", {"code": "CT"}, "code"),
    ("cbm name unique", "PATCH", "cbms/ZZ/", {"name": "Counter Terrorism"}, "name"),
    (
        "cbmrole_country_xor_organization (both)",
        "POST",
        "cbm-roles/",
        {**ROLE, "country": "DEU", "organization": "SPARE"},
        "organization",
    ),
    ("cbmrole_country_xor_organization (neither)", "POST", "cbm-roles/", ROLE, "country"),
    (
        "cbmrole_country_xor_organization (PATCH adds the other)",
        "PATCH",
        "cbm-roles/{role}/",
        {"organization": "SPARE"},
        "organization",
    ),
    (
        "cbmrole_lead_is_country",
        "POST",
        "cbm-roles/",
        {**ROLE, "role": "lead", "organization": "SPARE"},
        "organization",
    ),
    ("cbmrole_role_valid", "PATCH", "cbm-roles/{role}/", {"role": "chair"}, "role"),
    ("cbmrole_until_after_since", "PATCH", "cbm-roles/{role}/", {"until": "2012-12-31"}, "until"),
    (
        "cbmrole_unique_country_start",
        "POST",
        "cbm-roles/",
        {"cbm": "CT", "country": "FRA", "role": "lead", "since": "2012-06-14"},
        "since",
    ),
    (
        "cbmrole_unique_organization_start",
        "POST",
        "cbm-roles/",
        {**ROLE, "organization": "TAKEN"},
        "since",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [case[1:] for case in VIOLATIONS],
    ids=[case[0] for case in VIOLATIONS],
)
def test_each_constraint_is_a_400_naming_the_field(world, staff, method, path, payload, field):
    _two_periods(world)
    taken = world.spare_organization.__class__.objects.create(
        acronym="TAKEN", name="Taken", kind="format"
    )
    world.cbm.roles.create(organization=taken, role="supporting", since=dt.date(2016, 1, 1))
    path = "/api/v1/" + path.format(
        user=world.spare_user.pk,
        fp_lead=world.users["fp_lead"].pk,
        rtg=world.rtg.pk,
        som=world.som.pk,
        role=world.spare_role.pk,
    )
    before = snapshot()

    response = staff.generic(method, path, json.dumps(payload), content_type="application/json")

    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert snapshot() == before
