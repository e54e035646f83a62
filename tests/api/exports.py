"""Reading an export back as analysts' tools do: Python's csv module and pandas (without options)
for CSV, openpyxl for XLSX; and what each should hold for a value of the JSON list."""

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

import openpyxl
import pandas

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff".encode()
FORMATS = ("csv", "xlsx")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})")


def body_of(response) -> bytes:
    """The body; a streamed one can be read once only, so it is kept for the next look."""
    if not hasattr(response, "export_body"):
        streamed = response.streaming
        response.export_body = (
            b"".join(response.streaming_content) if streamed else response.content
        )
    return response.export_body


@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: list[dict[str, Any]]
    cells: list[list[Any]]  # openpyxl's cells of the rows, for their types


def read_csv(response) -> Sheet:
    """The export as csv.reader reads it; pandas must read the same without being told how."""
    assert response.status_code == 200, body_of(response)[:500]
    assert response["Content-Type"] == CSV_TYPE
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith('.csv"')
    body = body_of(response)
    assert body.startswith(BOM)
    header, *lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    frame = pandas.read_csv(io.BytesIO(body))
    assert list(frame.columns) == header
    assert len(frame) == len(lines)
    return Sheet("", header, [dict(zip(header, line, strict=True)) for line in lines], lines)


def read_workbook(response) -> dict[str, Sheet]:
    assert response.status_code == 200, body_of(response)[:500]
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith('.xlsx"')
    workbook = openpyxl.load_workbook(io.BytesIO(body_of(response)))
    frames = pandas.read_excel(io.BytesIO(body_of(response)), sheet_name=None)
    assert list(frames) == workbook.sheetnames
    sheets = {}
    for sheet in workbook.worksheets:
        header, *rows = list(sheet.iter_rows())
        names = [title.value for title in header]
        assert list(frames[sheet.title].columns) == names
        assert len(frames[sheet.title]) == len(rows)
        sheets[sheet.title] = Sheet(
            sheet.title,
            names,
            [{name: cell_value(c) for name, c in zip(names, row, strict=True)} for row in rows],
            [list(row) for row in rows],
        )
    return sheets


def read_xlsx(response) -> Sheet:
    (sheet,) = read_workbook(response).values()
    return sheet


def formulas_in(response) -> list[str]:
    """Every formula the workbook's sheets hold (`<f>` elements), as Excel would find them."""
    with zipfile.ZipFile(io.BytesIO(body_of(response))) as archive:
        return [
            formula
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
            for formula in re.findall(r"<f[ >].*?</f>", archive.read(name).decode())
        ]


def cell_value(c) -> Any:
    """A cell's value; a date without a time (the format openpyxl gives dates) as a date."""
    if c.is_date and c.number_format == "yyyy-mm-dd" and isinstance(c.value, dt.datetime):
        return c.value.date()
    return c.value


def csv_text(value) -> str:
    """What a CSV cell holds for a JSON value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(csv_text(item) for item in value)
    return str(value)


def xlsx_value(value) -> Any:
    """What an XLSX cell holds for a JSON value: dates as dates, timestamps in UTC."""
    if isinstance(value, list):
        value = " ".join(csv_text(item) for item in value)
    if value == "":
        return None  # an empty cell
    if isinstance(value, str) and DATE.fullmatch(value):
        return dt.date.fromisoformat(value)
    if isinstance(value, str) and TIMESTAMP.fullmatch(value):
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC).replace(tzinfo=None)
    return value


def same_cells(actual: dict, expected: dict) -> bool:
    """Equal, timestamps to the millisecond (Excel keeps no finer)."""
    if actual.keys() != expected.keys():
        return False
    for key, value in expected.items():
        got = actual[key]
        if isinstance(value, dt.datetime) and isinstance(got, dt.datetime):
            if abs(got - value) > dt.timedelta(milliseconds=1):
                return False
        elif got != value or type(got) is not type(value):
            return False
    return True
