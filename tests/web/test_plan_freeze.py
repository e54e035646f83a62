"""The plan pages once a version is published: its content is frozen (cbms.models.plans).

The plan page offers no Edit, Delete or Add on a published version's areas and activities, but
"New draft version from this one"; the draft page offers them, and "Publish this version". Asked
for anyway, with htmx or without, the forms refuse and change nothing: a 403 page saying why,
or, in place, the plan as it is with the reason beside it.
"""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from cbms.models import Activity, ImplementationPlanVersion, PlanStatus, PriorityArea
from tests.web.conftest import World

HTMX = {"HTTP_HX_REQUEST": "true"}
FROZEN = "its content can no longer change"


def _content() -> list:
    return [
        list(model.objects.order_by("pk").values())
        for model in (ImplementationPlanVersion, PriorityArea, Activity)
    ]


@pytest.fixture
def superseded(world: World) -> World:
    """France's plan in force superseded by its draft revision, published: both frozen."""
    client = _staff(world)
    client.post(reverse("cbms:plan_publish", args=[world.fr_draft.pk]), {"adopted_on": ""})
    world.fr_plan.refresh_from_db()
    world.fr_draft.refresh_from_db()
    assert (world.fr_plan.status, world.fr_draft.status) == ("superseded", "in_force")
    return world


def _staff(world: World) -> Client:
    client = Client()
    client.force_login(world.users["secretariat"])
    return client


# (route, its arguments, the data a post sends): every write on a version's areas and activities.
WRITES = [
    ("cbms:area_create", lambda plan, area, activity: [plan.pk], {"number": "9", "title": "x"}),
    ("cbms:area_update", lambda plan, area, activity: [area.pk], {"number": "9", "title": "x"}),
    ("cbms:area_delete", lambda plan, area, activity: [area.pk], {}),
    ("cbms:activity_create", lambda p, area, activity: [area.pk], {"number": "9", "title": "x"}),
    ("cbms:activity_update", lambda p, a, activity: [activity.pk], {"number": "9", "title": "x"}),
    ("cbms:activity_delete", lambda p, a, activity: [activity.pk], {}),
]


def _published(world: World, which: str):
    if which == "in_force":
        return world.fr_plan, world.area, world.activity
    # The draft revision, once published, supersedes version 1: version 1 is then superseded.
    _staff(world).post(reverse("cbms:plan_publish", args=[world.fr_draft.pk]), {})
    world.fr_plan.refresh_from_db()
    assert world.fr_plan.status == PlanStatus.SUPERSEDED
    return world.fr_plan, world.area, world.activity


@pytest.mark.parametrize("which", ["in_force", "superseded"])
@pytest.mark.parametrize(("name", "args", "data"), WRITES, ids=[w[0] for w in WRITES])
def test_a_published_versions_rows_refuse_without_htmx(world, which, name, args, data):
    plan, area, activity = _published(world, which)
    client = _staff(world)
    url = reverse(name, args=args(plan, area, activity))
    before = _content()
    for response in (client.get(url), client.post(url, data)):
        assert response.status_code == 403
        page = response.text
        assert "<html" in page and "This plan version is frozen" in page
        assert FROZEN in page and "Nothing was changed." in page
        assert reverse("cbms:plan_derive", args=[plan.pk]) in page  # the way forward
        assert reverse("cbms:plan_detail", args=[plan.pk]) in page
    assert _content() == before


@pytest.mark.parametrize("which", ["in_force", "superseded"])
@pytest.mark.parametrize(("name", "args", "data"), WRITES, ids=[w[0] for w in WRITES])
def test_a_published_versions_rows_refuse_in_place(world, which, name, args, data):
    """With htmx: the plan's part of the page as it is (no Edit links), the reason beside it."""
    plan, area, activity = _published(world, which)
    client = _staff(world)
    url = reverse(name, args=args(plan, area, activity))
    before = _content()
    for response in (client.get(url, **HTMX), client.post(url, data, **HTMX)):
        assert response.status_code == 200
        assert response["HX-Retarget"] == "#plan-body" and response["HX-Reswap"] == "outerHTML"
        html = response.text
        assert html.startswith('<div id="plan-body">') and "<html" not in html
        assert "Joint training" in html
        assert 'id="inline-status" aria-live="polite" hx-swap-oob="innerHTML"' in html
        assert 'role="alert"' in html and FROZEN in html
        assert "hx-get" not in html and "/edit/" not in html and "/delete/" not in html
    assert _content() == before


def test_the_plan_in_force_offers_no_row_edits_but_a_new_draft(world, client_for):
    url = reverse("cbms:plan_detail", args=[world.fr_plan.pk])
    page = client_for("secretariat").get(url).text
    for route, pk in (
        ("cbms:area_create", world.fr_plan.pk),
        ("cbms:area_update", world.area.pk),
        ("cbms:area_delete", world.area.pk),
        ("cbms:activity_create", world.area.pk),
        ("cbms:activity_update", world.activity.pk),
        ("cbms:activity_delete", world.activity.pk),
        ("cbms:plan_publish", world.fr_plan.pk),
    ):
        assert reverse(route, args=[pk]) not in page, route
    assert "Add a priority area" not in page and "Add an activity" not in page
    assert 'id="plan-frozen"' in page and "This version is in force" in page
    assert reverse("cbms:plan_derive", args=[world.fr_plan.pk]) in page
    assert "New draft version from this one" in page
    # The version's own record: still edited (its status moves on), its history read.
    assert reverse("cbms:plan_update", args=[world.fr_plan.pk]) in page
    assert reverse("cbms:area_history", args=[world.area.pk]) in page


def test_the_draft_offers_row_edits_and_publishing(world, client_for):
    page = client_for("secretariat").get(reverse("cbms:plan_detail", args=[world.fr_draft.pk])).text
    assert reverse("cbms:area_create", args=[world.fr_draft.pk]) in page
    assert reverse("cbms:activity_update", args=[world.draft_activity.pk]) in page
    assert reverse("cbms:plan_publish", args=[world.fr_draft.pk]) in page
    assert 'id="plan-frozen"' not in page


@pytest.mark.parametrize("role", ["anonymous", "analyst", "focal_fr"])
def test_the_public_sees_neither_the_versioning_buttons_nor_the_notice(world, client_for, role):
    page = client_for(role).get(reverse("cbms:plan_detail", args=[world.fr_plan.pk])).text
    assert "Joint training" in page
    assert "plan-versioning" not in page and "plan-frozen" not in page
    assert reverse("cbms:plan_derive", args=[world.fr_plan.pk]) not in page


# --- The version's own page: its status moves on, its content does not --------------------------


def _plan_form(plan, **changes) -> dict:
    data = {
        "version": plan.version,
        "title": plan.title,
        "status": plan.status,
        "adopted_on": plan.adopted_on.isoformat() if plan.adopted_on else "",
        "notes": plan.notes,
    }
    return {**data, **changes}


def test_a_published_versions_content_is_read_only_on_its_form(world, client_for):
    url = reverse("cbms:plan_update", args=[world.fr_plan.pk])
    form = client_for("secretariat").get(url).context["form"]
    for name in ("version", "title", "notes"):
        assert form.fields[name].widget.attrs.get("readonly"), name
    assert PlanStatus.DRAFT not in dict(form.fields["status"].choices)
    draft = client_for("secretariat").get(reverse("cbms:plan_update", args=[world.fr_draft.pk]))
    assert not draft.context["form"].fields["title"].widget.attrs.get("readonly")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "Rewritten"}, "title"),
        ({"notes": "Rewritten"}, "notes"),
        ({"version": "7"}, "version"),
        ({"status": "draft", "adopted_on": ""}, "status"),
    ],
    ids=["title", "notes", "version", "back to draft"],
)
def test_a_published_versions_content_posted_anyway_is_a_form_error(
    world, client_for, changes, field
):
    before = _content()
    response = client_for("secretariat").post(
        reverse("cbms:plan_update", args=[world.fr_plan.pk]), _plan_form(world.fr_plan, **changes)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Nothing was saved" in response.text
    assert _content() == before


def test_a_published_versions_status_and_adoption_date_still_change(world, client_for):
    response = client_for("secretariat").post(
        reverse("cbms:plan_update", args=[world.fr_plan.pk]),
        _plan_form(world.fr_plan, status="superseded", adopted_on="2013-04-26"),
    )
    assert response.status_code == 302
    world.fr_plan.refresh_from_db()
    assert (world.fr_plan.status, world.fr_plan.adopted_on) == (
        PlanStatus.SUPERSEDED,
        dt.date(2013, 4, 26),
    )


# --- A new draft from a version, then publishing it ---------------------------------------------


def test_a_new_draft_version_is_made_from_the_plan_in_force(world, client_for):
    client = client_for("secretariat")
    response = client.post(reverse("cbms:plan_derive", args=[world.fr_plan.pk]))
    draft = ImplementationPlanVersion.objects.get(cbm=world.fr_cbm, version=3)
    assert response.status_code == 302
    assert response["Location"] == reverse("cbms:plan_detail", args=[draft.pk])
    page = client.get(response["Location"]).text
    assert "Version 3 is a new draft, a copy of version 1" in page
    assert "1.1 Joint training" in page
    copy = draft.priority_areas.get().activities.get()
    assert reverse("cbms:activity_update", args=[copy.pk]) in page  # a draft: edited in place
    assert draft.status == PlanStatus.DRAFT
    assert draft.history.get().history_user == world.users["secretariat"]


@pytest.mark.parametrize("role", ["anonymous", "analyst", "focal_fr"])
def test_no_one_else_makes_a_new_draft(world, client_for, role):
    before = _content()
    response = client_for(role).post(reverse("cbms:plan_derive", args=[world.fr_plan.pk]))
    assert response.status_code == (302 if role == "anonymous" else 403)
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    assert _content() == before


def test_a_new_draft_is_made_by_post_only(world, client_for):
    url = reverse("cbms:plan_derive", args=[world.fr_plan.pk])
    assert client_for("secretariat").get(url).status_code == 405


def test_publishing_a_draft_supersedes_the_plan_in_force(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:plan_publish", args=[world.fr_draft.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Version 1, in force today, will be superseded" in page.text
    assert "Priority areas: 1; activities: 1." in page.text
    assert page.context["form"]["adopted_on"].value() == dt.date.today()

    response = client.post(url, {"adopted_on": "2021-03-30"})

    assert response["Location"] == reverse("cbms:plan_detail", args=[world.fr_draft.pk])
    world.fr_plan.refresh_from_db()
    world.fr_draft.refresh_from_db()
    assert world.fr_plan.status == PlanStatus.SUPERSEDED
    assert (world.fr_draft.status, world.fr_draft.adopted_on) == (
        PlanStatus.IN_FORCE,
        dt.date(2021, 3, 30),
    )
    assert world.fr_draft.history.first().history_user == world.users["secretariat"]
    after = client.get(response["Location"]).text
    assert "Version 2 is in force; its content is now frozen." in after
    assert "Add a priority area" not in after


def test_a_published_version_is_not_published_again(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:plan_publish", args=[world.fr_plan.pk])
    before = _content()
    shown = client.get(url)
    assert shown["Location"] == reverse("cbms:plan_detail", args=[world.fr_plan.pk])
    assert "Only a draft is published" in client.get(shown["Location"]).text
    posted = client.post(url, {"adopted_on": "2021-03-30"})
    assert posted.status_code == 400
    assert "Only a draft is published" in posted.text
    assert _content() == before


def test_a_bad_adoption_date_publishes_nothing(world, client_for):
    before = _content()
    response = client_for("secretariat").post(
        reverse("cbms:plan_publish", args=[world.fr_draft.pk]), {"adopted_on": "2021-13-45"}
    )
    assert response.status_code == 400
    assert "adopted_on" in response.context["form"].errors
    assert _content() == before


@pytest.mark.parametrize("role", ["analyst", "focal_fr"])
def test_no_one_else_publishes(world, client_for, role):
    before = _content()
    url = reverse("cbms:plan_publish", args=[world.fr_draft.pk])
    assert client_for(role).post(url, {"adopted_on": "2021-03-30"}).status_code == 403
    assert _content() == before


# --- Deleting ---------------------------------------------------------------------------------


def test_a_draft_is_deleted_with_its_rows(world, client_for):
    client = client_for("secretariat")
    response = client.post(reverse("cbms:plan_delete", args=[world.fr_draft.pk]))
    assert response.status_code == 302
    assert not ImplementationPlanVersion.objects.filter(pk=world.fr_draft.pk).exists()
    assert not Activity.objects.filter(pk=world.draft_activity.pk).exists()
    assert Activity.objects.filter(pk=world.activity.pk).exists()


def test_a_cbm_with_published_plans_is_still_deleted(superseded, client_for):
    world = superseded
    world.fr_rtg.delete()  # a held RTG protects its CBM
    response = client_for("secretariat").post(reverse("cbms:cbm_delete", args=[world.fr_cbm.pk]))
    assert response.status_code == 302
    assert not ImplementationPlanVersion.objects.filter(cbm_id=world.fr_cbm.pk).exists()
    assert not Activity.objects.filter(pk__in=[world.activity.pk, world.draft_activity.pk]).exists()
