"""Reading uploaded tables (CSV or XLSX) safely: size limit, row limit (empty rows count), encoding detection
(UTF-8, UTF-8 with BOM, GBK/GB18030, with a warning when GBK text is unlikely Chinese), formula cells refused, empty
rows skipped, every problem named by row and column.

`stream_table` hands the rows out as they are read, so that a long upload is checked without holding it whole: an
XLSX sheet is parsed with expat as its compressed part is read (shared strings, date styles and the first sheet in
the workbook's order are read first; a part declaring a DTD or an entity is refused); a workbook with a formula
goes through openpyxl, which names the cells it refuses. `read_table` is the same, as a list.

Rows are numbered as a spreadsheet user sees them: the header is row 1, the first data row is row 2.

A cell is refused as a formula (CSV injection, OWASP) when, after NFKC (so full-width ＝ ＋ － ＠ count), it begins
with `=`, `+`, `@`, a tab or a carriage return, or with `-` unless the whole cell is a plain number (`-12`, `-3.5`):
`-1+cmd|' /C calc'!A0`, `-=1+1`, `-SUM(A1)`, `-@x` and a lone `-` are refused. Cells are stripped of surrounding
white space before the check, and stored stripped.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar
from xml.parsers import expat

from django.utils.translation import gettext as _

from residence.core.errors import ValidationError

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000  # data rows, empty ones included
_FORMULA_START = ("=", "+", "@", "\t", "\r", "-")
_PLAIN_NUMBER = re.compile(r"-\d+(\.\d+)?")
SUSPECT_HAN_SHARE = 0.2  # more than this share of Han characters outside GB 2312: probably not GBK text


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number, {header: value})
    encoding: str = ""
    skipped_empty: list[int] = field(default_factory=list)
    encoding_warning: str = ""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    @property
    def text(self) -> str:
        """The error as one sentence naming row and column: 第 3 行「文化程度」：…"""
        return _("Row %(row)d, %(column)s: %(message)s") % {"row": self.row, "column": self.column,
                                                            "message": self.message}


R = TypeVar("R")
SAMPLE_ROWS = 50  # the rows a preview shows, with their errors


@dataclass
class Preview(Generic[R]):
    """The check of an upload before anything is written: the valid rows and every problem, by row and column."""

    valid: list[R] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped_empty: list[int] = field(default_factory=list)
    encoding: str = ""
    total: int = 0
    encoding_warning: str = ""
    sample: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # the first rows as read, to show

    @classmethod
    def of(cls, table: Table) -> Preview[R]:
        """An empty preview of `table`: what was read, before any row is checked."""
        return cls(skipped_empty=table.skipped_empty, encoding=table.encoding, total=len(table.rows),
                   encoding_warning=table.encoding_warning, sample=table.rows[:SAMPLE_ROWS])

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


def read_table(*, filename: str, data: bytes, aliases: dict[str, str], max_bytes: int = MAX_BYTES) -> Table:
    """Parse an upload into rows keyed by canonical column names (`aliases` maps header text → name)."""
    table, rows = stream_table(filename=filename, data=data, aliases=aliases, max_bytes=max_bytes)
    table.rows = list(rows)
    return table


def stream_table(*, filename: str, data: bytes, aliases: dict[str, str], max_bytes: int = MAX_BYTES
                 ) -> tuple[Table, Iterator[tuple[int, dict[str, str]]]]:
    """`read_table` that hands the rows out one at a time as they are read (a large upload is checked without
    holding every row): the table (headers, encoding; `skipped_empty` fills in as the rows are read) and the rows.
    File-level problems of the header are raised at once, those found further down (too many rows) as the rows
    are read."""
    check_size(len(data), max_bytes=max_bytes)
    lower = filename.lower()
    if lower.endswith(".csv"):
        table, raw = _stream_csv(data)
    elif lower.endswith(".xlsx"):
        table, raw = _stream_xlsx(data)
    else:
        raise ValidationError(_("Upload a .csv or .xlsx file."), code="file_type", field="file")
    canonical: list[str] = []
    for h in table.headers:
        key = aliases.get(h.strip()) or aliases.get(h.strip().lower())
        if key and key in canonical:
            raise ValidationError(_("The column %(col)s appears twice in the header (row 1).") % {"col": h.strip()},
                                  code="columns", field="file")
        canonical.append(key or "")
    table.headers = canonical
    keep = [(i, c) for i, c in enumerate(canonical) if c]
    rows = ((n, {c: vals[i] for i, c in keep if i < len(vals)}) for n, vals in raw)
    return table, rows


def read_table_with_columns(*, filename: str, data: bytes, labels: dict[str, str], required: list[str]) -> Table:
    """`read_table` for an import whose columns are `labels` (name → the header people write, which is accepted
    as well as the name); a missing required column is refused, naming it as people write it."""
    table, rows = stream_table_with_columns(filename=filename, data=data, labels=labels, required=required)
    table.rows = list(rows)
    return table


def stream_table_with_columns(*, filename: str, data: bytes, labels: dict[str, str], required: list[str]
                              ) -> tuple[Table, Iterator[tuple[int, dict[str, str]]]]:
    """`read_table_with_columns` handing the rows out one at a time (see `stream_table`)."""
    aliases = {**{label: name for name, label in labels.items()}, **{name: name for name in labels}}
    table, rows = stream_table(filename=filename, data=data, aliases=aliases)
    missing = [labels[c] for c in required if c not in table.headers]
    if not any(table.headers):
        raise ValidationError(_("Row 1 must be the header, with the column names (%(cols)s); none was found in it.")
                              % {"cols": "、".join(labels.values())}, code="header", field="file")
    if missing:
        raise ValidationError(_("Missing columns: %(cols)s.") % {"cols": "、".join(missing)}, code="columns",
                              field="file")
    return table, rows


def check_size(size: int, *, max_bytes: int = MAX_BYTES) -> None:
    """Refuse a file over `max_bytes`, stating its real size (rounded up, so that it never reads as the limit)."""
    if size > max_bytes:
        mb = 1024 * 1024
        raise ValidationError(
            _("The file is %(size).1f MB (%(bytes)s bytes); the limit is %(limit)d MB.")
            % {"size": math.ceil(size * 10 / mb) / 10, "bytes": f"{size:,}", "limit": max_bytes // mb},
            code="too_large", field="file")


def _too_many_rows(row: int) -> ValidationError:
    return ValidationError(
        _("More than %(n)d rows (empty rows count too): reading stopped at row %(row)d. Split the file.")
        % {"n": MAX_ROWS, "row": row}, code="too_many_rows", field="file")


@cache
def gb2312_han() -> frozenset[str]:
    """The Han characters of GB 2312 (6,763), from Python's codec: those of the CJK Unified Ideographs block that
    encode in it."""
    found = set()
    for code in range(0x4E00, 0xA000):
        try:
            chr(code).encode("gb2312")
        except UnicodeEncodeError:
            continue
        found.add(chr(code))
    return frozenset(found)


def _is_han(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3134F


def unlikely_chinese(text: str) -> str:
    """A warning when more than a fifth of the Han characters of `text` are outside GB 2312 (text in another
    encoding, e.g. Shift-JIS or Big5, read as GBK), naming a few of them; "" otherwise."""
    common = gb2312_han()
    han = [ch for ch in text if _is_han(ch)]
    rare = [ch for ch in han if ch not in common]
    if not han or len(rare) <= SUSPECT_HAN_SHARE * len(han):
        return ""
    return _("%(rare)d of the %(han)d Chinese characters (for example %(sample)s) are outside the 6,763 of "
             "GB 2312: the file is probably not GBK text but another encoding (such as Shift-JIS or Big5), and its "
             "names would be stored garbled. Save the file as UTF-8 and upload it again.") % {
        "rare": len(rare), "han": len(han), "sample": "".join(dict.fromkeys(rare))[:8]}


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "UTF-8 (BOM)"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK/GB18030"
    except UnicodeDecodeError:
        raise ValidationError(_("The file is neither UTF-8 nor GBK text."), code="encoding", field="file") from None


def _stream_csv(data: bytes) -> tuple[Table, Iterator[tuple[int, list[str]]]]:
    text, encoding = _decode(data)
    warning = unlikely_chinese(text) if encoding == "GBK/GB18030" else ""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except StopIteration:
        raise ValidationError(_("The file is empty."), code="empty", field="file") from None
    table = Table(headers=[h.strip() for h in headers], rows=[], encoding=encoding, encoding_warning=warning)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for n, values in enumerate(reader, start=2):
            if n - 1 > MAX_ROWS:
                raise _too_many_rows(n)
            if not any(v.strip() for v in values):
                table.skipped_empty.append(n)
                continue
            yield n, [v.strip() for v in values]

    return table, rows()


_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z0-9_]+:)?f[\s>/]")


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet of the workbook holds a formula (an <f> element), scanned in the compressed file's
    members without parsing them. Not a workbook at all: False (the reader then says it cannot read it)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in z.namelist():
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                tail = b""
                with z.open(name) as f:
                    while chunk := f.read(1 << 20):
                        if _FORMULA_TAG.search(tail + chunk):
                            return True
                        tail = chunk[-16:]
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return False
    return False


_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}  # built-in date formats
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
_CELL_COLUMN = re.compile(r"[A-Z]+")
_FEED_BYTES = 1 << 20


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _refuse_dtd(*_args: object) -> None:
    raise ValueError("a DTD or entity declaration in a workbook part")  # entity expansion attacks: never needed


def _xml(z: zipfile.ZipFile, name: str) -> Any:
    """A small part of the workbook as an element tree; a part with a document type or entity declaration is
    refused (what defusedxml guards against: no workbook needs one)."""
    from xml.etree import ElementTree

    data = z.read(name)
    if b"<!doctype" in data.lower() or b"<!entity" in data.lower():
        _refuse_dtd()
    return ElementTree.fromstring(data)  # noqa: S314 - declarations refused above


def _expat() -> Any:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    return parser


def _first_sheet_path(z: zipfile.ZipFile) -> str:
    """The part of the workbook's first sheet (in the workbook's order, not the file names')."""
    book = _xml(z, "xl/workbook.xml")
    first = next(e for e in book.iter() if _local(e.tag) == "sheet")
    rid = first.get(f"{_NS_REL}id")
    rels = _xml(z, "xl/_rels/workbook.xml.rels")
    target = next(e.get("Target", "") for e in rels.iter(f"{_NS_PKG_REL}Relationship") if e.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def _date_styles(z: zipfile.ZipFile) -> tuple[set[int], bool]:
    """The cell styles (indexes into cellXfs) that show a number as a date, and whether dates count from 1904."""
    date1904 = False
    book = _xml(z, "xl/workbook.xml")
    for e in book.iter():
        if _local(e.tag) == "workbookPr":
            date1904 = e.get("date1904") in ("1", "true")
    if "xl/styles.xml" not in z.namelist():
        return set(), date1904
    styles = _xml(z, "xl/styles.xml")
    custom = {}
    for e in styles.iter(f"{_NS_MAIN}numFmt"):
        code = _FORMAT_NOISE.sub("", e.get("formatCode", "")).lower()
        custom[int(e.get("numFmtId", "0"))] = code != "general" and bool(re.search(r"[dmy]", code))
    xfs = next((e for e in styles.iter(f"{_NS_MAIN}cellXfs")), None)
    dated = set()
    for i, xf in enumerate(xfs if xfs is not None else []):
        fmt = int(xf.get("numFmtId", "0"))
        if custom.get(fmt, fmt in _DATE_FORMAT_IDS):
            dated.add(i)
    return dated, date1904


def _shared_strings(z: zipfile.ZipFile) -> list[str]:
    """The workbook's shared strings: each <si>'s text runs joined, without its phonetic runs (<rPh>)."""
    if "xl/sharedStrings.xml" not in z.namelist():
        return []
    out: list[str] = []
    parts: list[str] = []
    depth = {"rPh": 0, "t": 0}

    def start(name: str, _attrs: dict[str, str]) -> None:
        tag = name.rsplit(":", 1)[-1]
        if tag in depth:
            depth[tag] += 1

    def end(name: str) -> None:
        tag = name.rsplit(":", 1)[-1]
        if tag in depth:
            depth[tag] -= 1
        elif tag == "si":
            out.append("".join(parts))
            parts.clear()

    def chars(text: str) -> None:
        if depth["t"] and not depth["rPh"]:
            parts.append(text)

    parser = _expat()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    with z.open("xl/sharedStrings.xml") as f:
        parser.ParseFile(f)
    return out


def _number_text(raw: str, dated: bool, date1904: bool) -> str:
    """A numeric cell as openpyxl gives it and str() writes it: a whole number without ".0", a date-styled one as
    a datetime."""
    value = float(raw)
    if dated:
        import datetime as dt

        epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
        return str(epoch + dt.timedelta(days=value))
    if value.is_integer() and "." not in raw and "E" not in raw.upper():
        return str(int(value))
    return str(value)


def _stream_sheet(z: zipfile.ZipFile, path: str) -> Iterator[tuple[int, list[str]]]:
    """The rows of a sheet part as lists of cell texts, numbered from 1 (missing rows as empty ones), parsed as
    the compressed part is read (expat): never the whole sheet in memory. The handlers run for every element (some
    forty a row): their state lives in closure variables and each tag's local name is looked up once."""
    shared = _shared_strings(z)
    dated, date1904 = _date_styles(z)
    ready: list[tuple[int, list[str]]] = []
    local: dict[str, str] = {}  # "x:c" → "c", as met
    row = col = style = 0
    kind = ""
    text: str | None = None
    collect = False
    cells: dict[int, str] = {}
    buf: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, col, style, kind, text, collect, cells
        tag = local.get(name) or local.setdefault(name, name.rsplit(":", 1)[-1])
        if tag == "c":
            ref = attrs.get("r")
            if ref:
                m = _CELL_COLUMN.match(ref)
                col = 0
                for ch in m.group(0) if m else "A":
                    col = col * 26 + ord(ch) - 64
                col -= 1
            kind, style, text = attrs.get("t", "n"), int(attrs.get("s", "0")), None
        elif tag == "v" or tag == "t":
            buf.clear()
            collect = True
        elif tag == "row":
            row = int(attrs["r"]) if "r" in attrs else row + 1
            cells, col = {}, 0

    def chars(data: str) -> None:
        if collect:
            buf.append(data)

    def end(name: str) -> None:
        nonlocal col, text, collect
        tag = local.get(name) or local.setdefault(name, name.rsplit(":", 1)[-1])
        if tag == "v" or tag == "t":
            collect = False
            text = (text or "") + "".join(buf)
        elif tag == "c":
            if text is not None:
                if kind == "s":
                    value = shared[int(text)]
                elif kind == "b":
                    value = "True" if text == "1" else "False"
                elif kind in ("n", ""):
                    value = _number_text(text, style in dated, date1904)
                else:  # inlineStr, str (a formula's text), e (an error value such as #N/A)
                    value = text
                cells[col] = value.strip()
            col += 1
        elif tag == "row":
            width = max(cells) + 1 if cells else 0
            ready.append((row, [cells.get(i, "") for i in range(width)]))

    parser = _expat()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    expected = 1
    with z.open(path) as f:
        while True:
            chunk = f.read(_FEED_BYTES)
            parser.Parse(chunk, not chunk)
            for n, values in ready:
                while expected < n:  # rows the file leaves out are empty rows
                    yield expected, []
                    expected += 1
                yield n, values
                expected = n + 1
            ready.clear()
            if not chunk:
                return


def _stream_xlsx(data: bytes) -> tuple[Table, Iterator[tuple[int, list[str]]]]:
    """The first sheet read as it is decompressed (expat), so that a large upload is never held whole; a workbook
    with a formula goes through openpyxl, which names the formula cells it refuses."""
    if _has_formulas(data):
        table = _read_xlsx(data)
        read, table.rows = table.rows, []
        return table, iter(read)  # type: ignore[arg-type]
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        rows = _stream_sheet(z, _first_sheet_path(z))
        first = next(rows, None)
    except Exception:  # noqa: BLE001 - any parse failure is the same answer to the user
        raise ValidationError(_("The file is not a readable .xlsx workbook."), code="xlsx", field="file") from None
    if first is None:
        raise ValidationError(_("The file is empty."), code="empty", field="file")
    n, header = first
    table = Table(headers=header if n == 1 else [], rows=[], encoding="XLSX")

    def body() -> Iterator[tuple[int, list[str]]]:
        pending = [] if n == 1 else [(k, []) for k in range(2, n)] + [first]
        try:
            for m, values in itertools.chain(pending, rows):
                if m - 1 > MAX_ROWS:
                    raise _too_many_rows(m)
                if not any(values):
                    table.skipped_empty.append(m)
                    continue
                yield m, values
        except (expat.ExpatError, KeyError, ValueError, IndexError, zipfile.BadZipFile):
            raise ValidationError(_("The file is not a readable .xlsx workbook."), code="xlsx",
                                  field="file") from None

    return table, body()


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - any parse failure is the same answer to the user
        raise ValidationError(_("The file is not a readable .xlsx workbook."), code="xlsx", field="file") from None
    ws = wb.worksheets[0]
    it = ws.iter_rows()
    try:
        header_cells = next(it)
    except StopIteration:
        raise ValidationError(_("The file is empty."), code="empty", field="file") from None
    headers = [str(c.value or "").strip() for c in header_cells]
    rows: list[tuple[int, list[str]]] = []
    skipped: list[int] = []
    formula_rows: list[str] = []
    for n, cells in enumerate(it, start=2):
        if n - 1 > MAX_ROWS:
            wb.close()
            raise _too_many_rows(n)
        values = []
        for i, c in enumerate(cells):
            if c.data_type == "f":
                col = headers[i] if i < len(headers) else str(i + 1)
                formula_rows.append(f"{n}/{col}")
                values.append("")
            else:
                values.append("" if c.value is None else str(c.value).strip())
        if not any(values):
            if not formula_rows or not formula_rows[-1].startswith(f"{n}/"):
                skipped.append(n)
            continue
        rows.append((n, values))
    wb.close()
    if formula_rows:
        raise ValidationError(
            _("Formulas are not accepted; paste values instead (row/column: %(cells)s).")
            % {"cells": ", ".join(formula_rows[:10])}, code="formula", field="file")
    return Table(headers=headers, rows=rows, encoding="XLSX", skipped_empty=skipped)  # type: ignore[arg-type]


def looks_like_formula(value: str) -> bool:
    """The rule in the module's docstring: =, +, @, tab, CR, or - unless a plain negative number. A cell that begins
    with a letter or digit of any script is not one (NFKC maps none of them to nothing or to one of those signs, a
    test checks every character), and is not normalised: most cells of an import are such."""
    if value[:1].isalnum():
        return False
    value = unicodedata.normalize("NFKC", value)
    if value.startswith("-"):
        return _PLAIN_NUMBER.fullmatch(value) is None
    return value.startswith(_FORMULA_START)


def cell_problem(value: str, *, required: bool) -> str:
    """The first check of every import cell, whatever its kind: not a formula (CSV injection), set when required.
    The problem's words, or "" when there is none."""
    if looks_like_formula(value):
        return _("Looks like a formula; enter plain text.")
    if required and not value:
        return _("Required.")
    return ""


def plain_and_present(n: int, raw: dict[str, str], *, labels: dict[str, str], required: list[str]) -> list[RowError]:
    """`cell_problem` for every column of a row given as labels (imports written before core/columns.py; one that
    declares its columns gets this and the kinds' checks from `columns.row_check`)."""
    return [RowError(n, label, problem) for col, label in labels.items()
            if (problem := cell_problem(raw.get(col, ""), required=col in required))]
