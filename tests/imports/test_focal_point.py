"""A focal point's imports (issue #14): the RTGs of the CBMs its country leads, nothing else.
A file with one row beyond that is refused whole; another kind of record, or someone else's
import, is not the focal point's to bring in. Compliance is asked to re-evaluate once per
confirmed import, for the CBMs it touched, not once per row.
"""

import datetime as dt
import io
from unittest import mock

import openpyxl
import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cbms.imports.services import bulk_edit_preview, editable_records, import_confirm
from cbms.models import CBMRole, ComplianceOutbox, ImportKind, ImportStatus, SpreadsheetImport
from conferences.models import Meeting, MeetingKind
from members.models import Role
from tests.members.factories import FocalPointFactory

from .conftest import edited, exported, preview, workbook

A_CT_RTG = {
    "kind": "rtg",
    "cbm": "CT",
    "date": "2017-04-10",
    "status": "held",
    "city": "Mazar-i-Sharif",
    "host": "AFG",
}


def with_rows(data: bytes, edits: dict[int, dict], added: list[dict] = ()) -> bytes:
    """An exported workbook with cells of some records' rows changed (record id → column →
    value) and rows added after them."""
    cells = {(pk, column): value for pk, row in edits.items() for column, value in row.items()}
    return edited(data, cells, added)


def meetings_as_stored() -> tuple[list[tuple], int]:
    rows = Meeting.objects.order_by("pk").values_list(
        "pk", "kind", "cbm_id", "date", "city", "notes"
    )
    return list(rows), Meeting.history.count()


def errors_of(batch) -> list[tuple]:
    return [(e["row"], e["column"]) for e in batch.preview["errors"]]


@pytest.fixture
def recompute():
    with mock.patch("cbms.imports.services.compliance_recompute_request") as patched:
        yield patched


# --- What a focal point may import --------------------------------------------------------------


def test_a_focal_point_exports_only_the_rtgs_its_country_leads(records):
    data = exported("meetings", records.afghan_focal_point)
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    ids = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert ids == sorted(m.pk for m in records.meetings if m.cbm_id == records.ct.pk)


def test_a_focal_point_imports_rtgs_of_a_cbm_its_country_leads(records, recompute):
    focal_point, kabul = records.afghan_focal_point, records.meetings[0]
    data = with_rows(
        exported("meetings", focal_point),
        {kabul.pk: {"notes": "Minutes sent"}},
        added=[A_CT_RTG],
    )
    batch = preview("meetings", data, focal_point)
    assert batch.preview["errors"] == []
    assert (batch.created, batch.updated, batch.unchanged) == (1, 1, 1)

    done = import_confirm(spreadsheet_import=batch, actor=focal_point)
    assert done.status == ImportStatus.IMPORTED
    assert Meeting.objects.get(pk=kabul.pk).notes == "Minutes sent"
    created = Meeting.objects.get(city="Mazar-i-Sharif")
    assert (created.kind, created.cbm) == (MeetingKind.RTG, records.ct)
    for meeting in (created, Meeting.objects.get(pk=kabul.pk)):
        history = meeting.history.order_by("-history_id").first()
        assert (history.history_user, history.history_change_reason) == (
            focal_point,
            done.history_reason,
        )
    recompute.assert_called_once_with(cbm_ids={records.ct.pk})


@pytest.mark.parametrize(
    ("role_ends", "allowed"),
    [(relativedelta(days=-1), False), (relativedelta(), True), (None, True)],
    ids=["lead until yesterday", "lead until today", "lead, open-ended"],
)
def test_a_focal_point_imports_only_while_its_country_leads(records, role_ends, allowed):
    today = timezone.localdate()
    CBMRole.objects.filter(cbm=records.ct, country=records.afghanistan).update(
        until=None if role_ends is None else today + role_ends
    )
    batch = preview("meetings", workbook([A_CT_RTG]), records.afghan_focal_point)
    if allowed:
        assert (batch.status, batch.created) == (ImportStatus.PREVIEWED, 1)
    else:
        assert (batch.status, errors_of(batch)) == (ImportStatus.REFUSED, [(2, "cbm")])


# --- Refused whole ------------------------------------------------------------------------------


def test_one_row_of_another_countrys_cbm_refuses_the_whole_file(records, recompute):
    focal_point, kabul = records.afghan_focal_point, records.meetings[0]
    before = meetings_as_stored()
    drr_row = {**A_CT_RTG, "cbm": "DRR", "city": "Izmir", "host": "TUR"}
    data = with_rows(
        exported("meetings", focal_point),
        {kabul.pk: {"notes": "Minutes sent"}},
        added=[A_CT_RTG, drr_row],
    )
    batch = preview("meetings", data, focal_point)
    assert batch.status == ImportStatus.REFUSED
    assert errors_of(batch) == [(5, "cbm")]
    assert "DRR" in batch.preview["errors"][0]["message"]
    assert meetings_as_stored() == before
    with pytest.raises(ValidationError):
        import_confirm(spreadsheet_import=batch, actor=focal_point)
    assert meetings_as_stored() == before
    recompute.assert_not_called()


def test_moving_an_rtg_to_another_countrys_cbm_is_refused(records):
    focal_point, herat = records.afghan_focal_point, records.meetings[1]
    before = meetings_as_stored()
    data = with_rows(exported("meetings", focal_point), {herat.pk: {"cbm": "DRR"}})
    batch = preview("meetings", data, focal_point)
    assert batch.status == ImportStatus.REFUSED
    assert [e["column"] for e in batch.preview["errors"]] == ["cbm"]
    assert meetings_as_stored() == before


def test_another_countrys_rtg_by_its_id_is_no_record_for_the_focal_point(records):
    ankara = records.meetings[2]  # DRR, led by Turkey
    row = {**A_CT_RTG, "id": ankara.pk, "cbm": "DRR", "city": "Ankara", "date": "2016-06-03"}
    batch = preview("meetings", workbook([row]), records.afghan_focal_point)
    assert (batch.status, errors_of(batch)) == (ImportStatus.REFUSED, [(2, "id")])


def test_another_countrys_rtg_by_its_natural_key_is_refused_on_its_cbm(records):
    before = meetings_as_stored()
    ankara = {**A_CT_RTG, "cbm": "DRR", "city": "Ankara", "date": "2016-06-03", "notes": "x"}
    batch = preview("meetings", workbook([ankara]), records.afghan_focal_point)
    assert (batch.status, errors_of(batch)) == (ImportStatus.REFUSED, [(2, "cbm")])
    assert meetings_as_stored() == before


@pytest.mark.parametrize("kind", ["som", "am"])
def test_a_meeting_other_than_an_rtg_is_refused(records, kind):
    before = meetings_as_stored()
    rows = [A_CT_RTG, {**A_CT_RTG, "kind": kind, "cbm": None, "city": "Kabul"}]
    batch = preview("meetings", workbook(rows), records.afghan_focal_point)
    assert batch.status == ImportStatus.REFUSED
    assert errors_of(batch) == [(3, "kind")]
    assert meetings_as_stored() == before


# --- Not the focal point's ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", [kind for kind in ImportKind.values if kind != ImportKind.MEETINGS]
)
def test_a_focal_point_may_not_import_other_kinds(records, kind):
    focal_point = records.afghan_focal_point
    staff_export = exported(kind, records.staff)
    with pytest.raises(PermissionDenied):
        preview(kind, staff_export, focal_point, name=f"{kind}.xlsx")
    with pytest.raises(PermissionDenied):
        editable_records(kind, actor=focal_point)
    assert not SpreadsheetImport.objects.exists()


def test_a_focal_point_may_not_bulk_edit_other_kinds(records):
    role = CBMRole.objects.get(cbm=records.ct, country=records.afghanistan)
    with pytest.raises(PermissionDenied):
        bulk_edit_preview(
            kind=ImportKind.CBM_ROLES,
            ids=[role.pk],
            column="until",
            value="2020-12-31",
            actor=records.afghan_focal_point,
        )
    assert not SpreadsheetImport.objects.exists()


def test_no_one_confirms_an_import_someone_else_sent(records, recompute):
    focal_point = records.afghan_focal_point
    colleague = FocalPointFactory(username="fp-afg-2", country=records.afghanistan)
    before = meetings_as_stored()
    staff_batch = preview("meetings", workbook([A_CT_RTG]), records.staff)
    colleague_batch = preview("meetings", workbook([A_CT_RTG]), colleague)
    assert staff_batch.status == colleague_batch.status == ImportStatus.PREVIEWED

    for batch, someone_else in [
        (staff_batch, focal_point),
        (colleague_batch, focal_point),
        (colleague_batch, records.staff),  # the secretariat sees it, but did not send it
    ]:
        with pytest.raises(PermissionDenied):
            import_confirm(spreadsheet_import=batch, actor=someone_else)
        assert SpreadsheetImport.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWED
    assert meetings_as_stored() == before
    recompute.assert_not_called()


def test_a_focal_point_who_lost_the_role_may_not_confirm_its_import(records):
    focal_point = records.afghan_focal_point
    batch = preview("meetings", workbook([A_CT_RTG]), focal_point)
    assert batch.status == ImportStatus.PREVIEWED
    before = meetings_as_stored()
    focal_point.role, focal_point.country = Role.ANALYST, None
    focal_point.save()
    with pytest.raises(PermissionDenied):
        import_confirm(spreadsheet_import=batch, actor=focal_point)
    assert meetings_as_stored() == before


def test_the_lead_handed_over_between_preview_and_confirm_refuses_the_import(records):
    focal_point = records.afghan_focal_point
    batch = preview("meetings", workbook([A_CT_RTG]), focal_point)
    assert batch.status == ImportStatus.PREVIEWED
    before = meetings_as_stored()
    CBMRole.objects.filter(cbm=records.ct, country=records.afghanistan).update(
        until=timezone.localdate() - relativedelta(days=1)
    )
    done = import_confirm(spreadsheet_import=batch, actor=focal_point)
    assert (done.status, errors_of(done)) == (ImportStatus.REFUSED, [(2, "cbm")])
    assert meetings_as_stored() == before


# --- Compliance, once per import ----------------------------------------------------------------


def test_compliance_is_asked_once_for_the_cbms_the_import_touched(records, recompute):
    staff, herat, ankara = records.staff, records.meetings[1], records.meetings[2]
    data = with_rows(
        exported("meetings", staff),
        {herat.pk: {"cbm": "DRR"}, ankara.pk: {"notes": "Minutes sent"}},
        added=[
            {**A_CT_RTG, "date": f"2017-0{month}-10", "city": f"City {month}"}
            for month in range(1, 8)
        ]
        + [{**A_CT_RTG, "kind": "som", "cbm": None, "city": "Baku"}],
    )
    batch = preview("meetings", data, staff)
    assert batch.preview["errors"] == []
    assert (batch.created, batch.updated) == (8, 2)
    recompute.assert_not_called()  # a preview asks nothing

    import_confirm(spreadsheet_import=batch, actor=staff)
    recompute.assert_called_once_with(cbm_ids={records.ct.pk, records.drr.pk})


def test_an_import_that_touches_no_rtg_asks_for_no_cbm(records, recompute):
    som = records.meetings[3]
    data = with_rows(exported("meetings", records.staff), {som.pk: {"city": "Baku, Azerbaijan"}})
    batch = preview("meetings", data, records.staff)
    import_confirm(spreadsheet_import=batch, actor=records.staff)
    recompute.assert_called_once_with(cbm_ids=set())


def test_a_confirmed_import_leaves_one_outbox_row_per_touched_cbm(records):
    # Unpatched: the bulk writes send no signals, so nothing else asks once per row.
    rows = [
        {**A_CT_RTG, "date": (dt.date(2017, 1, 2) + dt.timedelta(days=n)).isoformat()}
        for n in range(20)
    ] + [{**A_CT_RTG, "cbm": "DRR", "host": "TUR"}]
    batch = preview("meetings", workbook(rows), records.staff)
    assert batch.created == 21, batch.preview["errors"]
    outbox = set(ComplianceOutbox.objects.values_list("pk", flat=True))
    import_confirm(spreadsheet_import=batch, actor=records.staff)
    added = ComplianceOutbox.objects.exclude(pk__in=outbox)
    assert sorted(added.values_list("cbm_pk", flat=True)) == sorted([records.ct.pk, records.drr.pk])
