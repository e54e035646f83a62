"""Rows edited in place with htmx: a plan's priority areas and activities, a CBM's roles.

Each URL is also a plain form page: without htmx it renders the whole page and redirects once
saved. With htmx it answers with the row's form, then with the part of the page the row is in.
Refused input comes back as the row's form, with the errors and what was typed; nothing saved.
"""

import datetime as dt

import pytest
from django.db import IntegrityError
from django.urls import reverse

from cbms.models import Activity, CBMRole, PriorityArea
from cbms.records.forms import ActivityForm
from cbms.reports.services import report_start
from tests.web.conftest import World

HTMX = {"HTTP_HX_REQUEST": "true"}


def htmx(target: str = "") -> dict:
    return {**HTMX, "HTTP_HX_TARGET": target} if target else HTMX


def _snapshot(model) -> list[dict]:
    return list(model.objects.order_by("pk").values())


# --- Activities ---------------------------------------------------------------------------------


def test_the_add_activity_form_comes_in_place(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:activity_create", args=[world.draft_area.pk])
    fragment = client.get(url, **htmx())
    assert fragment.status_code == 200
    html = fragment.text
    assert "<html" not in html
    assert f'id="area-{world.draft_area.pk}-activity-add"' in html
    assert f'hx-post="{url}"' in html and 'method="post"' in html
    # The ids are unique on the page.
    assert f'id="id_area-{world.draft_area.pk}-activity-add_title"' in html
    assert 'value="2"' in html  # the next number
    assert "autofocus" in html
    # Without htmx, the same address is the full form page.
    assert "<html" in client.get(url).text


def test_an_activity_added_inline_comes_back_with_the_plan(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:activity_create", args=[world.draft_area.pk])
    response = client.post(url, {"number": "2", "title": "Joint exercise"}, **htmx())
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#plan-body" and response["HX-Reswap"] == "outerHTML"
    activity = Activity.objects.get(title="Joint exercise")
    assert activity.priority_area == world.draft_area
    assert activity.history.latest().history_user == world.users["secretariat"]
    html = response.text
    assert '<div id="plan-body">' in html and "1.2 Joint exercise" in html
    assert "1.1 Joint training" in html
    assert 'id="inline-status"' in html and 'hx-swap-oob="innerHTML"' in html
    assert "Saved 1.2 Joint exercise." in html
    assert f'id="activity-{activity.pk}" tabindex="-1" autofocus' in html
    # No message is left behind for the next full page.
    assert "Saved 1.2" not in client.get(reverse("cbms:plan_detail", args=[world.fr_draft.pk])).text


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"number": "1", "title": "Duplicate"}, {"number"}),  # number taken in the area
        ({"number": "-3", "title": ""}, {"number", "title"}),
        ({"number": "x", "title": "t" * 301}, {"number", "title"}),
    ],
    ids=["number taken", "negative and empty", "not a number and too long"],
)
def test_refused_input_returns_the_row_form_with_errors_and_saves_nothing(
    world, client_for, data, fields
):
    client = client_for("secretariat")
    before = _snapshot(Activity)
    url = reverse("cbms:activity_create", args=[world.draft_area.pk])
    response = client.post(url, data, **htmx())
    assert response.status_code == 200
    assert "HX-Retarget" not in response
    assert fields <= set(response.context["form"].errors), response.context["form"].errors
    html = response.text
    assert "<html" not in html and "Nothing was saved" in html
    assert 'aria-invalid="true"' in html and "is-invalid" in html
    for value in data.values():
        assert value[:300] in html  # what was typed is kept
    assert _snapshot(Activity) == before


def test_a_taken_number_is_said_on_the_number_field(world, client_for):
    response = client_for("secretariat").post(
        reverse("cbms:activity_create", args=[world.draft_area.pk]),
        {"number": "1", "title": "Duplicate"},
        **htmx(),
    )
    assert response.context["form"].errors["number"] == [
        "The priority area already has an activity so numbered."
    ]


def test_without_htmx_an_activity_is_saved_and_the_plan_page_follows(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:activity_create", args=[world.draft_area.pk])
    refused = client.post(url, {"number": "1", "title": ""})
    assert refused.status_code == 200 and "<html" in refused.text
    assert "Nothing was saved" in refused.text
    saved = client.post(url, {"number": "5", "title": "Plain form"})
    assert saved["Location"] == reverse("cbms:plan_detail", args=[world.fr_draft.pk])
    assert "Saved 1.5 Plain form." in client.get(saved["Location"]).text


def test_a_database_conflict_is_a_form_error_not_a_server_error(world, client_for, monkeypatch):
    """Two people saving at once: the constraint fires in the database, after validation."""

    def conflict(self, commit=True):
        raise IntegrityError("activity_unique_number")

    monkeypatch.setattr(ActivityForm, "save", conflict)
    before = _snapshot(Activity)
    response = client_for("secretariat").post(
        reverse("cbms:activity_create", args=[world.draft_area.pk]),
        {"number": "7", "title": "Raced"},
        **htmx(),
    )
    assert response.status_code == 200
    assert "conflicts with the records already stored" in response.text
    assert _snapshot(Activity) == before


def test_an_activity_is_edited_in_place(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:activity_update", args=[world.draft_activity.pk])
    form = client.get(url, **htmx()).text
    assert form.startswith(f'<li id="activity-{world.draft_activity.pk}"')
    assert 'value="Joint training"' in form
    assert f'hx-target="#activity-{world.draft_activity.pk}"' in form
    # Cancel puts the plan back as it was, from the plan's own page.
    plan_url = reverse("cbms:plan_detail", args=[world.fr_draft.pk])
    assert f'hx-get="{plan_url}" hx-target="#plan-body"' in form

    refused = client.post(url, {"number": "", "title": "Renamed"}, **htmx())
    assert refused.text.startswith(f'<li id="activity-{world.draft_activity.pk}"')
    assert 'value="Renamed"' in refused.text
    world.draft_activity.refresh_from_db()
    assert world.draft_activity.title == "Joint training"

    saved = client.post(url, {"number": "3", "title": "Joint drills"}, **htmx())
    assert saved["HX-Retarget"] == "#plan-body"
    assert "1.3 Joint drills" in saved.text
    world.draft_activity.refresh_from_db()
    assert (world.draft_activity.number, world.draft_activity.title) == (3, "Joint drills")


def test_an_activity_is_deleted_in_place(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:activity_delete", args=[world.draft_activity.pk])
    question = client.get(url, **htmx()).text
    assert "<html" not in question and "Delete 1.1 Joint training?" in question
    assert f'hx-post="{url}"' in question and "Yes, delete" in question
    response = client.post(url, **htmx())
    assert response["HX-Retarget"] == "#plan-body"
    assert "Deleted 1.1 Joint training." in response.text
    assert "Joint training</span>" not in response.text
    assert not Activity.objects.filter(pk=world.draft_activity.pk).exists()


def test_an_activity_a_report_speaks_of_is_not_deleted(world, client_for):
    """Reports speak of the activities of the plan in force, which is frozen: its delete is
    refused in place, the plan coming back as it is (no Delete link), nothing deleted."""
    report_start(
        cbm=world.fr_cbm,
        conference=world.beijing,
        actor=world.users["focal_fr"],
        activities=[{"activity": world.activity.pk, "status": "in_progress", "percent": 10}],
    )
    client = client_for("secretariat")
    url = reverse("cbms:activity_delete", args=[world.activity.pk])
    for response in (client.get(url, **htmx()), client.post(url, **htmx())):
        assert response.status_code == 200
        assert response["HX-Retarget"] == "#plan-body"
        assert "Yes, delete" not in response.text and url not in response.text
        assert "its content can no longer change" in response.text
    assert Activity.objects.filter(pk=world.activity.pk).exists()


def test_cancel_gets_the_plan_body_alone(world, client_for):
    url = reverse("cbms:plan_detail", args=[world.fr_draft.pk])
    client = client_for("secretariat")
    block = client.get(url, **htmx("plan-body")).text
    assert block.startswith('<div id="plan-body">') and "<html" not in block
    assert "Joint training" in block
    assert "<html" in client.get(url, **htmx("results"), HTTP_HX_BOOSTED="true").text
    # A draft plan stays hidden from the public, whole page or part.
    draft = reverse("cbms:plan_detail", args=[world.fr_draft.pk])
    assert client_for("anonymous").get(draft, **htmx("plan-body")).status_code == 404


# --- Priority areas -----------------------------------------------------------------------------


def test_a_priority_area_is_added_edited_and_deleted_in_place(world, client_for):
    client = client_for("secretariat")
    create = reverse("cbms:area_create", args=[world.fr_draft.pk])
    assert client.get(create, **htmx()).text.startswith('<div id="plan-area-add"')
    refused = client.post(create, {"number": "1", "title": "Taken"}, **htmx())
    assert refused.context["form"].errors["number"] == [
        "The plan already has a priority area so numbered."
    ]
    saved = client.post(create, {"number": "2", "title": "Information sharing"}, **htmx())
    assert saved["HX-Retarget"] == "#plan-body"
    area = PriorityArea.objects.get(title="Information sharing")
    assert "2. Information sharing" in saved.text

    update = reverse("cbms:area_update", args=[area.pk])
    assert client.get(update, **htmx()).text.startswith(f'<div id="area-{area.pk}-head"')
    client.post(update, {"number": "2", "title": "Sharing information"}, **htmx())
    area.refresh_from_db()
    assert area.title == "Sharing information"

    # Deleting an area with activities says what goes with it.
    question = client.get(reverse("cbms:area_delete", args=[world.draft_area.pk]), **htmx()).text
    assert "also deletes" in question and "Activities" in question
    client.post(reverse("cbms:area_delete", args=[world.draft_area.pk]), **htmx())
    assert not PriorityArea.objects.filter(pk=world.draft_area.pk).exists()
    assert not Activity.objects.filter(pk=world.draft_activity.pk).exists()


# --- Roles --------------------------------------------------------------------------------------


def test_a_role_is_added_in_place(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:role_create", args=[world.fr_cbm.pk])
    assert client.get(url, **htmx()).text.startswith('<div id="cbm-role-add"')
    before = _snapshot(CBMRole)
    # Both a country and an organization: the database's rule, said on the form.
    refused = client.post(
        url,
        {
            "role": "supporting",
            "country": world.germany.pk,
            "organization": world.organization.pk,
            "since": "2013-01-01",
        },
        **htmx(),
    )
    assert "A role is held by a country or an organization." in refused.text
    assert _snapshot(CBMRole) == before

    saved = client.post(
        url, {"role": "lead", "country": world.germany.pk, "since": "2013-01-01"}, **htmx()
    )
    assert saved["HX-Retarget"] == "#cbm-roles"
    assert '<section class="mb-4" aria-labelledby="roles" id="cbm-roles">' in saved.text
    assert "Germany" in saved.text
    # The "Led by" line above the section follows, out of band.
    assert 'id="cbm-leads" hx-swap-oob="true"' in saved.text
    assert CBMRole.objects.filter(cbm=world.fr_cbm, country=world.germany).exists()


def test_a_role_is_edited_in_place(world, client_for):
    client = client_for("secretariat")
    role = world.fr_role
    url = reverse("cbms:role_update", args=[role.pk])
    form = client.get(url, **htmx()).text
    assert form.startswith(f'<li id="role-{role.pk}" class="list-group-item">')
    data = {"role": "lead", "country": world.france.pk, "since": "2012-06-14"}
    refused = client.post(url, {**data, "until": "2011-01-01"}, **htmx())
    assert refused.context["form"].errors["until"] == ["A role cannot end before it starts."]
    assert 'value="2011-01-01"' in refused.text

    saved = client.post(url, {**data, "since": "2013-02-01"}, **htmx())
    assert saved["HX-Retarget"] == "#cbm-roles"
    assert "1 Feb 2013" in saved.text
    role.refresh_from_db()
    assert role.since == dt.date(2013, 2, 1)


def test_a_role_is_ended_in_place(world, client_for):
    client = client_for("secretariat")
    role = world.fr_role
    url = reverse("cbms:role_end", args=[role.pk])
    form = client.get(url, **htmx()).text
    assert form.startswith(f'<li id="role-{role.pk}"') and "Last day" in form
    refused = client.post(url, {"until": "2012-01-01"}, **htmx())
    assert refused.context["form"].errors["until"] == ["A role cannot end before it starts."]
    assert client.post(url, {"until": ""}, **htmx()).context["form"].errors["until"]
    role.refresh_from_db()
    assert role.until is None

    saved = client.post(url, {"until": "2016-12-31"}, **htmx())
    role.refresh_from_db()
    assert role.until == dt.date(2016, 12, 31)
    assert "until 31 Dec 2016" in saved.text
    assert "no country yet" in saved.text  # France no longer leads: the header says so
    assert role.history.latest().history_user == world.users["secretariat"]


def test_without_htmx_ending_a_role_is_a_form_page(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:role_end", args=[world.fr_role.pk])
    page = client.get(url)
    assert "<html" in page.text and page.context["form"]["until"].value()
    response = client.post(url, {"until": "2016-12-31"})
    assert response["Location"] == reverse("cbms:cbm_detail", args=[world.fr_cbm.pk])


def test_cancel_gets_the_roles_section_alone(world, client_for):
    url = reverse("cbms:cbm_detail", args=[world.fr_cbm.pk])
    block = client_for("secretariat").get(url, **htmx("cbm-roles")).text
    assert block.startswith('<section class="mb-4" aria-labelledby="roles" id="cbm-roles">')
    assert "<html" not in block


def test_the_cbm_page_offers_inline_links_to_the_secretariat_only(world, client_for):
    url = reverse("cbms:cbm_detail", args=[world.fr_cbm.pk])
    staff = client_for("secretariat").get(url).text
    end = reverse("cbms:role_end", args=[world.fr_role.pk])
    assert f'hx-get="{end}" hx-target="#role-{world.fr_role.pk}"' in staff
    assert 'id="inline-status" aria-live="polite"' in staff
    public = client_for("focal_fr").get(url).text
    assert "hx-get" not in public and end not in public


# --- Who may ------------------------------------------------------------------------------------

WRITES = [
    ("cbms:activity_create", lambda w: [w.draft_area.pk], {"number": "9", "title": "x"}),
    ("cbms:activity_update", lambda w: [w.draft_activity.pk], {"number": "9", "title": "x"}),
    ("cbms:activity_delete", lambda w: [w.draft_activity.pk], {}),
    ("cbms:area_create", lambda w: [w.fr_draft.pk], {"number": "9", "title": "x"}),
    ("cbms:area_update", lambda w: [w.draft_area.pk], {"number": "9", "title": "x"}),
    ("cbms:area_delete", lambda w: [w.draft_area.pk], {}),
    (
        "cbms:role_create",
        lambda w: [w.fr_cbm.pk],
        {"role": "lead", "country": 0, "since": "2013-01-01"},
    ),
    (
        "cbms:role_update",
        lambda w: [w.fr_role.pk],
        {"role": "lead", "country": 0, "since": "2013-01-01"},
    ),
    ("cbms:role_end", lambda w: [w.fr_role.pk], {"until": "2016-12-31"}),
]


@pytest.mark.parametrize(("name", "args", "data"), WRITES, ids=[w[0] for w in WRITES])
@pytest.mark.parametrize("role", ["anonymous", "analyst", "focal_fr"])
def test_no_one_else_changes_a_row_with_or_without_htmx(
    world: World, client_for, name, args, data, role
):
    client = client_for(role)
    url = reverse(name, args=args(world))
    if "country" in data:
        data = {**data, "country": world.france.pk}
    before = [_snapshot(m) for m in (Activity, PriorityArea, CBMRole)]
    for headers in (htmx(), {}):
        # Anonymous: to sign in (a whole-window HX-Redirect under htmx); others 403, France's
        # own focal point included.
        expected = 403 if role != "anonymous" else 200 if headers else 302
        for response in (client.get(url, **headers), client.post(url, data, **headers)):
            assert response.status_code == expected
            assert (role == "anonymous" and bool(headers)) == ("HX-Redirect" in response)
    assert [_snapshot(m) for m in (Activity, PriorityArea, CBMRole)] == before


# --- A session that expired while the page stayed open ------------------------------------------


def test_an_expired_session_sends_the_whole_window_to_sign_in_and_back(world, client_for):
    plan_page = reverse("cbms:plan_detail", args=[world.fr_draft.pk])
    url = reverse("cbms:activity_create", args=[world.draft_area.pk])
    before = _snapshot(Activity)

    response = client_for("anonymous").post(
        url,
        {"number": "9", "title": "Typed before the session expired"},
        **htmx(),
        HTTP_HX_CURRENT_URL=f"http://testserver{plan_page}",
    )

    # Not a 302 that htmx would follow and swap into the row: a redirect of the whole window.
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('login')}?next={plan_page}"
    assert _snapshot(Activity) == before


def test_without_htmx_an_expired_session_is_the_usual_redirect(world, client_for):
    url = reverse("cbms:activity_create", args=[world.draft_area.pk])

    response = client_for("anonymous").get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"
