"""A PATCH that sets a read-only or computed field is accepted for the rest and the field is
ignored: the stored value does not change (OWASP ASVS 15.3.3, RELIABILITY goal 7)."""

import pytest

from cbms.models import CBMRole
from conferences.models import Meeting
from members.models import User


def test_a_cbms_leads_and_supporting_are_not_written_by_a_patch(world, staff):
    response = staff.patch(
        "/api/v1/cbms/CT/",
        {"leads": ["DEU"], "supporting": ["FRA", "SPARE"], "name": "Counter-Terrorism"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "code": "CT",
        "name": "Counter-Terrorism",
        "approved_on": "2012-06-14",
        "leads": ["FRA"],
        "supporting": ["DEU"],
    }
    assert sorted(CBMRole.objects.values_list("role", "country__code", "organization")) == [
        ("lead", "FRA", None),
        ("supporting", "DEU", None),
    ]


def test_a_conferences_declaration_is_not_written_by_a_patch(world, staff):
    response = staff.patch(
        "/api/v1/conferences/1/",
        {"declaration": "Another title", "city": "İstanbul"},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["declaration"], response.json()["city"]) == (
        "1st Ministerial Declaration",
        "İstanbul",
    )
    world.held_conference.declaration.refresh_from_db()
    assert world.held_conference.declaration.title == "1st Ministerial Declaration"


@pytest.mark.parametrize(
    ("path", "model", "row"),
    [
        ("users/{pk}/", User, "spare_user"),
        ("meetings/{pk}/", Meeting, "som"),
        ("cbm-roles/{pk}/", CBMRole, "spare_role"),
    ],
)
def test_an_id_is_not_written_by_a_patch(world, staff, path, model, row):
    pk = getattr(world, row).pk
    count = model.objects.count()

    response = staff.patch(f"/api/v1/{path.format(pk=pk)}", {"id": pk + 1000}, format="json")

    assert response.status_code == 200
    assert response.json()["id"] == pk
    assert model.objects.count() == count
    assert not model.objects.filter(pk=pk + 1000).exists()


def test_a_focal_point_cannot_move_an_rtg_to_a_cbm_its_country_does_not_lead(world, client_for):
    before = Meeting.objects.values().get(pk=world.rtg.pk)

    response = client_for("fp_lead").patch(
        f"/api/v1/meetings/{world.rtg.pk}/", {"cbm": "ZZ"}, format="json"
    )

    assert response.status_code == 403
    assert Meeting.objects.values().get(pk=world.rtg.pk) == before


def test_a_focal_point_cannot_turn_its_rtg_into_a_som(world, client_for):
    before = Meeting.objects.values().get(pk=world.rtg.pk)

    response = client_for("fp_lead").patch(
        f"/api/v1/meetings/{world.rtg.pk}/", {"kind": "som", "cbm": None}, format="json"
    )

    assert response.status_code == 403
    assert Meeting.objects.values().get(pk=world.rtg.pk) == before
