"""Former names of a CBM (DM, renamed DM&EP at Istanbul 2019): shown to everyone on the CBM's
page; added, edited and deleted by the secretariat from there."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from cbms.models import CBMName
from tests.web.conftest import World


def _rename(w: World) -> tuple[CBMName, CBMName]:
    """FRX was called FM, French Measure, until a rename decided at the Islamabad conference."""
    old = CBMName.objects.create(
        cbm=w.fr_cbm,
        code="FM",
        name="Former Measure",
        since=dt.date(2012, 6, 14),
        until=dt.date(2015, 12, 8),
        decided_at=w.beijing,
    )
    present = CBMName.objects.create(
        cbm=w.fr_cbm,
        code="FRX",
        name="French Measure",
        since=dt.date(2015, 12, 9),
        decided_at=w.islamabad,
    )
    return old, present


@pytest.mark.parametrize("role", ["anonymous", "analyst", "focal_de", "secretariat"])
def test_everyone_reads_the_former_name(world, client_for, role):
    _rename(world)
    page = client_for(role).get(reverse("cbms:cbm_detail", args=[world.fr_cbm.pk])).text
    assert "Formerly known as FM – Former Measure, until 8 December 2015." in page
    assert "Formerly known as FRX" not in page  # the present name is not a former one
    assert "14 June 2012 – 8 December 2015" in page
    assert reverse("conferences:conference_detail", args=[world.beijing.pk]) in page


def test_only_the_secretariat_sees_the_names_section(world, client_for):
    old, _ = _rename(world)
    url = reverse("cbms:cbm_detail", args=[world.fr_cbm.pk])
    edit = reverse("cbms:name_update", args=[old.pk])
    assert edit in client_for("secretariat").get(url).text
    for role in ("anonymous", "analyst", "focal_fr"):
        page = client_for(role).get(url).text
        assert edit not in page and reverse("cbms:name_create", args=[world.fr_cbm.pk]) not in page


def test_the_secretariat_records_a_former_name(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:name_create", args=[world.de_cbm.pk])
    form = client.get(url)
    assert "A name of DEX – German Measure" in form.text
    assert "Decided at" in form.text
    response = client.post(
        url,
        {
            "code": "GM",
            "name": "Germanic Measure",
            "since": "2012-06-14",
            "until": "2014-10-30",
            "decided_at": world.beijing.pk,
        },
    )
    assert response["Location"] == reverse("cbms:cbm_detail", args=[world.de_cbm.pk]) + "#names"
    name = CBMName.objects.get(code="GM")
    assert name.history.latest().history_user == world.users["secretariat"]
    page = client.get(response["Location"]).text
    assert "Formerly known as GM – Germanic Measure, until 30 October 2014." in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "FM", "name": "Again", "since": "2012-06-14"}, "since"),  # a name from that day
        ({"code": "X", "name": "X", "since": "2015-01-01", "until": "2015-01-01"}, "until"),
        ({"code": "", "name": "X", "since": "2015-01-01"}, "code"),
        ({"code": "X", "name": "X", "since": "not a date"}, "since"),
    ],
    ids=["same start", "ends the day it starts", "no code", "bad date"],
)
def test_a_bad_name_is_refused_and_saves_nothing(world, client_for, data, field):
    _rename(world)
    before = list(CBMName.objects.values())
    response = client_for("secretariat").post(
        reverse("cbms:name_create", args=[world.fr_cbm.pk]), data
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert "Nothing was saved" in response.text
    assert list(CBMName.objects.values()) == before


def test_a_name_is_edited_deleted_and_its_history_kept(world, client_for):
    old, _ = _rename(world)
    client = client_for("secretariat")
    response = client.post(
        reverse("cbms:name_update", args=[old.pk]),
        {"code": "DM", "name": "Disaster Management", "since": "2012-06-14", "until": "2019-12-8"},
    )
    assert response.status_code == 302
    history = client.get(reverse("cbms:name_history", args=[old.pk])).text
    assert "Sam Staff" in history
    assert "Former Measure" in history and "Disaster Management" in history

    delete = reverse("cbms:name_delete", args=[old.pk])
    assert "Yes, delete" in client.get(delete).text
    assert client.post(delete)["Location"].endswith("#names")
    assert not CBMName.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize("role", ["analyst", "focal_fr"])
def test_no_one_else_changes_a_name(world, client_for, role):
    old, _ = _rename(world)
    before = list(CBMName.objects.values())
    client = client_for(role)
    answers = [
        client.post(
            reverse("cbms:name_create", args=[world.fr_cbm.pk]),
            {"code": "Z", "name": "Z", "since": "2020-01-01"},
        ),
        client.post(
            reverse("cbms:name_update", args=[old.pk]),
            {"code": "Z", "name": "Z", "since": "2012-06-14"},
        ),
        client.post(reverse("cbms:name_delete", args=[old.pk])),
    ]
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert list(CBMName.objects.values()) == before


def test_a_name_is_called_by_its_name_on_the_pages_that_name_it(world, client_for):
    """Not "C b m names": the model and its fields have their own, translatable, names."""
    opts = CBMName._meta
    assert (opts.verbose_name, opts.verbose_name_plural) == ("CBM name", "CBM names")
    assert opts.get_field("decided_at").verbose_name == "decided at"
    assert opts.get_field("cbm").verbose_name == "CBM"
    old, _present = _rename(world)
    world.fr_rtg.delete()  # a held RTG protects its CBM
    client = client_for("secretariat")
    cbm_delete = client.get(reverse("cbms:cbm_delete", args=[world.fr_cbm.pk])).text
    assert "<strong>CBM names</strong>: 2" in cbm_delete and "C b m" not in cbm_delete
    assert "CBM name: FM – Former Measure" in cbm_delete
    history = client.get(reverse("cbms:name_history", args=[old.pk])).text
    assert "C b m" not in history
    with translation.override("fa"):
        assert str(opts.verbose_name_plural) == "نام‌های تدبیر اعتمادساز"
        assert str(opts.get_field("decided_at").verbose_name) == "تصمیم‌گرفته‌شده در"
