"""Exports: `?format=csv` and `?format=xlsx` give every row a list's filters match, with the
values of its JSON; the portal's own lists export through the same two writers.

A spreadsheet runs a cell that looks like a formula (OWASP's "CSV injection"). `cell()` is the one
place that decides what a cell holds: numbers, booleans and dates stay themselves (a negative
number is no formula), and text that starts like a formula gets a leading `'`, in CSV and XLSX
alike. XLSX cells are typed (a date is a date, a number a number); CSV cells are their JSON text.

CSV is UTF-8 with a byte-order mark: Excel opens a CSV without one in the computer's ANSI code page,
which garbles accents and Dari. pandas, LibreOffice and Python's "utf-8-sig" codec skip the mark.

Errors are JSON whatever format was asked (a bad filter, 401, 403, 404), so a client parses one
error shape. The exception handler answers refusals in JSON; a spreadsheet renderer handed an error
all the same (a view's own 4xx answer, such as the token view's) renders it as JSON too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import quoteattr

from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import content_disposition_header
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_CHUNK = 500  # rows read from the database at a time
CSV_ROWS_PER_WRITE = 200  # rows sent to the client at a time: one write per row is slow
BYTE_ORDER_MARK = "\ufeff"

# OWASP, "CSV Injection": what a spreadsheet may take for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Parse = Callable[[str], Any]


def neutralise(text: str) -> str:
    """Text a spreadsheet would read as a formula, made plain text by a leading apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def cell(value: Any, parse: Parse | None = None) -> Any:
    """What a cell holds for a value of a JSON list (or of a page's column).

    None, booleans, numbers, dates and timestamps stay as they are. A string is text, unless
    `parse` (the column's: see `columns_of`) reads it back as the date, timestamp or decimal its
    JSON stands for. A list of plain values is their text joined by spaces (`leads`: "AFG TUR");
    anything nested is its JSON. Text, and only text, is neutralised.
    """
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date):
        return value
    if isinstance(value, str):
        if parse is not None:
            try:
                return parse(value)
            except (ValueError, ArithmeticError):
                pass
        return neutralise(value)
    if isinstance(value, list | tuple) and not any(isinstance(v, dict | list) for v in value):
        return neutralise(" ".join(v if isinstance(v, str) else csv_text(v) for v in value))
    if isinstance(value, dict | list | tuple):
        return neutralise(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))
    return neutralise(str(value))  # a translated label, a model instance


def csv_text(value: Any) -> str:
    """A cell as CSV text: its JSON text (true, 2015-12-09, 2026-01-05T10:00:00Z)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        text = value.isoformat()
        return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _parser(field: serializers.Field) -> Parse | None:
    """How to read a field's JSON text back as its value, for the fields that render as text."""
    if isinstance(field, serializers.DateTimeField):
        return dt.datetime.fromisoformat
    if isinstance(field, serializers.DateField):
        return dt.date.fromisoformat
    if isinstance(field, serializers.DecimalField):
        return Decimal
    return None


# --- Tables ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportColumn:
    name: str
    parse: Parse | None = None


@dataclass(frozen=True)
class Table:
    """One sheet: its columns, and rows as mappings of column name to value."""

    name: str
    columns: Sequence[ExportColumn]
    rows: Iterable[Mapping[str, Any]]


def columns_of(serializer: serializers.BaseSerializer, names: Iterable[str] | None = None):
    """The export columns of a serializer's output: every readable field, or those named."""
    fields = serializer.fields
    if names is None:
        names = [name for name, field in fields.items() if not field.write_only]
    return [ExportColumn(name, _parser(fields[name]) if name in fields else None) for name in names]


def table_of(name: str, data: Any, columns: Sequence[ExportColumn] = ()) -> Table:
    """A table of what a view returned as such (one record, or a list of them), for a response
    that is not an export of its own: the header is the keys of the first row."""
    rows = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    rows = [row if isinstance(row, dict) else {"value": row} for row in rows]
    parsers = {column.name: column.parse for column in columns}
    names = list(rows[0]) if rows else [column.name for column in columns]
    return Table(name, [ExportColumn(key, parsers.get(key)) for key in names], rows)


# --- CSV ------------------------------------------------------------------------------------


def csv_chunks(table: Table) -> Iterator[bytes]:
    """The table as UTF-8 CSV with a byte-order mark, a header row even when no row follows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = [(column.name, column.parse) for column in table.columns]

    def flush() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode()

    buffer.write(BYTE_ORDER_MARK)
    writer.writerow([name for name, _ in columns])
    for count, row in enumerate(table.rows, 1):
        writer.writerow([csv_text(cell(row.get(name), parse)) for name, parse in columns])
        if count % CSV_ROWS_PER_WRITE == 0:
            yield flush()
    yield flush()


def csv_response(table: Table, *, filename: str) -> StreamingHttpResponse:
    """Streamed as it is written: rows are read and sent a chunk at a time."""
    response = StreamingHttpResponse(
        csv_chunks(table), content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.csv")
    return response


# --- XLSX -----------------------------------------------------------------------------------
#
# A workbook written as SpreadsheetML (ECMA-376) directly: openpyxl, which builds an object and an
# XML element per cell, takes nine times the CSV export's time for 10,000 meetings (issue #13 asks
# for at most twice); the tests read every workbook back with openpyxl. Text is written inline
# (`inlineStr`), so no string table is kept in memory; no cell is ever written as a formula.

XLSX_TEXT_MAX = 32_767  # characters in a cell: Excel's limit
SHEET_TITLE_MAX = 31
SHEET_TITLE_ILLEGAL = re.compile(r"[\[\]:*?/\\]")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
EXCEL_FIRST_DAY = dt.date(1900, 3, 1)  # serial numbers before it are off by Excel's 29 Feb 1900
STYLE_DATE, STYLE_TIMESTAMP, STYLE_HEADER = 1, 2, 3  # indexes into STYLES' cellXfs
XLSX_ROWS_PER_WRITE = 200

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
STYLES = (
    f'{XML_HEAD}<styleSheet xmlns="{MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
# Text as XML character data: markup escaped, a carriage return kept (a parser reads a literal one
# as a line feed), and the control characters XML 1.0 cannot hold replaced.
XML_TEXT = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
    | dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF], "\ufffd")
)


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _xlsx_cell(ref: str, value: Any) -> str:
    """One `<c>` element for a cell as `cell()` gives it; None is no element at all."""
    if isinstance(value, str):
        if not value:
            return ""
        text = value[:XLSX_TEXT_MAX].translate(XML_TEXT)
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        if (isinstance(value, float) and not math.isfinite(value)) or (
            isinstance(value, Decimal) and not value.is_finite()
        ):
            return _xlsx_cell(ref, str(value))  # a sheet's numbers are finite
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            # Excel has no time zones: timestamps are given in UTC, as the API gives them.
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        if value.date() >= EXCEL_FIRST_DAY:
            serial = (value - EXCEL_EPOCH) / dt.timedelta(days=1)
            return f'<c r="{ref}" s="{STYLE_TIMESTAMP}"><v>{serial!r}</v></c>'
        return _xlsx_cell(ref, csv_text(value))
    if isinstance(value, dt.date):
        if value >= EXCEL_FIRST_DAY:
            serial = (value - EXCEL_EPOCH.date()).days
            return f'<c r="{ref}" s="{STYLE_DATE}"><v>{serial}</v></c>'
        return _xlsx_cell(ref, value.isoformat())
    return _xlsx_cell(ref, str(value))


def _sheet_title(name: str, taken: set[str]) -> str:
    """A name Excel takes for a sheet: at most 31 characters, none of []:*?/\\, no apostrophe at
    either end, unique in the workbook whatever the case."""
    title = SHEET_TITLE_ILLEGAL.sub("-", name)[:SHEET_TITLE_MAX].strip("'") or "export"
    base, number = title, 2
    while title.lower() in taken:
        suffix = f" {number}"
        title, number = base[: SHEET_TITLE_MAX - len(suffix)] + suffix, number + 1
    taken.add(title.lower())
    return title


def _sheet_write(stream: IO[bytes], table: Table) -> None:
    refs = [_column_letters(index) for index in range(len(table.columns))]
    columns = [(column.name, column.parse) for column in table.columns]
    stream.write(
        f'{XML_HEAD}<worksheet xmlns="{MAIN}"><sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        "</sheetView></sheetViews><sheetData>".encode()
    )
    header = "".join(
        f'<c r="{ref}1" t="inlineStr" s="{STYLE_HEADER}"><is><t>{name.translate(XML_TEXT)}</t>'
        "</is></c>"
        for ref, (name, _parse) in zip(refs, columns, strict=True)
    )
    lines = [f'<row r="1">{header}</row>']
    for number, row in enumerate(table.rows, 2):
        cells = "".join(
            _xlsx_cell(f"{ref}{number}", cell(row.get(name), parse))
            for ref, (name, parse) in zip(refs, columns, strict=True)
        )
        lines.append(f'<row r="{number}">{cells}</row>')
        if len(lines) >= XLSX_ROWS_PER_WRITE:
            stream.write("".join(lines).encode())
            lines.clear()
    lines.append("</sheetData></worksheet>")
    stream.write("".join(lines).encode())


def _package_parts(titles: list[str]) -> dict[str, str]:
    sheets = range(1, len(titles) + 1)
    worksheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{worksheet}"/>'
        for n in sheets
    )
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return {
        "[Content_Types].xml": (
            f"{XML_HEAD}<Types "
            'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>'
            f"{overrides}</Types>"
        ),
        "_rels/.rels": (
            f'{XML_HEAD}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'{XML_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            "<bookViews><workbookView/></bookViews><sheets>"
            + "".join(
                f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>'
                for n, title in zip(sheets, titles, strict=True)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{XML_HEAD}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
            + "".join(
                f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" '
                f'Target="worksheets/sheet{n}.xml"/>'
                for n in sheets
            )
            + f'<Relationship Id="rId{len(titles) + 1}" Type="{RELATIONSHIPS}/styles" '
            'Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": STYLES,
    }


def xlsx_file(tables: Sequence[Table]) -> IO[bytes]:
    """The workbook, a sheet per table, in a temporary file rewound to its start.

    Rows are compressed into the file as they come, so a long export never sits in memory; the
    file goes when it is closed (FileResponse closes it once sent).
    """
    taken: set[str] = set()
    titles = [_sheet_title(table.name, taken) for table in tables]
    target = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, for the response
    try:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, text in _package_parts(titles).items():
                archive.writestr(name, text)
            for number, table in enumerate(tables, 1):
                with archive.open(f"xl/worksheets/sheet{number}.xml", "w") as sheet:
                    _sheet_write(sheet, table)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target


def xlsx_response(tables: Sequence[Table], *, filename: str) -> FileResponse:
    return FileResponse(
        xlsx_file(tables),
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type=XLSX_MEDIA_TYPE,
    )


EXPORT_FORMATS = ("csv", "xlsx")


def export_response(
    export_format: str, tables: Sequence[Table], *, filename: str
) -> HttpResponseBase:
    """A CSV file holds one table (the first: of the compliance answer, its obligations); a
    workbook a sheet per table."""
    if export_format == "xlsx":
        return xlsx_response(tables, filename=filename)
    return csv_response(tables[0], filename=filename)


# --- DRF renderers --------------------------------------------------------------------------


class SpreadsheetRenderer(BaseRenderer):
    """What every export format does: lists export through `export()` (ExportMixin); anything
    else a view returns (one record, an action's answer) is rendered as a small table; errors
    are JSON."""

    def export(self, tables: Sequence[Table], *, filename: str) -> HttpResponseBase:
        return export_response(self.format, tables, filename=filename)

    def render_table(self, table: Table) -> bytes:
        raise NotImplementedError

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        if response is not None and response.status_code >= 400:
            response["Content-Type"] = JSONRenderer.media_type
            return JSONRenderer().render(data, JSONRenderer.media_type, renderer_context)
        if data is None:
            return b""
        view = renderer_context.get("view")
        name = getattr(view, "basename", None) or "export"
        table = table_of(name, data, _view_columns(view))
        if response is not None and not response.has_header("Content-Disposition"):
            response["Content-Disposition"] = content_disposition_header(
                True, f"{name}.{self.format}"
            )
        return self.render_table(table)


def _view_columns(view) -> list[ExportColumn]:
    """The columns of the view's serializer, for the dates of a record it renders."""
    get_serializer = getattr(view, "get_serializer", None)
    if get_serializer is None:
        return []
    try:
        return columns_of(get_serializer())
    except AssertionError:  # DRF's: no serializer_class. Its dates stay text.
        return []


class CSVRenderer(SpreadsheetRenderer):
    media_type = CSV_MEDIA_TYPE
    format = "csv"
    charset = "utf-8"

    def render_table(self, table):
        return b"".join(csv_chunks(table))


class XLSXRenderer(SpreadsheetRenderer):
    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render_table(self, table):
        with xlsx_file([table]) as workbook:
            return workbook.read()
