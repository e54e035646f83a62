"""The writers behind every export, at their edges: which values stay numbers (a negative number is
no formula, text that looks like one is neutralised), and what a workbook cannot hold as it is
(control characters, text past Excel's 32,767 characters, non-finite numbers, days before 1900).
Workbooks are read back with openpyxl and pandas, CSV with csv and pandas."""

import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import openpyxl
import pandas
import pytest
from django.utils.translation import gettext_lazy

from hoa_portal.api.renderers import (
    ExportColumn,
    Table,
    cell,
    csv_chunks,
    neutralise,
    xlsx_file,
)

KABUL = zoneinfo.ZoneInfo("Asia/Kabul")


def _table(rows, *names, parse=None, name="sheet"):
    return Table(name, [ExportColumn(n, (parse or {}).get(n)) for n in names], rows)


def _xlsx(*tables):
    with xlsx_file(tables) as file:
        body = file.read()
    pandas.read_excel(io.BytesIO(body), sheet_name=None)  # pandas opens it too
    return openpyxl.load_workbook(io.BytesIO(body))


def _csv(table) -> bytes:
    return b"".join(csv_chunks(table))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        (" =1", " =1"),  # not a start a spreadsheet reads as a formula
        ("1-2", "1-2"),
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_text_starting_like_a_formula_gets_an_apostrophe(value, expected):
    assert neutralise(value) == expected == cell(value)


@pytest.mark.parametrize(
    "value",
    [-5, 0, 40, -1.5, Decimal("-1.50"), True, False, None, dt.date(2015, 12, 9)],
)
def test_numbers_booleans_and_dates_stay_themselves(value):
    assert cell(value) is value


def test_text_is_parsed_back_only_where_its_column_says_so():
    assert cell("2015-12-09", dt.date.fromisoformat) == dt.date(2015, 12, 9)
    assert cell("2015-12-09") == "2015-12-09"
    assert cell("-1.50", Decimal) == Decimal("-1.50")
    assert cell("-1.50") == "'-1.50"  # a text field, as the brief wants: neutralised
    assert cell("soon", dt.date.fromisoformat) == "soon"  # unreadable: text, neutralised or not
    assert cell("-soon", Decimal) == "'-soon"


def test_lists_join_and_nested_values_are_json_text():
    assert cell(["AFG", "TUR"]) == "AFG TUR"
    assert cell(["-x", "y"]) == "'-x y"
    assert cell([{"id": 1, "name": "Hérat"}]) == '[{"id": 1, "name": "Hérat"}]'
    assert cell({"=": 1}) == '{"=": 1}'
    assert cell(gettext_lazy("Participating")) == "Participating"


def test_csv_keeps_negative_numbers_and_neutralises_text():
    table = _table([{"n": -5, "t": "-5", "d": Decimal("-1.50"), "b": True}], "n", "t", "d", "b")

    body = _csv(table)

    assert body == "\ufeffn,t,d,b\r\n-5,'-5,-1.50,true\r\n".encode()
    frame = pandas.read_csv(io.BytesIO(body))
    assert frame["n"].tolist() == [-5] and frame["t"].tolist() == ["'-5"]


def test_xlsx_keeps_negative_numbers_as_numbers_and_text_as_text():
    table = _table([{"n": -5, "t": "-5", "d": Decimal("-1.50"), "b": False}], "n", "t", "d", "b")

    sheet = _xlsx(table)["sheet"]

    n, t, d, b = sheet[2]
    assert (n.value, n.data_type) == (-5, "n")
    assert (t.value, t.data_type) == ("'-5", "s")
    assert (d.value, d.data_type) == (-1.5, "n")
    assert (b.value, b.data_type) == (False, "b")
    assert [c.font.b for c in sheet[1]] == [True] * 4  # a bold header row
    assert sheet.freeze_panes == "A2"


def test_xlsx_dates_and_timestamps():
    kabul_noon = dt.datetime(2026, 1, 5, 12, 0, tzinfo=KABUL)
    rows = [
        {"day": dt.date(2015, 12, 9), "at": kabul_noon},
        {"day": dt.date(1900, 3, 1), "at": dt.datetime(2026, 1, 5, 7, 30, 15, 250000)},
        {"day": dt.date(1899, 12, 31), "at": None},  # before Excel counts days right
    ]

    sheet = _xlsx(_table(rows, "day", "at"))["sheet"]

    (day, at), (first, naive), (early, empty) = sheet.iter_rows(min_row=2)
    assert day.is_date and day.value == dt.datetime(2015, 12, 9)
    assert day.number_format == "yyyy-mm-dd"
    assert at.value == dt.datetime(2026, 1, 5, 7, 30)  # 12:00 in Kabul, in UTC
    assert first.value == dt.datetime(1900, 3, 1)
    assert abs(naive.value - dt.datetime(2026, 1, 5, 7, 30, 15, 250000)) < dt.timedelta(
        milliseconds=1
    )
    assert (early.value, early.data_type) == ("1899-12-31", "s")
    assert empty.value is None


def test_what_a_workbook_cannot_hold_is_replaced_not_refused():
    long = "x" * 40_000
    rows = [
        {"t": "Ka\x01bul\x0bi\x1f\ufffe"},
        {"t": "line\r\nnext <b>&amp;</b>"},
        {"t": long},
        {"t": float("inf")},
        {"t": Decimal("NaN")},
    ]

    sheet = _xlsx(_table(rows, "t"))["sheet"]
    text = _csv(_table(rows, "t")).decode("utf-8-sig")

    values = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert values[0] == "Ka\ufffdbul\ufffdi\ufffd\ufffd"
    assert values[1] == "line\r\nnext <b>&amp;</b>"
    assert values[2] == long[:32_767]  # Excel's limit for a cell
    assert values[3:] == ["inf", "NaN"]
    assert "Ka\x01bul" in text and long in text  # CSV holds them as they are


def test_sheets_get_names_excel_takes_and_an_empty_table_is_its_header():
    workbook = _xlsx(
        _table([], "a", name="x" * 40),
        _table([], "b", name="x" * 40),
        _table([], "c", name="a/b:c?"),
        _table([], "d", name="'quoted'"),
    )

    assert workbook.sheetnames == ["x" * 31, "x" * 29 + " 2", "a-b-c-", "quoted"]
    assert [[c.value for c in row] for row in workbook.worksheets[0].iter_rows()] == [["a"]]
    assert _csv(_table([], "a", "b")) == "\ufeffa,b\r\n".encode()
