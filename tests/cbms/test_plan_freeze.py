"""A published implementation plan version is frozen: its content (its own CBM, number, title and
notes, its priority areas and activities) changes only while it is a draft. Its status moves on,
and the secretariat changes a plan by deriving a new draft from it and publishing that.

The rule (cbms.models.plans.plan_content_editable) at its boundaries, through model validation
and the services; then the database's own guard (PostgreSQL triggers, migration cbms 0006) by
raw SQL; then what must still work: deleting a version or a CBM, reloading the HoA-IP data.
The pages are in tests/web/test_plan_freeze.py, the admin in tests/test_admin.py.
"""

import dataclasses
import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.forms import modelform_factory

from cbms.models import CBM, Activity, ImplementationPlanVersion, PlanStatus, PriorityArea
from cbms.models.plans import plan_content_editable
from cbms.records import hoa_data, services
from cbms.records.loading import load_hoa_data
from cbms.records.services import plan_version_derive, plan_version_publish
from cbms.reports.services import report_start
from hoa_portal.api.serializers import ModelCleanSerializer
from tests.cbms.factories import (
    ActivityFactory,
    CBMFactory,
    LeadRoleFactory,
    PlanVersionFactory,
    PriorityAreaFactory,
)
from tests.conferences.factories import ConferenceFactory
from tests.members.factories import (
    CountryFactory,
    FocalPointFactory,
    SecretariatFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PUBLISHED = [PlanStatus.IN_FORCE, PlanStatus.SUPERSEDED]
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers are PostgreSQL's; SQLite has none"
)


def _plan(status: str, **kwargs) -> ImplementationPlanVersion:
    adopted = None if status == PlanStatus.DRAFT else dt.date(2019, 12, 9)
    return PlanVersionFactory(status=status, adopted_on=adopted, **kwargs)


def _activity(status: str) -> Activity:
    """An activity of a version in this status (its content seeded as the sources gave it)."""
    return ActivityFactory(priority_area=PriorityAreaFactory(plan=_plan(status)))


def _frozen(error: ValidationError) -> bool:
    """The rule's refusal is among the errors (one on each refused field, or above the form)."""
    if hasattr(error, "error_dict"):
        errors = [e for field_errors in error.error_dict.values() for e in field_errors]
    else:
        errors = error.error_list
    return any(e.code == "plan_frozen" for e in errors)


# --- The rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "editable"),
    [(PlanStatus.DRAFT, True), (PlanStatus.IN_FORCE, False), (PlanStatus.SUPERSEDED, False)],
)
def test_only_a_drafts_content_is_editable(status, editable):
    assert plan_content_editable(status) is editable
    assert ImplementationPlanVersion(status=status).content_editable is editable


# --- Priority areas and activities: model validation --------------------------------------------


def test_a_drafts_areas_and_activities_are_added_and_changed():
    plan = _plan(PlanStatus.DRAFT)
    area = PriorityArea(plan=plan, number=1, title="Information sharing")
    area.full_clean()
    area.save()
    activity = Activity(priority_area=area, number=1, title="Workshop")
    activity.full_clean()
    activity.save()
    area.title, activity.title = "Sharing information", "Two workshops"
    area.full_clean()
    activity.full_clean()


@pytest.mark.parametrize("status", PUBLISHED)
def test_no_area_is_added_to_a_published_version(status):
    plan = _plan(status, version=4)
    with pytest.raises(ValidationError) as refused:
        PriorityArea(plan=plan, number=9, title="Late addition").full_clean()
    assert _frozen(refused.value)
    assert NON_FIELD_ERRORS in refused.value.message_dict
    message = refused.value.message_dict[NON_FIELD_ERRORS][0]
    assert f"Version 4 of this implementation plan is {PlanStatus(status).label}" in message
    assert "Create a new draft version" in message


@pytest.mark.parametrize("status", PUBLISHED)
def test_a_published_versions_area_is_not_changed(status):
    area = PriorityAreaFactory(plan=_plan(status))
    area.title = "Rewritten"
    with pytest.raises(ValidationError) as refused:
        area.full_clean()
    assert _frozen(refused.value)


@pytest.mark.parametrize("status", PUBLISHED)
def test_an_area_is_neither_moved_out_of_nor_into_a_published_version(status):
    draft = _plan(PlanStatus.DRAFT)
    leaving = PriorityAreaFactory(plan=_plan(status))
    leaving.plan = draft
    with pytest.raises(ValidationError):
        leaving.full_clean()
    entering = PriorityAreaFactory(plan=draft)
    entering.plan = _plan(status)
    with pytest.raises(ValidationError):
        entering.full_clean()


@pytest.mark.parametrize("status", PUBLISHED)
def test_no_activity_is_added_to_or_changed_in_a_published_version(status):
    activity = _activity(status)
    with pytest.raises(ValidationError) as added:
        Activity(priority_area=activity.priority_area, number=9, title="Late").full_clean()
    assert _frozen(added.value)
    activity.description = "Rewritten"
    with pytest.raises(ValidationError) as changed:
        activity.full_clean()
    assert _frozen(changed.value)
    # Nor moved into a draft's area, taking it from the published version.
    activity.refresh_from_db()
    activity.priority_area = PriorityAreaFactory(plan=_plan(PlanStatus.DRAFT))
    with pytest.raises(ValidationError):
        activity.full_clean()


@pytest.mark.parametrize("status", PUBLISHED)
def test_a_published_versions_rows_validate_as_they_are(status):
    """Frozen is not invalid: saved unchanged, nothing changes."""
    activity = _activity(status)
    activity.full_clean()
    activity.priority_area.full_clean()
    activity.priority_area.plan.full_clean()


def test_the_stored_status_decides_not_the_instance_in_memory():
    """A version published since the area was read: its area is frozen all the same."""
    area = PriorityAreaFactory(plan=_plan(PlanStatus.DRAFT))
    plan_version_publish(plan=area.plan, actor=SecretariatFactory())
    assert area.plan.status == PlanStatus.DRAFT  # what this instance read
    area.title = "Too late"
    with pytest.raises(ValidationError):
        area.full_clean()


def test_a_serializer_running_the_models_validation_refuses_with_a_400_shape():
    """The API runs full_clean (ModelCleanSerializer): the refusal is a non-field error."""
    from rest_framework import serializers

    class AreaIn(ModelCleanSerializer):
        class Meta:
            model = PriorityArea
            fields = ["plan", "number", "title"]

    plan = _plan(PlanStatus.IN_FORCE)
    refused = AreaIn(data={"plan": plan.pk, "number": 3, "title": "Via the API"})
    assert not refused.is_valid()
    assert "Create a new draft version" in str(refused.errors["non_field_errors"][0])
    draft = _plan(PlanStatus.DRAFT)
    accepted = AreaIn(data={"plan": draft.pk, "number": 3, "title": "Via the API"})
    assert accepted.is_valid(), accepted.errors
    assert isinstance(accepted, serializers.ModelSerializer)


# --- The version's own content and its status -------------------------------------------------


@pytest.mark.parametrize("status", PUBLISHED)
@pytest.mark.parametrize(
    "change",
    [
        {"title": "Rewritten"},
        {"notes": "Rewritten"},
        {"version": 77},
        {"cbm": "other"},
    ],
    ids=["title", "notes", "version", "cbm"],
)
def test_a_published_versions_own_content_is_refused_on_its_field(status, change):
    plan = _plan(status)
    name, value = next(iter(change.items()))
    setattr(plan, name, CBMFactory() if value == "other" else value)
    with pytest.raises(ValidationError) as refused:
        plan.full_clean()
    assert set(refused.value.message_dict) == {name}
    assert _frozen(refused.value)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (PlanStatus.DRAFT, PlanStatus.IN_FORCE),
        (PlanStatus.DRAFT, PlanStatus.SUPERSEDED),
        (PlanStatus.IN_FORCE, PlanStatus.SUPERSEDED),
        (PlanStatus.SUPERSEDED, PlanStatus.IN_FORCE),
    ],
)
def test_the_status_moves_on_and_the_adoption_date_is_recorded(before, after):
    plan = _plan(before)
    plan.status = after
    plan.adopted_on = dt.date(2020, 1, 15)
    plan.full_clean()
    plan.save()
    plan.refresh_from_db()
    assert (plan.status, plan.adopted_on) == (after, dt.date(2020, 1, 15))


@pytest.mark.parametrize("status", PUBLISHED)
def test_a_published_version_never_returns_to_draft(status):
    plan = _plan(status)
    plan.status, plan.adopted_on = PlanStatus.DRAFT, None
    with pytest.raises(ValidationError) as refused:
        plan.full_clean()
    assert list(refused.value.message_dict) == ["status"]


def test_a_draft_is_written_and_published_in_one_save():
    plan = _plan(PlanStatus.DRAFT)
    plan.title, plan.status, plan.adopted_on = "Final title", PlanStatus.IN_FORCE, dt.date.today()
    plan.full_clean()


def test_a_form_not_showing_the_refused_field_says_so_above_the_form():
    """The admin's read-only fields, a history revert: never a ValueError, a form error."""
    plan = _plan(PlanStatus.IN_FORCE)
    plan.title = "Set elsewhere"
    form = modelform_factory(ImplementationPlanVersion, fields=["status", "adopted_on"])(
        data={"status": PlanStatus.IN_FORCE, "adopted_on": "2019-12-09"}, instance=plan
    )
    assert not form.is_valid()
    assert "can no longer change" in form.non_field_errors()[0]


# --- Deriving a new draft, publishing it ----------------------------------------------------------


@pytest.fixture
def staff():
    return SecretariatFactory(username="desk")


@pytest.fixture
def in_force():
    """Version 2 in force with two areas and three activities; version 1 superseded."""
    cbm = CBMFactory(code="CT")
    _plan(PlanStatus.SUPERSEDED, cbm=cbm, version=1)
    plan = _plan(PlanStatus.IN_FORCE, cbm=cbm, version=2, title="IP 2019", notes="Revised.")
    first = PriorityAreaFactory(plan=plan, number=1, title="Information sharing")
    second = PriorityAreaFactory(plan=plan, number=2, title="Capacity building")
    ActivityFactory(priority_area=first, number=1, title="Workshop", description="Kabul")
    ActivityFactory(priority_area=first, number=2, title="Database")
    ActivityFactory(priority_area=second, number=1, title="Training")
    return plan


def _content(plan) -> list:
    return [
        (
            area.number,
            area.title,
            [(a.number, a.title, a.description) for a in area.activities.all()],
        )
        for area in plan.priority_areas.prefetch_related("activities").order_by("number")
    ]


def test_a_new_draft_copies_the_version_it_comes_from(in_force, staff):
    before = _content(in_force)

    draft = plan_version_derive(plan=in_force, actor=staff)

    assert (draft.cbm_id, draft.version, draft.status) == (in_force.cbm_id, 3, PlanStatus.DRAFT)
    assert (draft.title, draft.notes, draft.adopted_on) == ("IP 2019", "Revised.", None)
    assert _content(draft) == before
    assert _content(in_force) == before  # the source is untouched, and still in force
    in_force.refresh_from_db()
    assert in_force.status == PlanStatus.IN_FORCE
    record = draft.history.get()
    assert (record.history_user, record.history_change_reason) == (staff, "Derived from version 2")
    copied = Activity.objects.filter(priority_area__plan=draft)
    assert {a.history.get().history_user for a in copied} == {staff}


def test_a_new_draft_is_numbered_after_the_latest_version(in_force, staff):
    _plan(PlanStatus.DRAFT, cbm=in_force.cbm, version=5)
    assert plan_version_derive(plan=in_force, actor=staff).version == 6


@pytest.mark.parametrize("who", [FocalPointFactory, UserFactory])
def test_only_the_secretariat_derives_or_publishes(in_force, who):
    actor = who()
    with pytest.raises(PermissionDenied):
        plan_version_derive(plan=in_force, actor=actor)
    draft = plan_version_derive(plan=in_force, actor=SecretariatFactory())
    with pytest.raises(PermissionDenied):
        plan_version_publish(plan=draft, actor=actor)
    assert ImplementationPlanVersion.objects.filter(cbm=in_force.cbm).count() == 3
    draft.refresh_from_db()
    assert draft.status == PlanStatus.DRAFT


def test_publishing_the_edited_draft_supersedes_the_version_in_force(in_force, staff):
    draft = plan_version_derive(plan=in_force, actor=staff)
    area = draft.priority_areas.get(number=2)
    Activity(priority_area=area, number=2, title="Exchange programme").save()

    published = plan_version_publish(plan=draft, actor=staff, adopted_on=dt.date(2021, 3, 30))

    in_force.refresh_from_db()
    assert (published.status, published.adopted_on) == (PlanStatus.IN_FORCE, dt.date(2021, 3, 30))
    assert in_force.status == PlanStatus.SUPERSEDED
    statuses = dict(in_force.cbm.plan_versions.values_list("version", "status"))
    assert statuses == {1: "superseded", 2: "superseded", 3: "in_force"}
    assert in_force.history.first().history_change_reason == "Superseded by version 3"
    assert published.history.first().history_user == staff
    # From now on its content is frozen too.
    with pytest.raises(ValidationError):
        Activity(priority_area=area, number=3, title="After publication").full_clean()


def test_publishing_is_all_or_nothing(in_force, staff):
    """If the new version cannot be put in force, the old one stays in force."""
    draft = plan_version_derive(plan=in_force, actor=staff)
    real_record = services._record
    calls = []

    def fail_on_the_new_version(obj, **kwargs):
        calls.append(obj.pk)
        if obj.pk == draft.pk:
            raise DatabaseError("the server went away")
        real_record(obj, **kwargs)

    with (
        mock.patch.object(services, "_record", fail_on_the_new_version),
        pytest.raises(DatabaseError),
    ):
        plan_version_publish(plan=draft, actor=staff)

    assert calls == [in_force.pk, draft.pk]  # the old one had stepped down first
    in_force.refresh_from_db()
    draft.refresh_from_db()
    assert (in_force.status, draft.status) == (PlanStatus.IN_FORCE, PlanStatus.DRAFT)


@pytest.mark.parametrize("status", PUBLISHED)
def test_a_published_version_is_not_published_again(in_force, staff, status):
    plan = in_force if status == PlanStatus.IN_FORCE else in_force.cbm.plan_versions.get(version=1)
    with pytest.raises(ValidationError, match="Only a draft is published"):
        plan_version_publish(plan=plan, actor=staff)
    assert dict(in_force.cbm.plan_versions.values_list("version", "status")) == {
        1: "superseded",
        2: "in_force",
    }


def test_a_first_version_is_published_with_nothing_to_supersede(staff):
    draft = _plan(PlanStatus.DRAFT)
    assert plan_version_publish(plan=draft, actor=staff).status == PlanStatus.IN_FORCE


def test_reports_keep_the_version_they_were_written_against(in_force, staff):
    """A report on version 2's activity: publishing version 3 changes nothing under it."""
    france = CountryFactory(code="FRA")
    LeadRoleFactory(cbm=in_force.cbm, country=france)
    conference = ConferenceFactory(number=2, date=dt.date(2013, 4, 26))
    activity = Activity.objects.get(priority_area__plan=in_force, title="Workshop")
    report = report_start(
        cbm=in_force.cbm,
        conference=conference,
        actor=FocalPointFactory(country=france),
        activities=[{"activity": activity.pk, "status": "in_progress", "percent": 40}],
    )
    before = _content(in_force)

    plan_version_publish(plan=plan_version_derive(plan=in_force, actor=staff), actor=staff)

    update = report.activity_updates.get()
    assert (update.activity_id, update.plan_version_id) == (activity.pk, in_force.pk)
    assert _content(in_force) == before


# --- The database's guard (PostgreSQL) ----------------------------------------------------------


def _sql(statement: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def _refused(statement: str, params=()) -> None:
    with pytest.raises(DatabaseError, match="published implementation plan version is frozen"):
        _sql(statement, params)


@on_postgresql
@pytest.mark.parametrize("status", PUBLISHED)
def test_raw_sql_cannot_touch_a_published_versions_areas(status):
    area = PriorityAreaFactory(plan=_plan(status), title="Kept")
    _refused(
        "INSERT INTO cbms_priorityarea (plan_id, number, title) VALUES (%s, 99, 'x')",
        [area.plan_id],
    )
    _refused("UPDATE cbms_priorityarea SET title = 'x' WHERE id = %s", [area.pk])
    _refused("DELETE FROM cbms_priorityarea WHERE id = %s", [area.pk])
    draft = _plan(PlanStatus.DRAFT)
    _refused("UPDATE cbms_priorityarea SET plan_id = %s WHERE id = %s", [draft.pk, area.pk])
    area.refresh_from_db()
    assert (area.plan_id, area.title) == (area.plan.pk, "Kept")
    assert PriorityArea.objects.filter(plan=area.plan).count() == 1


@on_postgresql
@pytest.mark.parametrize("status", PUBLISHED)
def test_raw_sql_cannot_touch_a_published_versions_activities(status):
    activity = _activity(status)
    area = activity.priority_area
    _refused(
        "INSERT INTO cbms_activity (priority_area_id, number, title, description) "
        "VALUES (%s, 99, 'x', '')",
        [area.pk],
    )
    _refused("UPDATE cbms_activity SET title = 'x' WHERE id = %s", [activity.pk])
    _refused("DELETE FROM cbms_activity WHERE id = %s", [activity.pk])
    draft_area = PriorityAreaFactory(plan=_plan(PlanStatus.DRAFT))
    _refused(
        "UPDATE cbms_activity SET priority_area_id = %s WHERE id = %s", [draft_area.pk, activity.pk]
    )
    assert Activity.objects.filter(pk=activity.pk, title=activity.title).exists()


@on_postgresql
@pytest.mark.parametrize("status", PUBLISHED)
def test_raw_sql_saving_a_row_unchanged_is_no_change(status):
    activity = _activity(status)
    _sql("UPDATE cbms_activity SET title = title WHERE id = %s", [activity.pk])
    _sql("UPDATE cbms_priorityarea SET title = title WHERE id = %s", [activity.priority_area_id])
    activity.save()  # the ORM writes every column again, unchanged


@on_postgresql
def test_the_orm_past_validation_is_refused_too():
    area = PriorityAreaFactory(plan=_plan(PlanStatus.IN_FORCE))
    with pytest.raises(DatabaseError), transaction.atomic():
        PriorityArea.objects.filter(pk=area.pk).update(title="Bulk rewrite")
    with pytest.raises(DatabaseError), transaction.atomic():
        PriorityArea.objects.create(plan=area.plan, number=42, title="Unvalidated")
    with pytest.raises(DatabaseError), transaction.atomic():
        area.delete()
    assert PriorityArea.objects.get(pk=area.pk).title == area.title


@on_postgresql
def test_raw_sql_writes_a_drafts_content_freely():
    activity = _activity(PlanStatus.DRAFT)
    area = activity.priority_area
    _sql(
        "INSERT INTO cbms_priorityarea (plan_id, number, title) VALUES (%s, 2, 'New')",
        [area.plan_id],
    )
    _sql("UPDATE cbms_priorityarea SET title = 'Renamed' WHERE id = %s", [area.pk])
    _sql("UPDATE cbms_activity SET title = 'Renamed' WHERE id = %s", [activity.pk])
    _sql("DELETE FROM cbms_activity WHERE id = %s", [activity.pk])
    _sql("DELETE FROM cbms_priorityarea WHERE id = %s", [area.pk])
    assert list(PriorityArea.objects.filter(plan=area.plan).values_list("title", flat=True)) == [
        "New"
    ]


@on_postgresql
@pytest.mark.parametrize("status", PUBLISHED)
def test_raw_sql_cannot_rewrite_a_published_version_or_unpublish_it(status):
    plan = _plan(status, title="Kept", notes="Kept")
    other = CBMFactory()
    for assignment in (
        "title = 'x'",
        "notes = 'x'",
        "version = 99",
        f"cbm_id = {other.pk}",
        "status = 'draft', adopted_on = NULL",
    ):
        _refused(f"UPDATE cbms_implementationplanversion SET {assignment} WHERE id = %s", [plan.pk])
    plan.refresh_from_db()
    assert (plan.title, plan.notes, plan.status) == ("Kept", "Kept", status)


@on_postgresql
def test_raw_sql_moves_a_status_on_and_dates_an_adoption():
    plan = _plan(PlanStatus.IN_FORCE)
    _sql(
        "UPDATE cbms_implementationplanversion SET status = 'superseded', adopted_on = %s "
        "WHERE id = %s",
        [dt.date(2013, 4, 26), plan.pk],
    )
    draft = _plan(PlanStatus.DRAFT)
    _sql(
        "UPDATE cbms_implementationplanversion SET title = 'Final', status = 'in_force' "
        "WHERE id = %s",
        [draft.pk],
    )
    plan.refresh_from_db()
    draft.refresh_from_db()
    assert (plan.status, plan.adopted_on) == (PlanStatus.SUPERSEDED, dt.date(2013, 4, 26))
    assert (draft.title, draft.status) == ("Final", PlanStatus.IN_FORCE)


@on_postgresql
def test_raw_sql_deletes_a_published_version_first_then_its_content():
    """The version gone, its areas and activities belong to no published version."""
    activity = _activity(PlanStatus.IN_FORCE)
    area = activity.priority_area
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cbms_implementationplanversion WHERE id = %s", [area.plan_id])
        cursor.execute("DELETE FROM cbms_priorityarea WHERE id = %s", [area.pk])
        cursor.execute("DELETE FROM cbms_activity WHERE id = %s", [activity.pk])
    assert not Activity.objects.filter(pk=activity.pk).exists()


# --- What must still work: deleting a version or a CBM -------------------------------------------


def test_a_draft_is_deleted_with_its_content():
    activity = _activity(PlanStatus.DRAFT)
    activity.priority_area.plan.delete()
    assert not Activity.objects.filter(pk=activity.pk).exists()


@pytest.mark.parametrize("status", PUBLISHED)
def test_a_published_version_is_deleted_with_its_content(status):
    activity = _activity(status)
    activity.priority_area.plan.delete()
    assert not PriorityArea.objects.filter(pk=activity.priority_area_id).exists()
    assert not Activity.objects.filter(pk=activity.pk).exists()


def test_a_cbm_with_plans_is_deleted_with_them(in_force, staff):
    draft = plan_version_derive(plan=in_force, actor=staff)
    cbm = in_force.cbm
    cbm.delete()
    assert not CBM.objects.filter(pk=cbm.pk).exists()
    assert not ImplementationPlanVersion.objects.filter(pk__in=[in_force.pk, draft.pk]).exists()
    assert not Activity.objects.exists()


@on_postgresql
def test_deleting_one_version_lifts_the_guard_on_that_version_only():
    going = _activity(PlanStatus.IN_FORCE)
    staying = _activity(PlanStatus.SUPERSEDED)
    with transaction.atomic():
        going.priority_area.plan.delete()
        _refused("UPDATE cbms_activity SET title = 'x' WHERE id = %s", [staying.pk])
    assert Activity.objects.get(pk=staying.pk).title == staying.title


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_lifted_guard_ends_with_the_transaction():
    """Committed: deleting a version in one transaction leaves the next one guarded."""
    going = _activity(PlanStatus.IN_FORCE)
    staying = _activity(PlanStatus.IN_FORCE)
    with transaction.atomic():
        going.priority_area.plan.delete()
    _refused("UPDATE cbms_activity SET title = 'x' WHERE id = %s", [staying.pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('cbms.unfrozen_plans', true)")
        assert cursor.fetchone()[0] in ("", None)


# --- Loading the HoA-IP data --------------------------------------------------------------------


def test_a_reload_leaves_a_published_versions_title_alone(monkeypatch):
    """The loader restores a draft's title from the sources, never a published version's."""
    load_hoa_data()
    renamed = tuple(
        dataclasses.replace(fact, title=f"{fact.title} (renamed in the sources)")
        for fact in hoa_data.PLANS
    )
    monkeypatch.setattr(hoa_data, "PLANS", renamed)

    report = load_hoa_data()

    titles = dict(ImplementationPlanVersion.objects.values_list("pk", "title"))
    drafts = ImplementationPlanVersion.objects.filter(status=PlanStatus.DRAFT)
    assert report.updated["cbms.ImplementationPlanVersion"] == drafts.count() == 2
    assert all(plan.title.endswith("(renamed in the sources)") for plan in drafts)
    published = ImplementationPlanVersion.objects.exclude(status=PlanStatus.DRAFT)
    assert not any("renamed" in titles[plan.pk] for plan in published)
