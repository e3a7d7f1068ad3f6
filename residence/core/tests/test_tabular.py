"""Hostile tables: a file of empty rows, an oversized file, formulas behind a minus sign, text in another encoding
read as GBK. Each is refused or flagged before anything is written."""

from __future__ import annotations

import io

import pytest
from django.utils.translation import gettext as _
from openpyxl import Workbook

from residence.core.errors import ValidationError
from residence.core.tabular import (
    MAX_BYTES,
    MAX_ROWS,
    gb2312_han,
    looks_like_formula,
    read_table,
    unlikely_chinese,
)

ALIASES = {"name": "name", "door": "door"}


def too_many(row: int) -> str:
    return _("More than %(n)d rows (empty rows count too): reading stopped at row %(row)d. Split the file.") % {
        "n": MAX_ROWS, "row": row}


@pytest.mark.parametrize("data", [
    b"\n" * (5 * MAX_ROWS),  # nothing but newlines: 1 MB, a million rows
    b"name,door\n" + b"\r\n" * (5 * MAX_ROWS),  # a header, then empty rows
    b"name,door\n" + b",\n" * (5 * MAX_ROWS),  # rows of empty cells
])
def test_a_csv_of_empty_rows_is_refused_at_the_row_limit(data: bytes) -> None:
    with pytest.raises(ValidationError) as err:
        read_table(filename="empty.csv", data=data, aliases=ALIASES)
    assert (err.value.code, err.value.field) == ("too_many_rows", "file")
    # the header is row 1: reading stopped at the first row over the limit, having read MAX_ROWS + 1 data rows
    assert err.value.message == too_many(MAX_ROWS + 2)


def test_an_xlsx_of_empty_rows_is_refused_at_the_row_limit() -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["name", "door"])
    ws.cell(row=5 * MAX_ROWS, column=1, value="x")  # a 5 kB workbook whose sheet spans a million rows
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationError) as err:
        read_table(filename="empty.xlsx", data=buf.getvalue(), aliases=ALIASES)
    assert err.value.code == "too_many_rows"
    assert err.value.message == too_many(MAX_ROWS + 2)


def test_empty_rows_up_to_the_limit_are_skipped_not_refused() -> None:
    table = read_table(filename="a.csv", data=b"name,door\n" + b"\n" * (MAX_ROWS - 1) + b"x,1\n", aliases=ALIASES)
    assert table.rows == [(MAX_ROWS + 1, {"name": "x", "door": "1"})]
    assert len(table.skipped_empty) == MAX_ROWS - 1


@pytest.mark.parametrize(("size", "mb", "exact"), [
    (MAX_BYTES + 1, 20.1, "20,971,521"),  # one byte over: never "20.0 MB; the limit is 20 MB"
    (25 * 1024 * 1024, 25.0, "26,214,400"),
])
def test_the_size_message_states_the_real_size(size: int, mb: float, exact: str) -> None:
    with pytest.raises(ValidationError) as err:
        read_table(filename="big.csv", data=b"x" * size, aliases=ALIASES)
    assert err.value.code == "too_large"
    assert err.value.message == _("The file is %(size).1f MB (%(bytes)s bytes); the limit is %(limit)d MB.") % {
        "size": mb, "bytes": exact, "limit": 20}


@pytest.mark.parametrize("cell", [
    "-1+cmd|' /C calc'!A0",  # the OWASP example behind a minus sign
    "-=1+1", "-SUM(A1)", "-@x", "-2+3", "--1", "-", "-1e3",
    "=1+1", "+1", "@SUM(A1)", "\t=1", "\r=1",
    "－1+1", "＝1+1", "＋1", "＠x",  # full-width: NFKC makes them the ASCII signs
])
def test_formula_cells_are_refused(cell: str) -> None:
    assert looks_like_formula(cell) is True


@pytest.mark.parametrize("cell", ["-12", "-3.5", "－１２", "12", "0", "海景路", "A-1", "1-2号", "—", "", "x=1"])
def test_plain_values_and_negative_numbers_are_not_formulas(cell: str) -> None:
    assert looks_like_formula(cell) is False


def test_gb2312_has_6763_han_characters_all_in_the_unified_block() -> None:
    han = gb2312_han()
    assert len(han) == 6763
    assert {"王", "张", "海", "景", "路"} <= han
    assert not {"張", "偉", "沢", "榊"} & han  # traditional and Japanese forms are outside it
    assert all(0x4E00 <= ord(ch) <= 0x9FFF for ch in han)


def test_text_mostly_outside_gb2312_is_flagged_and_chinese_is_not() -> None:
    assert unlikely_chinese("王小明，李华，张伟，海景路8号") == ""
    assert unlikely_chinese("no Chinese at all") == ""
    # exactly a fifth outside (1 of 5) is not flagged; more than a fifth is
    assert unlikely_chinese("王小明李張") == ""
    assert unlikely_chinese("王小明張偉") == _(
        "%(rare)d of the %(han)d Chinese characters (for example %(sample)s) are outside the 6,763 of GB 2312: the "
        "file is probably not GBK text but another encoding (such as Shift-JIS or Big5), and its names would be "
        "stored garbled. Save the file as UTF-8 and upload it again.") % {"rare": 2, "han": 5, "sample": "張偉"}


def test_rows_checked_by_labels_get_the_same_first_checks_as_declared_columns() -> None:
    from residence.core.tabular import plain_and_present

    labels = {"road": "道路", "door": "门牌号", "name": "楼栋名称"}
    errors = plain_and_present(3, {"road": "=cmd|' /C calc'!A0", "door": ""}, labels=labels, required=["road", "door"])
    assert [e.text for e in errors] == ["第 3 行「道路」：疑似公式，请填写纯文本。", "第 3 行「门牌号」：必填。"]
    assert plain_and_present(4, {"road": "海景路", "door": "1号"}, labels=labels, required=["road", "door"]) == []


def _xlsx(build, *, write_only: bool = False) -> bytes:
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet() if write_only else wb.active
    build(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("write_only", [False, True])  # shared strings, and inline strings
def test_xlsx_is_read_as_a_stream_with_dates_numbers_gaps_and_the_first_sheet_in_the_books_order(
        write_only: bool) -> None:
    import datetime as dt

    def build(ws) -> None:
        ws.append(["name", "door", "x"])
        ws.append(["  张三 ", 12, dt.date(2025, 6, 1)])
        ws.append([])
        ws.append(["李四", 1.5, True])
        ws.append([None, 13800001111, None])

    table = read_table(filename="a.xlsx", data=_xlsx(build, write_only=write_only), aliases={**ALIASES, "x": "x"})
    assert table.rows == [(2, {"name": "张三", "door": "12", "x": "2025-06-01 00:00:00"}),
                          (4, {"name": "李四", "door": "1.5", "x": "True"}),
                          (5, {"name": "", "door": "13800001111"})]
    assert (table.skipped_empty, table.encoding) == ([3], "XLSX")

    def two_sheets(ws) -> None:
        ws.append(["name"])
        ws.append(["second"])
        first = ws.parent.create_sheet("first", 0)
        first.append(["name"])
        first.append(["first"])

    assert read_table(filename="b.xlsx", data=_xlsx(two_sheets), aliases=ALIASES).rows == [(2, {"name": "first"})]


def test_an_xlsx_part_with_an_entity_declaration_is_refused() -> None:
    import zipfile

    data = _xlsx(lambda ws: ws.append(["name"]))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                doctype = b'<!DOCTYPE w [<!ENTITY a "aaaa">]>'
                body = body.replace(b"?>", b"?>" + doctype, 1) if body.startswith(b"<?xml") else doctype + body
            dst.writestr(item, body)
    with pytest.raises(ValidationError, match=_("The file is not a readable .xlsx workbook.")):
        read_table(filename="c.xlsx", data=out.getvalue(), aliases=ALIASES)


@pytest.mark.parametrize("declaration", [b'<!DOCTYPE w [<!ENTITY a "aaaa">]>', b"<!doctype w>"])
def test_a_sheet_part_with_a_document_type_or_entity_declaration_is_refused(declaration: bytes) -> None:
    import zipfile

    data = _xlsx(lambda ws: (ws.append(["name"]), ws.append(["甲"])))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                body = body.replace(b"?>", b"?>" + declaration, 1) if body.startswith(b"<?xml") else declaration + body
            dst.writestr(item, body)
    with pytest.raises(ValidationError, match=_("The file is not a readable .xlsx workbook.")):
        read_table(filename="d.xlsx", data=out.getvalue(), aliases=ALIASES)


def test_no_letter_or_digit_normalises_to_a_formula_sign_so_such_cells_skip_normalisation() -> None:
    """`looks_like_formula` answers "no" at once for a cell beginning with a letter or digit: true only while NFKC
    maps no such character to nothing or to a text beginning with = + @ - tab or CR (checked for this Python's
    Unicode version, every code point)."""
    import sys
    import unicodedata

    from residence.core.tabular import looks_like_formula

    signs = ("=", "+", "@", "-", "\t", "\r")
    unsafe = [hex(cp) for cp in range(sys.maxunicode + 1) if chr(cp).isalnum()
              and (not (n := unicodedata.normalize("NFKC", chr(cp))) or n.startswith(signs))]
    assert unsafe == []
    assert [looks_like_formula(v) for v in ["张三", "A1", "１＋1", "＝1+1", "=SUM(A1)", "-1", "-1+1", "@x", ""]] == [
        False, False, False, True, True, False, True, True, False]
