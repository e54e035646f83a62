import io

import openpyxl
from rest_framework.test import APIClient

from cbms.imports.services import import_confirm
from cbms.models import ImportStatus
from conferences.models import Meeting

from .conftest import exported, preview


def _edit(data: bytes, edits: dict[tuple[int, str], object]) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for (row, column), value in edits.items():
        sheet.cell(row=row, column=header.index(column) + 1, value=value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_unchanged_export_imports_as_no_change(records):
    batch = preview("meetings", exported("meetings", records.staff), records.staff)
    assert batch.errors == 0, batch.preview["errors"]
    assert (batch.rows, batch.created, batch.updated, batch.unchanged) == (4, 0, 0, 4)


def test_three_edited_cells_are_three_updates(records):
    data = _edit(
        exported("meetings", records.staff),
        {(2, "city"): "Mazar-i-Sharif", (3, "status"): "cancelled", (4, "notes"): "Minutes sent"},
    )
    batch = preview("meetings", data, records.staff)
    assert batch.errors == 0, batch.preview["errors"]
    assert (batch.created, batch.updated, batch.unchanged) == (0, 3, 1)
    cells = [cell for change in batch.preview["changes"] for cell in change["cells"]]
    assert sorted(cell["column"] for cell in cells) == ["city", "notes", "status"]
    assert Meeting.objects.filter(city="Mazar-i-Sharif").count() == 0  # nothing yet

    done = import_confirm(spreadsheet_import=batch, actor=records.staff)
    assert done.status == ImportStatus.IMPORTED
    assert Meeting.objects.filter(city="Mazar-i-Sharif").count() == 1
    edited = Meeting.objects.get(city="Mazar-i-Sharif")
    assert edited.history.first().history_change_reason == done.history_reason


def test_the_apis_export_imports_as_no_change(records):
    """An analyst's spreadsheet from the API has the import's column names: it matches by id."""
    client = APIClient()
    client.force_authenticate(records.staff)
    response = client.get("/api/v1/meetings/", {"format": "csv"})
    data = b"".join(response.streaming_content)
    batch = preview("meetings", data, records.staff, name="meetings.csv")
    assert batch.errors == 0, batch.preview["errors"]
    assert (batch.rows, batch.created, batch.updated, batch.unchanged) == (4, 0, 0, 4)
