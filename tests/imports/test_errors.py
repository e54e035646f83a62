"""What an import refuses (issue #14), and that a refusal writes nothing.

Each error is said by the file's line (the header is line 1) and the column, as the preview
shows it; the records stand as they were, and a refused import cannot be confirmed. Then the
files refused whole: unknown columns, a file that is no spreadsheet whatever its name, one past
the limits. And a formula cell, which is read as the value its program saved, never computed.
"""

import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

from cbms.imports.services import import_confirm
from cbms.models import ComplianceOutbox, ImportStatus, SpreadsheetImport
from conferences.models import Meeting

from .conftest import MEETING_COLUMNS, edited, exported, preview, workbook

COLUMNS = MEETING_COLUMNS
NATURAL_KEY_COLUMNS = "date, kind, cbm, city"
A_NEW_RTG = {
    "kind": "rtg",
    "cbm": "CT",
    "date": "2017-04-10",
    "status": "held",
    "city": "Mazar-i-Sharif",
    "host": "AFG",
}


def csv_bytes(rows: list[dict], columns: list[str] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return out.getvalue().encode()


def line_of(data: bytes, pk: int) -> int:
    """The line of a record's row in an exported workbook."""
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    for line, row in enumerate(sheet.iter_rows(values_only=True), 1):
        if row[0] == pk:
            return line
    raise AssertionError(f"no row for record {pk}")


def meetings_as_stored() -> list[tuple]:
    return list(
        Meeting.objects.order_by("pk").values_list(
            "pk", "kind", "cbm_id", "date", "status", "city", "host_id", "notes"
        )
    )


def errors_of(batch) -> list[tuple]:
    return [(e["row"], e["column"]) for e in batch.preview["errors"]]


@pytest.fixture
def before(records):
    """The meetings and their history before a test imports anything."""
    return meetings_as_stored(), Meeting.history.count()


def assert_refused_and_nothing_written(batch, before, records) -> None:
    stored, history = before
    assert batch.status == ImportStatus.REFUSED
    assert batch.errors == len(batch.preview["errors"]) > 0
    assert (meetings_as_stored(), Meeting.history.count()) == (stored, history)
    with pytest.raises(ValidationError):
        import_confirm(spreadsheet_import=batch, actor=records.staff)
    assert SpreadsheetImport.objects.get(pk=batch.pk).status == ImportStatus.REFUSED
    assert (meetings_as_stored(), Meeting.history.count()) == (stored, history)


# --- Errors of a row, by line and column ------------------------------------------------------


def test_an_unknown_cbm_code_is_an_error_on_its_cell(records, before):
    rows = [A_NEW_RTG, {**A_NEW_RTG, "cbm": "NOPE", "city": "Herat"}]
    batch = preview("meetings", workbook(rows), records.staff)
    assert errors_of(batch) == [(3, "cbm")]
    assert "NOPE" in batch.preview["errors"][0]["message"]
    assert_refused_and_nothing_written(batch, before, records)


@pytest.mark.parametrize("day", ["31/02/2016", "next week", "2016-02-30", "12/04/2016"])
def test_a_day_that_is_no_date_is_an_error_on_its_cell(records, before, day):
    batch = preview("meetings", workbook([{**A_NEW_RTG, "date": day}]), records.staff)
    assert errors_of(batch) == [(2, "date")]
    assert day in batch.preview["errors"][0]["message"]
    assert_refused_and_nothing_written(batch, before, records)


def test_a_held_meeting_dated_after_today_is_an_error_on_its_date(records, before):
    tomorrow = timezone.localdate() + relativedelta(days=1)
    rows = [
        {**A_NEW_RTG, "date": tomorrow.isoformat(), "status": "planned"},  # may be planned
        {**A_NEW_RTG, "date": tomorrow.isoformat(), "status": "held", "city": "Herat"},
    ]
    batch = preview("meetings", workbook(rows), records.staff)
    assert errors_of(batch) == [(3, "date")]
    assert_refused_and_nothing_written(batch, before, records)


def test_a_held_meeting_dated_today_is_no_error(records):
    today = timezone.localdate().isoformat()
    batch = preview("meetings", workbook([{**A_NEW_RTG, "date": today}]), records.staff)
    assert batch.preview["errors"] == []
    assert batch.created == 1


def test_an_rtg_without_a_cbm_is_an_error_on_its_cbm(records, before):
    batch = preview("meetings", workbook([{**A_NEW_RTG, "cbm": None}]), records.staff)
    assert errors_of(batch) == [(2, "cbm")]
    assert_refused_and_nothing_written(batch, before, records)


def test_a_meeting_other_than_an_rtg_with_a_cbm_is_an_error_on_its_cbm(records, before):
    batch = preview("meetings", workbook([{**A_NEW_RTG, "kind": "som"}]), records.staff)
    assert errors_of(batch) == [(2, "cbm")]
    assert_refused_and_nothing_written(batch, before, records)


def test_two_rows_with_one_natural_key_are_refused_on_the_second(records, before):
    # Case and spaces aside, the same RTG: the key is compared as people read it.
    rows = [A_NEW_RTG, {**A_NEW_RTG, "city": " mazar-i-sharif ", "notes": "again"}]
    batch = preview("meetings", workbook(rows), records.staff)
    assert errors_of(batch) == [(3, NATURAL_KEY_COLUMNS)]
    assert "row 2" in batch.preview["errors"][0]["message"]
    assert_refused_and_nothing_written(batch, before, records)


def test_a_new_row_naming_an_existing_record_twice_by_key_is_refused(records, before):
    kabul = records.meetings[0]
    row = {"kind": "rtg", "cbm": "CT", "date": "2015-03-01", "status": "held", "city": "Kabul"}
    rows = [{**row, "notes": "first"}, {**row, "notes": "second"}]
    batch = preview("meetings", workbook(rows), records.staff)
    assert errors_of(batch) == [(3, NATURAL_KEY_COLUMNS)]
    assert Meeting.objects.get(pk=kabul.pk).notes == ""
    assert_refused_and_nothing_written(batch, before, records)


def test_two_rows_with_one_id_are_refused_on_the_second(records, before):
    data = exported("meetings", records.staff)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    sheet.append([cell.value for cell in sheet[2]])  # the first record's row, once more
    out = io.BytesIO()
    book.save(out)
    last_line = sheet.max_row
    batch = preview("meetings", out.getvalue(), records.staff)
    assert errors_of(batch) == [(last_line, "id")]
    assert "row 2" in batch.preview["errors"][0]["message"]
    assert_refused_and_nothing_written(batch, before, records)


def test_a_row_by_id_and_a_row_by_natural_key_about_one_record_are_refused(records, before):
    kabul = records.meetings[0]
    row = {"kind": "rtg", "cbm": "CT", "date": "2015-03-01", "status": "held", "city": "Kabul"}
    rows = [{**row, "id": kabul.pk, "notes": "by id"}, {**row, "notes": "by key"}]
    batch = preview("meetings", workbook(rows), records.staff)
    assert errors_of(batch) == [(3, NATURAL_KEY_COLUMNS)]
    assert_refused_and_nothing_written(batch, before, records)


def test_an_id_no_record_has_is_an_error_on_the_id(records, before):
    missing = Meeting.objects.order_by("pk").last().pk + 1000
    batch = preview("meetings", workbook([{**A_NEW_RTG, "id": missing}]), records.staff)
    assert errors_of(batch) == [(2, "id")]
    assert_refused_and_nothing_written(batch, before, records)


def test_a_row_changed_by_someone_else_since_the_export_is_an_error_on_its_revision(records):
    herat = records.meetings[1]
    data = edited(exported("meetings", records.staff), {(herat.pk, "notes"): "Minutes sent"})
    meeting = Meeting.objects.get(pk=herat.pk)
    meeting.city = "Herat City"  # someone else, in the portal, after the export
    meeting.save()
    before = meetings_as_stored(), Meeting.history.count()

    batch = preview("meetings", data, records.staff)
    assert errors_of(batch) == [(line_of(data, herat.pk), "revision")]
    assert Meeting.objects.get(pk=herat.pk).city == "Herat City"
    assert_refused_and_nothing_written(batch, before, records)


def test_a_row_without_its_revision_claims_no_version_and_is_not_stale(records):
    herat = records.meetings[1]
    data = edited(
        exported("meetings", records.staff),
        {(herat.pk, "notes"): "Minutes sent", (herat.pk, "revision"): None},
    )
    meeting = Meeting.objects.get(pk=herat.pk)
    meeting.save()
    batch = preview("meetings", data, records.staff)
    assert batch.preview["errors"] == []
    assert batch.updated == 1


def test_a_record_changed_between_preview_and_confirm_refuses_the_whole_import(records):
    kabul, herat = records.meetings[0], records.meetings[1]
    data = edited(
        exported("meetings", records.staff),
        {(kabul.pk, "notes"): "Minutes sent", (herat.pk, "notes"): "Postponed once"},
    )
    batch = preview("meetings", data, records.staff)
    assert batch.status == ImportStatus.PREVIEWED, batch.preview["errors"]
    assert batch.updated == 2

    meeting = Meeting.objects.get(pk=herat.pk)
    meeting.city = "Herat City"
    meeting.save()
    stored, history = meetings_as_stored(), Meeting.history.count()
    outbox = ComplianceOutbox.objects.count()

    done = import_confirm(spreadsheet_import=batch, actor=records.staff)
    assert done.status == ImportStatus.REFUSED
    assert done.imported_at is None
    assert errors_of(done) == [(line_of(data, herat.pk), "revision")]
    # All or nothing: the row still right is not written either.
    assert (meetings_as_stored(), Meeting.history.count()) == (stored, history)
    assert Meeting.objects.get(pk=kabul.pk).notes == ""
    assert ComplianceOutbox.objects.count() == outbox
    assert SpreadsheetImport.objects.get(pk=batch.pk).status == ImportStatus.REFUSED
    with pytest.raises(ValidationError):
        import_confirm(spreadsheet_import=done, actor=records.staff)


def test_every_wrong_row_is_reported_not_only_the_first(records, before):
    rows = [
        {**A_NEW_RTG, "host": "XYZ", "city": "Bamyan"},
        A_NEW_RTG,
        {**A_NEW_RTG, "date": "next week", "city": "Herat"},
        {**A_NEW_RTG, "status": "postponed", "city": "Kunduz"},
    ]
    batch = preview("meetings", workbook(rows), records.staff)
    assert errors_of(batch) == [(2, "host"), (4, "date"), (5, "status")]
    assert batch.created == 1  # what the good row would do is still shown
    assert_refused_and_nothing_written(batch, before, records)


# --- Files refused whole ----------------------------------------------------------------------


def test_a_column_the_import_does_not_know_refuses_the_file(records, before):
    batch = preview("meetings", workbook([A_NEW_RTG], [*COLUMNS, "colour"]), records.staff)
    assert errors_of(batch) == [(1, "colour")]
    assert batch.created == 0
    assert_refused_and_nothing_written(batch, before, records)


def test_a_file_of_ids_and_revisions_only_is_refused(records, before):
    data = workbook([{"id": records.meetings[0].pk}], ["id", "revision"])
    batch = preview("meetings", data, records.staff)
    assert [e["row"] for e in batch.preview["errors"]] == [1]
    assert_refused_and_nothing_written(batch, before, records)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OLE = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)  # how an .xls (and a vbaProject.bin) begins
XLSM_MAIN = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def _with_vba_project(data: bytes) -> bytes:
    """The workbook with a VBA project among its parts, as an .xlsm holds it."""
    return _zip({**_parts(data), "xl/vbaProject.bin": OLE})


def _macro_enabled(data: bytes) -> bytes:
    """The workbook declared an .xlsm by its content type."""
    parts = _parts(data)
    types = parts["[Content_Types].xml"]
    assert XLSX_MAIN in types
    return _zip({**parts, "[Content_Types].xml": types.replace(XLSX_MAIN, XLSM_MAIN)})


NOT_SPREADSHEETS = {
    "a PDF named .xlsx": (PDF, "meetings.xlsx"),
    "a zip named .xlsx": (_zip({"notes.txt": b"kind,cbm\nrtg,CT\n"}), "meetings.xlsx"),
    "a PDF named .csv": (PDF, "meetings.csv"),
    "a zip named .csv": (_zip({"meetings.csv": b"kind,cbm\nrtg,CT\n"}), "meetings.csv"),
    "binary named .csv": (bytes(range(256)) * 4, "meetings.csv"),
    "UTF-8 with NUL bytes named .csv": (b"kind,cbm\nrtg,\x00CT\n", "meetings.csv"),
    "an Excel 97 workbook named .xlsx": (OLE, "meetings.xlsx"),
    "an Excel 97 workbook named .csv": (OLE, "meetings.csv"),
    "UTF-16 named .csv": ("kind,cbm\nrtg,CT\n".encode("utf-16"), "meetings.csv"),
    "a workbook named .pdf": (None, "meetings.pdf"),
}


@pytest.mark.parametrize("case", NOT_SPREADSHEETS)
def test_a_file_that_is_not_a_spreadsheet_is_refused_by_its_content(records, before, case):
    data, name = NOT_SPREADSHEETS[case]
    with pytest.raises(ValidationError) as refused:
        preview("meetings", data or workbook([A_NEW_RTG]), records.staff, name=name)
    assert "file" in refused.value.message_dict
    assert not SpreadsheetImport.objects.exists()
    assert (meetings_as_stored(), Meeting.history.count()) == before


@pytest.mark.parametrize("data", [_zip({"meetings.csv": b"kind\nrtg\n"}), OLE], ids=["zip", "xls"])
def test_an_office_file_named_csv_is_refused_as_not_what_its_name_says(records, data):
    with pytest.raises(ValidationError) as refused:
        preview("meetings", data, records.staff, name="meetings.csv")
    assert refused.value.message_dict["file"] == [
        "The file's content does not match its extension."
    ]


@pytest.mark.parametrize("make_macro_workbook", [_with_vba_project, _macro_enabled])
def test_a_macro_workbook_named_xlsx_is_refused(records, before, make_macro_workbook):
    data = make_macro_workbook(workbook([A_NEW_RTG]))
    with pytest.raises(ValidationError) as refused:
        preview("meetings", data, records.staff)
    assert "macros" in refused.value.message_dict["file"][0]
    assert not SpreadsheetImport.objects.exists()
    assert (meetings_as_stored(), Meeting.history.count()) == before


def test_the_workbook_the_macro_case_starts_from_is_accepted(records):
    batch = preview("meetings", workbook([A_NEW_RTG]), records.staff)
    assert (batch.status, batch.created) == (ImportStatus.PREVIEWED, 1)


def test_an_empty_file_is_refused(records):
    with pytest.raises(ValidationError) as refused:
        preview("meetings", b"", records.staff, name="meetings.csv")
    assert "file" in refused.value.message_dict


def _rows(count: int) -> list[dict]:
    start = dt.date(2017, 1, 2)
    return [{**A_NEW_RTG, "date": (start + dt.timedelta(days=n)).isoformat()} for n in range(count)]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_a_file_of_more_rows_than_the_limit_is_refused(records, before, settings, file_format):
    settings.IMPORT_MAX_ROWS = 3
    write = workbook if file_format == "xlsx" else csv_bytes
    name = f"meetings.{file_format}"

    at_limit = preview("meetings", write(_rows(3)), records.staff, name=name)
    assert (at_limit.status, at_limit.created) == (ImportStatus.PREVIEWED, 3)

    with pytest.raises(ValidationError) as refused:
        preview("meetings", write(_rows(4)), records.staff, name=name)
    assert "3 rows" in refused.value.message_dict["file"][0]
    assert SpreadsheetImport.objects.count() == 1  # the one at the limit
    assert (meetings_as_stored(), Meeting.history.count()) == before


def test_empty_rows_do_not_count_towards_the_limit(records, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = _rows(3)
    data = csv_bytes(rows[:1]) + b",,,,,,,,\n\n" + csv_bytes(rows[1:]).split(b"\n", 1)[1]
    batch = preview("meetings", data, records.staff, name="meetings.csv")
    assert (batch.status, batch.created) == (ImportStatus.PREVIEWED, 3)


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_a_file_larger_than_the_limit_is_refused(records, before, settings, file_format):
    data = (workbook if file_format == "xlsx" else csv_bytes)([A_NEW_RTG])
    name = f"meetings.{file_format}"
    settings.IMPORT_MAX_BYTES = len(data)
    assert preview("meetings", data, records.staff, name=name).created == 1

    settings.IMPORT_MAX_BYTES = len(data) - 1
    with pytest.raises(ValidationError) as refused:
        preview("meetings", data, records.staff, name=name)
    assert "larger" in refused.value.message_dict["file"][0]
    assert SpreadsheetImport.objects.count() == 1
    assert (meetings_as_stored(), Meeting.history.count()) == before


# --- Formulas ---------------------------------------------------------------------------------


def test_a_formula_is_read_as_its_saved_value_and_never_computed(records):
    # openpyxl saves a formula without computing it: the cell has no saved value.
    batch = preview("meetings", workbook([{**A_NEW_RTG, "notes": "=1+1"}]), records.staff)
    assert batch.status == ImportStatus.PREVIEWED, batch.preview["errors"]
    (change,) = batch.preview["changes"]
    assert {cell["column"]: cell["after"] for cell in change["cells"]}.get("notes") is None
    assert "2" not in [cell["after"] for cell in change["cells"]]
    assert "1+1" not in str(batch.preview)

    import_confirm(spreadsheet_import=batch, actor=records.staff)
    assert Meeting.objects.get(city="Mazar-i-Sharif").notes == ""


def test_a_formula_in_a_needed_cell_leaves_it_empty(records, before):
    batch = preview("meetings", workbook([{**A_NEW_RTG, "date": "=TODAY()"}]), records.staff)
    assert errors_of(batch) == [(2, "date")]
    assert_refused_and_nothing_written(batch, before, records)


def test_a_formula_in_a_csv_is_text_as_written(records):
    # CSV holds no formulas, only text; the text the exports neutralised ('=…) reads as it was.
    rows = [{**A_NEW_RTG, "notes": "=1+1"}, {**A_NEW_RTG, "city": "Herat", "notes": "'=1+1"}]
    batch = preview("meetings", csv_bytes(rows), records.staff, name="meetings.csv")
    assert batch.status == ImportStatus.PREVIEWED, batch.preview["errors"]
    notes = [
        cell["after"]
        for change in batch.preview["changes"]
        for cell in change["cells"]
        if cell["column"] == "notes"
    ]
    assert notes == ["=1+1", "=1+1"]
