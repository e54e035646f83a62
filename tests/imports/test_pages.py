"""The import pages as people use them: a list exported for editing, the file uploaded, the
preview read, the import confirmed; a bulk edit from a list; and who may do which."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cbms.models import ImportStatus, SpreadsheetImport
from conferences.models import Meeting, MeetingStatus
from tests.members.factories import UserFactory

from .conftest import exported


def _download(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def _workbook_rows(data: bytes) -> list[dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _with_cities(data: bytes, cities: dict[int, str]) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for line in range(2, sheet.max_row + 1):
        pk = sheet.cell(row=line, column=header.index("id") + 1).value
        if pk in cities:
            sheet.cell(row=line, column=header.index("city") + 1, value=cities[pk])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _upload(client, data: bytes, name="meetings.xlsx", kind="meetings"):
    return client.post(
        reverse("imports:upload", args=[kind]), {"file": SimpleUploadedFile(name, data)}
    )


@pytest.fixture
def staff(client, records):
    client.force_login(records.staff)
    return client


def test_the_list_exports_the_rows_it_shows_for_editing(records, staff):
    page = staff.get(reverse("conferences:meeting_list"), {"cbm": records.ct.pk})
    assert "Edit in a spreadsheet" in page.text
    assert 'name="ids"' in page.text  # the bulk edit's checkboxes

    data = _download(
        staff.get(
            reverse("conferences:meeting_list"),
            {"cbm": records.ct.pk, "format": "xlsx", "for": "import"},
        )
    )
    rows = _workbook_rows(data)
    assert {row["cbm"] for row in rows} == {"CT"}
    assert sorted(row["city"] for row in rows) == ["Herat", "Kabul"]
    assert set(rows[0]) == {
        "id",
        "kind",
        "cbm",
        "date",
        "status",
        "city",
        "host",
        "notes",
        "revision",
    }


def test_export_edit_upload_preview_confirm(records, staff):
    kabul, herat = records.meetings[0], records.meetings[1]
    data = _download(
        staff.get(reverse("conferences:meeting_list"), {"format": "xlsx", "for": "import"})
    )
    edited = _with_cities(data, {kabul.pk: "Kabul City"})

    sent = _upload(staff, edited)
    spreadsheet_import = SpreadsheetImport.objects.get()
    assert sent["Location"] == reverse("imports:detail", args=[spreadsheet_import.pk])
    preview = staff.get(sent["Location"])
    assert "Kabul City" in preview.text and "Confirm: save 1 change" in preview.text
    assert Meeting.objects.get(pk=kabul.pk).city == "Kabul"  # nothing saved yet

    confirmed = staff.post(reverse("imports:confirm", args=[spreadsheet_import.pk]), follow=True)
    assert "Imported: 0 created, 1 updated, 3 unchanged." in confirmed.text
    assert Meeting.objects.get(pk=kabul.pk).city == "Kabul City"
    assert Meeting.objects.get(pk=herat.pk).city == "Herat"
    assert "Confirm: save" not in confirmed.text

    again = staff.post(reverse("imports:confirm", args=[spreadsheet_import.pk]), follow=True)
    assert "This file was imported already." in again.text
    assert Meeting.objects.get(pk=kabul.pk).history.count() == 2  # created, then the import

    listed = staff.get(reverse("imports:list"))
    assert "meetings.xlsx" in listed.text and "imported" in listed.text


def test_a_file_with_errors_shows_them_and_cannot_be_confirmed(records, staff):
    data = exported("meetings", records.staff)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=3, column=header.index("cbm") + 1, value="NOPE")
    out = io.BytesIO()
    workbook.save(out)

    preview = staff.get(_upload(staff, out.getvalue())["Location"])
    assert "There is no CBM “NOPE”." in preview.text
    assert "<td>3</td><td><code>cbm</code></td>" in preview.text
    assert "Confirm: save" not in preview.text

    spreadsheet_import = SpreadsheetImport.objects.get()
    assert spreadsheet_import.status == ImportStatus.REFUSED
    before = list(Meeting.objects.values())
    refused = staff.post(reverse("imports:confirm", args=[spreadsheet_import.pk]), follow=True)
    assert "This file has errors" in refused.text
    assert list(Meeting.objects.values()) == before


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.pdf", b"%PDF-1.7\n", "Upload an .xlsx or a .csv file."),
        ("meetings.xlsx", b"%PDF-1.7\n" + b"x" * 100, "not a valid Office document"),
        ("meetings.csv", b"\xff\xfe\x00b\x00a\x00d", "not UTF-8"),
        ("meetings.csv", b"", "The submitted file is empty."),
    ],
)
def test_a_file_that_is_no_spreadsheet_is_a_form_error(records, staff, name, data, message):
    answer = _upload(staff, data, name=name)
    assert answer.status_code == 200
    assert message in answer.text
    assert not SpreadsheetImport.objects.exists()


def test_templates_are_the_columns_without_rows(records, staff):
    data = _download(staff.get(reverse("imports:template", args=["meetings", "xlsx"])))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [cell.value for cell in sheet[1]][:3] == ["id", "kind", "cbm"]
    assert sheet.max_row == 1
    csv = _download(staff.get(reverse("imports:template", args=["organizations", "csv"])))
    assert csv.decode("utf-8-sig").strip() == (
        "id,acronym,name,kind,supports_process,source,revision"
    )
    assert staff.get(reverse("imports:template", args=["meetings", "ods"])).status_code == 404
    assert staff.get(reverse("imports:upload", args=["reports"])).status_code == 404


def test_a_bulk_edit_from_the_list(records, staff):
    kabul, herat, ankara, _ = records.meetings
    answer = staff.post(
        reverse("imports:bulk_edit", args=["meetings"]),
        {"ids": [kabul.pk, herat.pk], "column": "status", "value": "cancelled"},
    )
    spreadsheet_import = SpreadsheetImport.objects.get()
    assert answer["Location"] == reverse("imports:detail", args=[spreadsheet_import.pk])
    assert (spreadsheet_import.updated, spreadsheet_import.created) == (2, 0)
    assert Meeting.objects.filter(status=MeetingStatus.CANCELLED).count() == 0

    staff.post(reverse("imports:confirm", args=[spreadsheet_import.pk]))
    cancelled = set(
        Meeting.objects.filter(status=MeetingStatus.CANCELLED).values_list("pk", flat=True)
    )
    assert cancelled == {kabul.pk, herat.pk}
    assert Meeting.objects.get(pk=ankara.pk).status == MeetingStatus.HELD
    assert kabul.history.first().history_change_reason == spreadsheet_import.history_reason


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"column": "status", "value": "held"}, "Choose the rows to change."),
        ({"column": "kind", "value": "som"}, "This column cannot be set for many rows."),
        ({"column": "status", "value": "maybe"}, None),  # previewed, with the error by row
    ],
)
def test_a_bulk_edit_that_cannot_be_done_says_why(records, staff, post, message):
    ids = [] if message == "Choose the rows to change." else [records.meetings[0].pk]
    answer = staff.post(
        reverse("imports:bulk_edit", args=["meetings"]), {**post, "ids": ids}, follow=True
    )
    if message:
        assert message in answer.text
        assert not SpreadsheetImport.objects.exists()
    else:
        assert "“maybe” is none of: planned, held, cancelled." in answer.text
        assert SpreadsheetImport.objects.get().status == ImportStatus.REFUSED


def test_a_focal_point_edits_its_own_rtgs_only(records, client):
    client.force_login(records.afghan_focal_point)
    page = client.get(reverse("conferences:meeting_list"))
    assert "Edit in a spreadsheet" in page.text
    rows = _workbook_rows(
        _download(
            client.get(reverse("conferences:meeting_list"), {"format": "xlsx", "for": "import"})
        )
    )
    assert {(row["cbm"], row["kind"]) for row in rows} == {("CT", "rtg")}
    assert client.get(reverse("imports:upload", args=["organizations"])).status_code == 403

    turkish_rtg = records.meetings[2]
    refused = client.post(
        reverse("imports:bulk_edit", args=["meetings"]),
        {"ids": [records.meetings[0].pk, turkish_rtg.pk], "column": "city", "value": "Kandahar"},
        follow=True,
    )
    assert "Some of the rows chosen are not yours to change." in refused.text
    assert not Meeting.objects.filter(city="Kandahar").exists()


def test_an_import_is_seen_by_its_author_and_the_secretariat(records, client):
    client.force_login(records.staff)
    _upload(client, exported("meetings", records.staff))
    spreadsheet_import = SpreadsheetImport.objects.get()
    detail = reverse("imports:detail", args=[spreadsheet_import.pk])
    confirm = reverse("imports:confirm", args=[spreadsheet_import.pk])

    client.force_login(records.afghan_focal_point)
    assert client.get(detail).status_code == 404
    assert client.post(confirm).status_code == 404
    assert "meetings.xlsx" not in client.get(reverse("imports:list")).text

    client.force_login(UserFactory(username="reader"))
    assert client.get(reverse("imports:list")).status_code == 403
    assert (
        client.get(
            reverse("conferences:meeting_list"), {"format": "xlsx", "for": "import"}
        ).status_code
        == 403
    )
    assert "Edit in a spreadsheet" not in client.get(reverse("conferences:meeting_list")).text
    assert SpreadsheetImport.objects.get().status == ImportStatus.PREVIEWED


def test_the_secretariat_cannot_confirm_a_focal_points_import(records, client):
    client.force_login(records.afghan_focal_point)
    _upload(client, exported("meetings", records.afghan_focal_point))
    spreadsheet_import = SpreadsheetImport.objects.get()
    client.force_login(records.staff)
    assert client.get(reverse("imports:detail", args=[spreadsheet_import.pk])).status_code == 200
    answer = client.post(reverse("imports:confirm", args=[spreadsheet_import.pk]))
    assert answer.status_code == 403
    assert SpreadsheetImport.objects.get().status == ImportStatus.PREVIEWED
