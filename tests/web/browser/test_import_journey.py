"""The secretariat brings meetings in from a spreadsheet, and bulk-edits a list, in Chromium:
the list exported for editing, the file edited and uploaded, the preview read, then confirmed."""

import io

import openpyxl
from playwright.sync_api import expect

from conferences.models import Meeting, MeetingStatus

from .test_accessibility import _violations


def _edited(path, edits, cbm_code: str) -> bytes:
    """The downloaded workbook, with the cells named changed as a person would in Excel."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for line in range(2, sheet.max_row + 1):
        city = sheet.cell(row=line, column=header.index("city") + 1).value
        for column, (match, value) in edits.items():
            if city == match:
                sheet.cell(row=line, column=header.index(column) + 1, value=value)
    sheet.append(["", "rtg", cbm_code, "2015-06-01", "held", "Lyon", "FRA", "", ""])
    sheet.append(["", "rtg", "NOPE", "2015-07-01", "held", "Nice", "FRA", "", ""])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_the_secretariat_imports_an_edited_export(page_as, site, artifacts, tmp_path):
    page = page_as("secretariat")
    page.goto("/meetings/")
    page.get_by_role("link", name="Edit in a spreadsheet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import meetings")
    assert _violations(page) == []

    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").first.click()
    saved = tmp_path / "meetings.xlsx"
    download.value.save_as(saved)
    data = _edited(saved, {"notes": ("Paris", "Minutes circulated")}, site.fr_cbm.code)

    # A row with an unknown CBM: the preview says where, and nothing can be confirmed.
    page.get_by_label("Spreadsheet").set_input_files(
        {"name": "meetings.xlsx", "mimeType": "application/octet-stream", "buffer": data}
    )
    page.get_by_role("button", name="Preview the import").click()
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("There is no CBM “NOPE”.")
    expect(errors.locator("tbody tr").first).to_contain_text("cbm")
    expect(page.get_by_role("button", name="Confirm", exact=False)).to_have_count(0)
    assert _violations(page) == []
    page.screenshot(path=artifacts / "import-refused.png", full_page=True)

    # The row corrected (dropped), the file sent again: one update, one creation, then confirmed.
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    sheet.delete_rows(sheet.max_row)
    fixed = io.BytesIO()
    workbook.save(fixed)
    page.get_by_role("link", name="Upload again").click()
    page.get_by_label("Spreadsheet").set_input_files(
        {
            "name": "meetings.xlsx",
            "mimeType": "application/octet-stream",
            "buffer": fixed.getvalue(),
        }
    )
    page.get_by_role("button", name="Preview the import").click()
    changes = page.locator("#import-changes")
    expect(changes).to_contain_text("Minutes circulated")
    expect(changes).to_contain_text("Lyon")
    expect(page.locator("#count-created")).to_have_text("1")
    expect(page.locator("#count-updated")).to_have_text("1")
    assert not Meeting.objects.filter(city="Lyon").exists()
    assert _violations(page) == []

    page.get_by_role("button", name="Confirm: save 2 changes").click()
    expect(page.get_by_text("Imported: 1 created, 1 updated")).to_be_visible()
    assert Meeting.objects.get(city="Paris").notes == "Minutes circulated"
    assert Meeting.objects.filter(city="Lyon", cbm=site.fr_cbm).count() == 1

    page.goto("/imports/")
    expect(page.get_by_role("cell", name="meetings.xlsx").first).to_be_visible()
    assert _violations(page) == []


def test_the_secretariat_cancels_two_meetings_at_once(page_as, site):
    page = page_as("secretariat")
    page.goto("/meetings/")
    page.get_by_role("checkbox", name="Choose 1 Dec 2014").check()
    page.get_by_role("checkbox", name="Choose 15 Dec 2014").check()
    page.get_by_label("For the rows chosen, set").select_option("status")
    page.get_by_label("to", exact=True).fill("cancelled")
    page.get_by_role("button", name="Preview the change").click()
    expect(page.locator("#count-updated")).to_have_text("2")
    page.get_by_role("button", name="Confirm: save 2 changes").click()
    expect(page.get_by_text("Imported: 0 created, 2 updated")).to_be_visible()
    cancelled = Meeting.objects.filter(status=MeetingStatus.CANCELLED)
    assert set(cancelled.values_list("city", flat=True)) == {"Paris", "Berlin"}
