"""Every form refuses bad input with errors on the fields concerned and saves nothing; good
input is saved, and its history names the person who saved it."""

import datetime as dt
from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone

from cbms.models import CBM, Activity, CBMRole, ImplementationPlanVersion, PriorityArea
from conferences.models import Article, Declaration, Meeting, MinisterialConference
from members.models import Country, Participation
from organizations.models import Membership, Organization
from tests.web.conftest import World


def tomorrow() -> str:
    # Evaluated when the form is posted, not at import: the suite may run across midnight in Kabul.
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


Data = Callable[[World], dict]
Args = Callable[[World], list]

# (create route, its URL args, model, bad input, the fields its errors must name, good input)
CREATES: list[tuple[str, Args, type, Data, set[str], Data]] = [
    (
        "members:country_create",
        lambda w: [],
        Country,
        lambda w: {"code": "fr", "name": "France"},  # lower case; the name is taken
        {"code", "name"},
        lambda w: {"code": "ITA", "name": "Italy"},
    ),
    (
        "members:participation_create",
        lambda w: [w.france.pk],
        Participation,
        lambda w: {"kind": "observer", "since": "2020-01-01", "until": "2019-01-01"},
        {"kind", "source"},
        lambda w: {"kind": "supporting", "since": "2012-01-01", "source": "article"},
    ),
    (
        "organizations:organization_create",
        lambda w: [],
        Organization,
        lambda w: {"acronym": "SCO", "name": "", "kind": "club"},
        {"acronym", "name", "kind"},
        lambda w: {
            "acronym": "ECO",
            "name": "Economic Cooperation Organization",
            "kind": "regional",
        },
    ),
    (
        "organizations:membership_create",
        lambda w: [w.organization.pk],
        Membership,
        lambda w: {"country": "999999", "status": "member", "since": "not a date"},
        {"country", "since"},
        lambda w: {"country": w.france.pk, "status": "observer", "since": "2013-01-01"},
    ),
    (
        "conferences:conference_create",
        lambda w: [],
        MinisterialConference,
        # Held with no date, number taken.
        lambda w: {"number": "4", "year": "2016", "host": w.france.pk, "status": "held"},
        {"number", "date"},
        lambda w: {
            "number": "7",
            "date": "2017-12-01",
            "year": "2017",
            "city": "Baku",
            "host": w.france.pk,
            "status": "held",
        },
    ),
    (
        "conferences:declaration_create",
        lambda w: [w.islamabad.pk],
        Declaration,
        lambda w: {"title": "x" * 201},
        {"title"},
        lambda w: {"title": "Islamabad Declaration"},
    ),
    (
        "conferences:article_create",
        lambda w: [w.declaration.pk],
        Article,
        lambda w: {"number": "-1", "text": ""},
        {"number", "text"},
        lambda w: {"number": "26", "text": "The next article."},
    ),
    (
        "conferences:meeting_create",
        lambda w: [],
        Meeting,
        # An RTG needs a CBM, and a held meeting cannot be dated after today.
        lambda w: {"kind": "rtg", "date": tomorrow(), "status": "held"},
        {"cbm", "date"},
        lambda w: {"kind": "rtg", "cbm": w.fr_cbm.pk, "date": "2015-06-01", "status": "held"},
    ),
    (
        "cbms:cbm_create",
        lambda w: [],
        CBM,
        lambda w: {"code": "FRX", "name": "", "approved_on": "2012-13-01"},
        {"code", "name", "approved_on"},
        lambda w: {"code": "AD", "name": "Agriculture Development", "approved_on": "2017-12-01"},
    ),
    (
        "cbms:role_create",
        lambda w: [w.de_cbm.pk],
        CBMRole,
        lambda w: {"role": "boss", "country": w.france.pk, "since": ""},
        {"role", "since"},
        lambda w: {"role": "supporting", "country": w.france.pk, "since": "2013-01-01"},
    ),
    (
        "cbms:plan_create",
        lambda w: [w.de_cbm.pk],
        ImplementationPlanVersion,
        lambda w: {"version": "0", "title": "", "status": "draft"},
        {"version", "title"},
        lambda w: {"version": "1", "title": "Implementation Plan", "status": "draft"},
    ),
    (
        "cbms:area_create",
        lambda w: [w.fr_draft.pk],
        PriorityArea,
        lambda w: {"number": "-5", "title": ""},
        {"number", "title"},
        lambda w: {"number": "2", "title": "Information sharing"},
    ),
    (
        "cbms:activity_create",
        lambda w: [w.draft_area.pk],
        Activity,
        lambda w: {"number": "", "title": "t" * 301},
        {"number", "title"},
        lambda w: {"number": "2", "title": "Workshop"},
    ),
]


@pytest.mark.parametrize(
    ("name", "args", "model", "bad", "fields", "good"),
    CREATES,
    ids=[case[0] for case in CREATES],
)
def test_a_create_form_refuses_bad_input_and_saves_good(
    world, client_for, name, args, model, bad, fields, good
):
    client = client_for("secretariat")
    url = reverse(name, args=args(world))
    before = model.objects.count()

    refused = client.post(url, bad(world))
    assert refused.status_code == 200
    form = refused.context["form"]
    assert fields <= set(form.errors), form.errors
    assert 'aria-invalid="true"' in refused.text and "is-invalid" in refused.text
    assert "Nothing was saved" in refused.text
    assert model.objects.count() == before
    # What was typed is kept.
    for key, value in bad(world).items():
        if key in form.fields and value and str(value) != "999999":
            assert str(value) in refused.text

    saved = client.post(url, good(world))
    assert saved.status_code == 302, saved.context["form"].errors if saved.context else None
    assert model.objects.count() == before + 1
    record = model.objects.order_by("-pk").first()
    assert record.history.latest().history_user == world.users["secretariat"]


# (edit route, the record, input that breaks a rule spanning fields or rows, the error's field)
EDITS = [
    ("members:country_update", "france", {"code": "DEU", "name": "France"}, "code"),
    ("cbms:plan_update", "fr_draft", {"version": "2", "title": "t", "status": "in_force"}, None),
    (
        "cbms:role_update",
        "fr_role",
        {"role": "lead", "organization": "ORG", "since": "2012-06-14", "until": "2011-01-01"},
        None,
    ),
    ("conferences:conference_update", "islamabad", {"number": "5", "year": "2013"}, "date"),
    (
        "conferences:article_update",
        "article",
        {"number": "25", "text": "x", "is_rtg_rule": "on"},
        None,
    ),
]


@pytest.mark.parametrize(("name", "attr", "data", "field"), EDITS, ids=[e[0] for e in EDITS])
def test_an_edit_breaking_a_constraint_is_a_form_error_not_a_server_error(
    world, client_for, name, attr, data, field
):
    record = getattr(world, attr)
    if "organization" in data:
        data = {**data, "organization": world.organization.pk, "country": world.france.pk}
    before = type(record).objects.filter(pk=record.pk).values().get()
    response = client_for("secretariat").post(reverse(name, args=[record.pk]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors, "the form should refuse it"
    if field:
        assert field in errors
    assert type(record).objects.filter(pk=record.pk).values().get() == before


def test_a_constraint_on_the_parent_is_checked_before_saving(world, client_for):
    """A second plan in force for a CBM: the parent is set by the view, yet validated."""
    response = client_for("secretariat").post(
        reverse("cbms:plan_create", args=[world.fr_cbm.pk]),
        {"version": "3", "title": "Another", "status": "in_force", "adopted_on": "2020-01-01"},
    )
    assert response.status_code == 200
    assert "already has an implementation plan in force" in response.text
    assert world.fr_cbm.plan_versions.count() == 2


def test_a_cbm_created_with_its_lead_country(world, client_for):
    response = client_for("secretariat").post(
        reverse("cbms:cbm_create"),
        {
            "code": "WE",
            "name": "Women Empowerment",
            "approved_on": "2019-12-09",
            "lead_country": world.france.pk,
        },
    )
    cbm = CBM.objects.get(code="WE")
    assert response.status_code == 302
    assert response["Location"] == reverse("cbms:cbm_detail", args=[cbm.pk])
    role = cbm.roles.get()
    assert (role.country, role.role, role.since) == (world.france, "lead", dt.date(2019, 12, 9))
    assert role.history.latest().history_user == world.users["secretariat"]


def test_a_lead_cannot_start_before_the_cbm_is_approved(world, client_for):
    response = client_for("secretariat").post(
        reverse("cbms:cbm_create"),
        {
            "code": "WE",
            "name": "Women Empowerment",
            "approved_on": "2019-12-09",
            "lead_country": world.france.pk,
            "lead_since": "2019-01-01",
        },
    )
    assert "lead_since" in response.context["form"].errors
    assert not CBM.objects.filter(code="WE").exists()


def test_an_edit_is_saved_and_recorded(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:cbm_update", args=[world.de_cbm.pk])
    response = client.post(
        url, {"code": "DEX", "name": "German Measure, renamed", "approved_on": "2012-06-14"}
    )
    assert response.status_code == 302
    world.de_cbm.refresh_from_db()
    assert world.de_cbm.name == "German Measure, renamed"
    assert world.de_cbm.history.latest().history_user == world.users["secretariat"]
    page = client.get(response["Location"])
    assert "Saved" in page.text


# --- The focal point's RTG form -----------------------------------------------------------------


def test_a_focal_point_records_an_rtg_of_its_own_cbm(world, client_for):
    client = client_for("focal_fr")
    form = client.get(reverse("conferences:meeting_create")).context["form"]
    assert list(form.fields["cbm"].queryset) == [world.fr_cbm]
    assert "kind" not in form.fields
    response = client.post(
        reverse("conferences:meeting_create"),
        {"cbm": world.fr_cbm.pk, "date": "2015-02-01", "status": "held", "city": "Lyon"},
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(city="Lyon")
    assert (meeting.kind, meeting.cbm) == ("rtg", world.fr_cbm)
    assert meeting.history.latest().history_user == world.users["focal_fr"]


def test_a_focal_point_cannot_record_for_another_countrys_cbm(world, client_for):
    before = Meeting.objects.count()
    response = client_for("focal_fr").post(
        reverse("conferences:meeting_create"),
        {"cbm": world.de_cbm.pk, "date": "2015-02-01", "status": "held", "kind": "som"},
    )
    assert response.status_code == 200
    assert "cbm" in response.context["form"].errors
    assert Meeting.objects.count() == before


def test_a_focal_point_cannot_move_its_rtg_to_another_cbm(world, client_for):
    response = client_for("focal_fr").post(
        reverse("conferences:meeting_update", args=[world.fr_rtg.pk]),
        {"cbm": world.de_cbm.pk, "date": "2014-12-01", "status": "held"},
    )
    assert response.status_code == 200
    world.fr_rtg.refresh_from_db()
    assert world.fr_rtg.cbm == world.fr_cbm


def test_the_schedule_link_preselects_the_cbm(world, client_for):
    url = reverse("conferences:meeting_create") + f"?kind=rtg&cbm={world.fr_cbm.pk}"
    form = client_for("focal_fr").get(url).context["form"]
    assert str(form.initial["cbm"]) == str(world.fr_cbm.pk)
