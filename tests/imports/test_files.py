"""Real files, as the secretariat's programs save them (issue #14): a workbook LibreOffice saved,
one openpyxl wrote with real date and number cells, CSV as Excel saves it (UTF-8 with the
byte-order mark, semicolons, CRLF) and CSV without the mark. And the round trip through CSV.

fixtures/meetings-libreoffice.xlsx was made once from fixtures/meetings-libreoffice.csv by
LibreOffice 7.4 and committed:

    soffice --headless --infilter="CSV:44,34,76,1" --convert-to xlsx \\
        --outdir tests/imports/fixtures tests/imports/fixtures/meetings-libreoffice.csv

LibreOffice made date cells of the ISO days and kept its formula (="Minutes "&"sent") with the
value it computed, which is what the import reads.
"""

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from cbms.imports.services import import_confirm
from cbms.models import ImportStatus
from conferences.models import Meeting, MeetingKind, MeetingStatus
from tests.conferences.factories import RtgFactory

from .conftest import exported, preview

FIXTURES = Path(__file__).parent / "fixtures"
LIBREOFFICE_WORKBOOK = FIXTURES / "meetings-libreoffice.xlsx"
COLUMNS = ["id", "kind", "cbm", "date", "status", "city", "host", "notes", "revision"]
KABUL_IN_DARI = "کابل"
DARI_NOTES = "نشست گروه کاری فنی منطقه\u200cای در کابل"  # with its zero-width non-joiner


def stored_meetings() -> list[tuple]:
    return list(
        Meeting.objects.order_by("pk").values_list(
            "pk", "kind", "cbm__code", "date", "status", "city", "host__code", "notes"
        )
    )


def created_cells(batch) -> list[dict]:
    """Each created row's cells, column → value as the preview shows it."""
    return [
        {cell["column"]: cell["after"] for cell in change["cells"]}
        for change in batch.preview["changes"]
        if change["new"]
    ]


# --- A workbook LibreOffice saved ---------------------------------------------------------------


def test_the_fixture_is_a_workbook_libreoffice_saved_with_date_cells():
    with zipfile.ZipFile(LIBREOFFICE_WORKBOOK) as package:
        assert b"<Application>LibreOffice" in package.read("docProps/app.xml")
    sheet = openpyxl.load_workbook(LIBREOFFICE_WORKBOOK).worksheets[0]
    assert [cell.value for cell in sheet[1]] == COLUMNS
    assert isinstance(sheet["D2"].value, dt.datetime)  # a date cell, not the text of a day
    assert sheet["H5"].data_type == "f"  # a formula, saved with its value


def test_a_workbook_saved_by_libreoffice_previews_its_meetings_with_the_dari_intact(records):
    before = stored_meetings()
    batch = preview(
        "meetings", LIBREOFFICE_WORKBOOK.read_bytes(), records.staff, name="meetings.xlsx"
    )
    assert batch.preview["errors"] == []
    assert (batch.rows, batch.created, batch.updated, batch.unchanged) == (4, 4, 0, 0)
    assert created_cells(batch) == [
        {
            "kind": "rtg",
            "cbm": "CT",
            "date": "2017-04-10",
            "status": "held",
            "city": KABUL_IN_DARI,
            "host": "AFG",
            "notes": DARI_NOTES,
        },
        {
            "kind": "som",
            "date": "2017-06-01",
            "status": "held",
            "city": "Genève",
            "host": "TUR",
            "notes": "Réunion des hauts fonctionnaires à Genève",
        },
        {
            "kind": "rtg",
            "cbm": "DRR",
            "date": "2018-02-15",
            "status": "cancelled",
            "city": "Ankara",
            "host": "TUR",
            "notes": "Postponed: the host’s request",
        },
        {
            "kind": "am",
            "date": "2019-03-05",
            "status": "held",
            "city": "Kabul",
            "host": "AFG",
            "notes": "Minutes sent",  # the formula's saved value
        },
    ]
    assert [change["row"] for change in batch.preview["changes"]] == [2, 3, 4, 5]
    assert stored_meetings() == before

    done = import_confirm(spreadsheet_import=batch, actor=records.staff)
    assert done.status == ImportStatus.IMPORTED
    kabul = Meeting.objects.get(city=KABUL_IN_DARI)
    assert (kabul.kind, kabul.cbm, kabul.date, kabul.notes) == (
        MeetingKind.RTG,
        records.ct,
        dt.date(2017, 4, 10),
        DARI_NOTES,
    )
    assert Meeting.objects.get(city="Genève").cbm is None
    assert Meeting.objects.count() == len(before) + 4


# --- A workbook openpyxl wrote ----------------------------------------------------------------


def _openpyxl_workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _as_cells(meeting: Meeting) -> list:
    """A meeting's row with native cells: numbers for the id and revision, a date cell."""
    return [
        meeting.pk,
        meeting.kind,
        meeting.cbm.code if meeting.cbm else None,
        meeting.date,
        meeting.status,
        meeting.city,
        meeting.host.code if meeting.host else None,
        meeting.notes or None,
        meeting.history.latest().history_id,
    ]


def test_a_workbook_written_by_openpyxl_with_date_and_number_cells(records):
    meetings = list(Meeting.objects.select_related("cbm", "host").order_by("pk"))
    rows = [_as_cells(meeting) for meeting in meetings]
    rows[0][0] = float(rows[0][0])  # as Excel keeps every number: 1.0
    rows[0][-1] = float(rows[0][-1])
    rows[1][3] = dt.datetime.combine(rows[1][3], dt.time())  # a date cell read back as midnight
    new = [None, "rtg", "DRR", dt.date(2018, 1, 16), "held", "Mazar-i-Sharif", "TUR", None, None]
    batch = preview("meetings", _openpyxl_workbook([*rows, new]), records.staff)
    assert batch.preview["errors"] == []
    assert (batch.created, batch.updated, batch.unchanged) == (1, 0, len(meetings))
    (created,) = created_cells(batch)
    assert (created["date"], created["cbm"], created["host"]) == ("2018-01-16", "DRR", "TUR")


def test_a_date_cell_with_a_time_of_day_is_an_error_on_the_date(records):
    row = [None, "rtg", "CT", dt.datetime(2018, 1, 16, 9, 30), "held", "Herat", "AFG", None, None]
    batch = preview("meetings", _openpyxl_workbook([row]), records.staff)
    assert [(e["row"], e["column"]) for e in batch.preview["errors"]] == [(2, "date")]
    assert batch.status == ImportStatus.REFUSED


def test_an_edited_number_cell_in_an_openpyxl_workbook_is_an_update(records):
    kabul = Meeting.objects.select_related("cbm", "host").get(pk=records.meetings[0].pk)
    row = _as_cells(kabul)
    row[3] = dt.date(2015, 3, 2)
    batch = preview("meetings", _openpyxl_workbook([row]), records.staff)
    assert batch.preview["errors"] == []
    assert batch.updated == 1
    (change,) = batch.preview["changes"]
    assert change["cells"] == [{"column": "date", "before": "2015-03-01", "after": "2015-03-02"}]


# --- CSV --------------------------------------------------------------------------------------


def _csv(lines: list[str], *, delimiter: str, bom: bool, newline: str) -> bytes:
    text = newline.join(delimiter.join(cells) for cells in [COLUMNS, *lines]) + newline
    return (("\ufeff" if bom else "") + text).encode()


@pytest.mark.parametrize(
    ("delimiter", "bom", "newline"),
    [
        pytest.param(";", True, "\r\n", id="excel: UTF-8 with BOM, semicolons, CRLF"),
        pytest.param(",", True, "\r\n", id="excel: UTF-8 with BOM, commas, CRLF"),
        pytest.param(",", False, "\n", id="UTF-8 without BOM, commas"),
        pytest.param("\t", False, "\n", id="UTF-8 without BOM, tabs"),
    ],
)
def test_a_csv_file_updates_by_id_and_creates_with_the_dari_intact(
    records, delimiter, bom, newline
):
    kabul = records.meetings[0]
    revision = str(kabul.history.latest().history_id)
    kabul_as_exported = [str(kabul.pk), "rtg", "CT", "2015-03-01", "held", "Kabul", "AFG"]
    lines = [
        # The id is the first column, where a byte-order mark sits: it must still read as "id".
        [*kabul_as_exported, "Minutes sent", revision],
        ["", "rtg", "CT", "2017-04-10", "held", KABUL_IN_DARI, "AFG", DARI_NOTES, ""],
    ]
    batch = preview(
        "meetings",
        _csv(lines, delimiter=delimiter, bom=bom, newline=newline),
        records.staff,
        name="meetings.csv",
    )
    assert batch.preview["errors"] == []
    assert (batch.rows, batch.created, batch.updated) == (2, 1, 1)
    assert batch.file_format == "csv"
    updated = next(change for change in batch.preview["changes"] if not change["new"])
    assert (updated["id"], updated["cells"]) == (
        kabul.pk,
        [{"column": "notes", "before": "", "after": "Minutes sent"}],
    )
    (created,) = created_cells(batch)
    assert (created["city"], created["notes"]) == (KABUL_IN_DARI, DARI_NOTES)

    import_confirm(spreadsheet_import=batch, actor=records.staff)
    assert Meeting.objects.get(pk=kabul.pk).notes == "Minutes sent"
    assert Meeting.objects.get(city=KABUL_IN_DARI).notes == DARI_NOTES


def test_a_semicolon_file_keeps_commas_inside_its_cells(records):
    lines = [["", "som", "", "2017-06-01", "held", "Genève", "TUR", '"Agenda, minutes"', ""]]
    data = _csv(lines, delimiter=";", bom=True, newline="\r\n")
    batch = preview("meetings", data, records.staff, name="meetings.csv")
    assert batch.preview["errors"] == []
    (created,) = created_cells(batch)
    assert (created["city"], created["notes"]) == ("Genève", "Agenda, minutes")


def test_a_csv_export_imported_unchanged_is_no_change(records):
    # What the exports neutralise (text that starts like a formula) and Dari come back as sent.
    RtgFactory(cbm=records.ct, date=dt.date(2016, 11, 5), city=KABUL_IN_DARI, notes=DARI_NOTES)
    RtgFactory(cbm=records.drr, date=dt.date(2017, 1, 9), city="Izmir", notes="=HYPERLINK(1)")
    RtgFactory(cbm=records.drr, date=dt.date(2017, 2, 9), city="Van", notes="-2 days, +1 room")
    data = exported("meetings", records.staff, "csv")
    assert data.startswith("\ufeff".encode())
    before = stored_meetings()

    batch = preview("meetings", data, records.staff, name="meetings.csv")
    assert batch.preview["errors"] == []
    assert (batch.rows, batch.created, batch.updated, batch.unchanged) == (7, 0, 0, 7)
    assert batch.preview["changes"] == []
    import_confirm(spreadsheet_import=batch, actor=records.staff)
    assert stored_meetings() == before


def test_a_csv_export_with_one_edited_cell_is_one_update(records):
    data = exported("meetings", records.staff, "csv").decode("utf-8-sig")
    lines = data.splitlines()
    herat = next(n for n, line in enumerate(lines) if ",Herat," in line)
    lines[herat] = lines[herat].replace(",held,Herat,", ",cancelled,Herat,")
    batch = preview("meetings", "\r\n".join(lines).encode(), records.staff, name="meetings.csv")
    assert batch.preview["errors"] == []
    assert (batch.created, batch.updated, batch.unchanged) == (0, 1, 3)
    (change,) = batch.preview["changes"]
    assert change["cells"] == [{"column": "status", "before": "held", "after": "cancelled"}]
    import_confirm(spreadsheet_import=batch, actor=records.staff)
    assert Meeting.objects.get(city="Herat").status == MeetingStatus.CANCELLED
