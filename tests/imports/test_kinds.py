"""The other records a spreadsheet brings in (issue #14): CBM roles, plan activities, countries'
participation and organizations, each through the same steps as the meetings of
test_round_trip.py. An export imported unchanged changes nothing; an edited cell is that one
update, before → after; a row without an id that names a record by its natural key updates it
rather than adding a second; what is written has history naming the import. Activities besides:
a published plan is frozen, a draft's are written.
"""

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

import openpyxl
import pytest
from django.db.models import Model

from cbms.imports.services import import_confirm
from cbms.models import Activity, CBMRole, ImportStatus, PlanStatus, RoleKind
from members.models import Participation, ParticipationKind
from organizations.models import Organization, OrganizationKind
from tests.cbms.factories import ActivityFactory, PlanVersionFactory, PriorityAreaFactory
from tests.members.factories import ParticipationFactory
from tests.organizations.factories import OrganizationFactory

from .conftest import edited, exported, preview, workbook


@dataclass
class World:
    """The records of tests/imports/conftest.py, and some of every other kind."""

    records: object
    afghan_lead: CBMRole
    unama_support: CBMRole
    draft_activity: Activity
    frozen_activity: Activity
    afghan_participation: Participation
    unama: Organization


@pytest.fixture
def world(records) -> World:
    unama = OrganizationFactory(acronym="UNAMA", name="UN Assistance Mission in Afghanistan")
    OrganizationFactory(
        acronym="SCO", name="Shanghai Cooperation Organisation", supports_process=False
    )
    support = CBMRole.objects.create(
        cbm=records.ct, organization=unama, role=RoleKind.SUPPORTING, since=dt.date(2013, 4, 26)
    )
    in_force = PlanVersionFactory(cbm=records.ct, version=1, status=PlanStatus.IN_FORCE)
    draft = PlanVersionFactory(cbm=records.ct, version=2, status=PlanStatus.DRAFT, adopted_on=None)
    frozen_area = PriorityAreaFactory(plan=in_force, number=1, title="Prevention")
    draft_area = PriorityAreaFactory(plan=draft, number=1, title="Prevention")
    frozen = ActivityFactory(priority_area=frozen_area, number=1, title="Workshop on financing")
    ActivityFactory(priority_area=frozen_area, number=2, title="Experts' meeting")
    draft_activity = ActivityFactory(priority_area=draft_area, number=1, title="Workshop")
    ParticipationFactory(country=records.turkey, kind=ParticipationKind.PARTICIPATING)
    return World(
        records=records,
        afghan_lead=CBMRole.objects.get(cbm=records.ct, country=records.afghanistan),
        unama_support=support,
        draft_activity=draft_activity,
        frozen_activity=frozen,
        afghan_participation=ParticipationFactory(
            country=records.afghanistan, kind=ParticipationKind.PARTICIPATING, note="Founding"
        ),
        unama=unama,
    )


@dataclass(frozen=True)
class Edit:
    """One cell of one record's row changed, and what the preview should say of it."""

    kind: str
    record: Callable[[World], Model]
    column: str
    before: str
    after: str
    # The record's row named by natural key alone, no id or revision, with the cell changed.
    key_row: Callable[[World], dict]
    stored: Callable[[Model], str]  # the changed value as stored, as the cell writes it


EDITS = [
    Edit(
        "cbm-roles",
        lambda w: w.afghan_lead,
        "until",
        "",
        "2020-12-31",
        lambda w: {
            "cbm": "CT",
            "country": "AFG",
            "organization": "",
            "role": "lead",
            "since": "2012-06-14",
            "until": "2020-12-31",
        },
        lambda role: role.until.isoformat() if role.until else "",
    ),
    Edit(
        "activities",
        lambda w: w.draft_activity,
        "title",
        "Workshop",
        "Regional workshop on terrorist financing",
        lambda w: {
            "cbm": "CT",
            "plan_version": 2,
            "area": 1,
            "number": 1,
            "title": "Regional workshop on terrorist financing",
            "description": "",
        },
        lambda activity: activity.title,
    ),
    Edit(
        "participation",
        lambda w: w.afghan_participation,
        "until",
        "",
        "2021-08-15",
        lambda w: {
            "country": "AFG",
            "kind": "participating",
            "since": "2011-11-02",
            "until": "2021-08-15",
            "source": "hoa-ip-about.txt",
            "note": "Founding",
        },
        lambda participation: participation.until.isoformat() if participation.until else "",
    ),
    Edit(
        "organizations",
        lambda w: w.unama,
        "name",
        "UN Assistance Mission in Afghanistan",
        "United Nations Assistance Mission in Afghanistan",
        lambda w: {
            "acronym": "UNAMA",
            "name": "United Nations Assistance Mission in Afghanistan",
            "kind": "regional",
            "supports_process": "true",
            "source": "",
        },
        lambda organization: organization.name,
    ),
]
KINDS = [edit.kind for edit in EDITS]


def edit_for(kind: str) -> Edit:
    return next(edit for edit in EDITS if edit.kind == kind)


def model_of(kind: str) -> type[Model]:
    return {
        "cbm-roles": CBMRole,
        "activities": Activity,
        "participation": Participation,
        "organizations": Organization,
    }[kind]


def stored(kind: str) -> tuple[list[dict], int]:
    """Every record of the kind, as stored, and how many history rows they have."""
    model = model_of(kind)
    return list(model.objects.order_by("pk").values()), model.history.count()


def latest_history(record: Model):
    return type(record).history.filter(id=record.pk).order_by("-history_id").first()


# --- Each kind ----------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
@pytest.mark.parametrize("kind", KINDS)
def test_an_unchanged_export_imports_as_no_change(world, kind, file_format):
    staff = world.records.staff
    before = stored(kind)
    data = exported(kind, staff, file_format)
    batch = preview(kind, data, staff, name=f"{kind}.{file_format}")
    assert batch.preview["errors"] == []
    assert batch.rows == len(before[0]) > 1
    assert (batch.created, batch.updated, batch.unchanged) == (0, 0, batch.rows)

    done = import_confirm(spreadsheet_import=batch, actor=staff)
    assert done.status == ImportStatus.IMPORTED
    assert stored(kind) == before  # no write, not even a history row


@pytest.mark.parametrize("kind", KINDS)
def test_an_edited_cell_is_exactly_that_update(world, kind):
    edit, staff = edit_for(kind), world.records.staff
    record = edit.record(world)
    data = edited(exported(kind, staff), {(record.pk, edit.column): edit.after})
    batch = preview(kind, data, staff, name=f"{kind}.xlsx")
    assert batch.preview["errors"] == []
    assert (batch.created, batch.updated) == (0, 1)
    (change,) = batch.preview["changes"]
    assert (change["id"], change["new"]) == (record.pk, False)
    assert change["cells"] == [{"column": edit.column, "before": edit.before, "after": edit.after}]
    assert edit.stored(type(record).objects.get(pk=record.pk)) == edit.before  # not yet

    done = import_confirm(spreadsheet_import=batch, actor=staff)
    assert done.status == ImportStatus.IMPORTED
    assert (done.rows, done.updated, done.unchanged) == (batch.rows, 1, batch.rows - 1)
    assert edit.stored(type(record).objects.get(pk=record.pk)) == edit.after
    history = latest_history(record)
    assert history.history_change_reason == done.history_reason
    assert history.history_user == staff
    assert history.history_type == "~"


@pytest.mark.parametrize("kind", KINDS)
def test_a_row_without_an_id_naming_a_record_by_its_natural_key_updates_it(world, kind):
    edit, staff = edit_for(kind), world.records.staff
    record = edit.record(world)
    records_before = len(stored(kind)[0])
    row = edit.key_row(world)
    batch = preview(kind, workbook([row], list(row)), staff, name=f"{kind}.xlsx")
    assert batch.preview["errors"] == []
    assert (batch.created, batch.updated) == (0, 1)
    (change,) = batch.preview["changes"]
    assert change["id"] == record.pk
    assert change["cells"] == [{"column": edit.column, "before": edit.before, "after": edit.after}]

    import_confirm(spreadsheet_import=batch, actor=staff)
    assert len(stored(kind)[0]) == records_before
    assert edit.stored(type(record).objects.get(pk=record.pk)) == edit.after


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_row_is_created_with_history_naming_the_import(world, kind):
    staff = world.records.staff
    new_rows = {
        "cbm-roles": {
            "cbm": "DRR",
            "country": "",
            "organization": "UNAMA",
            "role": "supporting",
            "since": "2014-01-01",
            "until": "",
        },
        "activities": {
            "cbm": "CT",
            "plan_version": 2,
            "area": 1,
            "number": 2,
            "title": "Exchange of experts",
            "description": "دو نشست",
        },
        "participation": {
            "country": "TUR",
            "kind": "supporting",
            "since": "2012-01-01",
            "until": "",
            "source": "the 2016 study",
            "note": "",
        },
        "organizations": {
            "acronym": "CICA",
            "name": "Conference on Interaction and Confidence-Building Measures in Asia",
            "kind": OrganizationKind.REGIONAL.value,
            "supports_process": "yes",
            "source": "",
        },
    }
    records_before = len(stored(kind)[0])
    batch = preview(
        kind, workbook([new_rows[kind]], list(new_rows[kind])), staff, name=f"{kind}.xlsx"
    )
    assert batch.preview["errors"] == []
    assert (batch.created, batch.updated) == (1, 0)

    done = import_confirm(spreadsheet_import=batch, actor=staff)
    assert len(stored(kind)[0]) == records_before + 1
    created = model_of(kind).objects.order_by("-pk").first()
    history = latest_history(created)
    assert (history.history_type, history.history_change_reason) == ("+", done.history_reason)
    assert history.history_user == staff


# --- Activities: a published plan is frozen -----------------------------------------------------


def test_an_edited_activity_of_a_plan_in_force_is_refused(world):
    staff, frozen = world.records.staff, world.frozen_activity
    before = stored("activities")
    data = edited(exported("activities", staff), {(frozen.pk, "title"): "Workshop, renamed"})
    batch = preview("activities", data, staff, name="activities.xlsx")
    assert batch.status == ImportStatus.REFUSED
    (error,) = batch.preview["errors"]
    assert error["row"] == _line_of(data, frozen.pk)
    assert "in force" in error["message"]
    assert stored("activities") == before


def test_a_new_activity_in_a_plan_in_force_is_refused(world):
    staff = world.records.staff
    before = stored("activities")
    row = {
        "cbm": "CT",
        "plan_version": 1,
        "area": 1,
        "number": 3,
        "title": "A third one",
        "description": "",
    }
    batch = preview("activities", workbook([row], list(row)), staff, name="activities.xlsx")
    assert batch.status == ImportStatus.REFUSED
    assert [error["row"] for error in batch.preview["errors"]] == [2]
    assert stored("activities") == before


def test_an_activity_of_a_draft_is_written_and_one_in_force_beside_it_left_alone(world):
    staff = world.records.staff
    draft, frozen = world.draft_activity, world.frozen_activity
    data = edited(exported("activities", staff), {(draft.pk, "description"): "Two days, Kabul"})
    batch = preview("activities", data, staff, name="activities.xlsx")
    assert batch.status == ImportStatus.PREVIEWED, batch.preview["errors"]
    import_confirm(spreadsheet_import=batch, actor=staff)
    assert Activity.objects.get(pk=draft.pk).description == "Two days, Kabul"
    assert latest_history(frozen).history_change_reason != batch.history_reason


def _line_of(data: bytes, pk: int) -> int:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    for line, row in enumerate(sheet.iter_rows(values_only=True), 1):
        if row[0] == pk:
            return line
    raise AssertionError(f"no row for record {pk}")


# --- Natural keys as people type them -----------------------------------------------------------


def test_an_organization_named_by_its_acronym_in_other_case_is_updated_not_duplicated(world):
    staff = world.records.staff
    row = {**edit_for("organizations").key_row(world), "acronym": " unama "}
    batch = preview("organizations", workbook([row], list(row)), staff, name="organizations.xlsx")
    assert batch.preview["errors"] == []
    assert (batch.created, batch.updated) == (0, 1)
    assert batch.preview["changes"][0]["id"] == world.unama.pk


def test_a_role_named_by_its_key_with_codes_in_lower_case_is_updated(world):
    staff = world.records.staff
    row = {**edit_for("cbm-roles").key_row(world), "cbm": "ct", "country": "afg"}
    batch = preview("cbm-roles", workbook([row], list(row)), staff, name="cbm-roles.xlsx")
    assert batch.preview["errors"] == []
    assert (batch.created, batch.updated) == (0, 1)
    assert batch.preview["changes"][0]["id"] == world.afghan_lead.pk
