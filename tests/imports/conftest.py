import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cbms.imports.kinds import IMPORTABLE
from cbms.imports.services import import_preview
from conferences.models import Meeting, MeetingKind
from hoa_portal.api.renderers import csv_chunks, xlsx_file
from hoa_portal.spreadsheets import resource_table
from members.models import Country, User
from tests.cbms.conftest import (  # noqa: F401  (fixtures, shared)
    broker_backoff_reset,
    compliance_scenario,
)
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import MeetingFactory, RtgFactory
from tests.members.factories import CountryFactory, FocalPointFactory, SecretariatFactory


@dataclass
class Records:
    afghanistan: Country
    turkey: Country
    ct: object
    drr: object
    staff: User
    afghan_focal_point: User
    meetings: list[Meeting]


@pytest.fixture
def records(db) -> Records:
    afghanistan = CountryFactory(code="AFG", name="Afghanistan")
    turkey = CountryFactory(code="TUR", name="Turkey")
    ct = CBMFactory(code="CT", name="Counter Terrorism")
    drr = CBMFactory(code="DRR", name="Disaster Risk Reduction")
    LeadRoleFactory(cbm=ct, country=afghanistan, since=dt.date(2012, 6, 14))
    LeadRoleFactory(cbm=drr, country=turkey, since=dt.date(2012, 6, 14))
    meetings = [
        RtgFactory(cbm=ct, date=dt.date(2015, 3, 1), city="Kabul", host=afghanistan),
        RtgFactory(cbm=ct, date=dt.date(2016, 5, 2), city="Herat", host=afghanistan),
        RtgFactory(cbm=drr, date=dt.date(2016, 6, 3), city="Ankara", host=turkey),
        MeetingFactory(kind=MeetingKind.SOM, date=dt.date(2016, 9, 1), city="Baku"),
    ]
    return Records(
        afghanistan=afghanistan,
        turkey=turkey,
        ct=ct,
        drr=drr,
        staff=SecretariatFactory(username="staff"),
        afghan_focal_point=FocalPointFactory(username="fp-afg", country=afghanistan),
        meetings=meetings,
    )


def exported(kind: str, actor: User, file_format: str = "xlsx", queryset=None) -> bytes:
    """The records as the import page exports them, as a file's bytes."""
    resource = IMPORTABLE[kind].resource(actor=actor)
    table = resource_table(
        resource, resource.get_queryset() if queryset is None else queryset, name=kind
    )
    if file_format == "csv":
        return b"".join(csv_chunks(table))
    return xlsx_file([table]).read()


def upload(data: bytes, name: str = "meetings.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def preview(kind: str, data: bytes, actor: User, name: str = "meetings.xlsx"):
    return import_preview(kind=kind, uploaded_file=upload(data, name), actor=actor)


MEETING_COLUMNS = ["id", "kind", "cbm", "date", "status", "city", "host", "notes", "revision"]


def workbook(rows: Sequence[dict], columns: Sequence[str] | None = None) -> bytes:
    """A sheet as someone types it: the header (the meetings' columns, unless given), then the
    rows, cells left out left empty."""
    columns = list(columns or MEETING_COLUMNS)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(column) for column in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def edited(data: bytes, edits: dict[tuple[int, str], object], added: Sequence[dict] = ()) -> bytes:
    """An exported workbook with cells changed, (record id, column) → value, and rows added."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    lines = {sheet.cell(row=line, column=1).value: line for line in range(2, sheet.max_row + 1)}
    for (pk, column), value in edits.items():
        # Assigned, not passed to cell(): cell(value=None) leaves the cell as it was.
        sheet.cell(row=lines[pk], column=header.index(column) + 1).value = value
    for row in added:
        sheet.append([row.get(column) for column in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
