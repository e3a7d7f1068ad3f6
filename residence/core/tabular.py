"""Reading uploaded tables (CSV or XLSX) safely: size limit, row limit (empty rows count), encoding detection
(UTF-8, UTF-8 with BOM, GBK/GB18030, with a warning when GBK text is unlikely Chinese), formula cells refused, empty
rows skipped, every problem named by row and column.

Rows are numbered as a spreadsheet user sees them: the header is row 1, the first data row is row 2.

A cell is refused as a formula (CSV injection, OWASP) when, after NFKC (so full-width ＝ ＋ － ＠ count), it begins
with `=`, `+`, `@`, a tab or a carriage return, or with `-` unless the whole cell is a plain number (`-12`, `-3.5`):
`-1+cmd|' /C calc'!A0`, `-=1+1`, `-SUM(A1)`, `-@x` and a lone `-` are refused. Cells are stripped of surrounding
white space before the check, and stored stripped.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Generic, TypeVar

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
    check_size(len(data), max_bytes=max_bytes)
    lower = filename.lower()
    if lower.endswith(".csv"):
        table = _read_csv(data)
    elif lower.endswith(".xlsx"):
        table = _read_xlsx(data)
    else:
        raise ValidationError(_("Upload a .csv or .xlsx file."), code="file_type", field="file")
    canonical: list[str] = []
    for h in table.headers:
        key = aliases.get(h.strip()) or aliases.get(h.strip().lower())
        if key and key in canonical:
            raise ValidationError(_("The column %(col)s appears twice in the header (row 1).") % {"col": h.strip()},
                                  code="columns", field="file")
        canonical.append(key or "")
    table.rows = [(n, {canonical[i]: v for i, v in enumerate(vals) if i < len(canonical) and canonical[i]})
                  for n, vals in table.rows]  # type: ignore[misc]
    table.headers = canonical
    return table


def read_table_with_columns(*, filename: str, data: bytes, labels: dict[str, str], required: list[str]) -> Table:
    """`read_table` for an import whose columns are `labels` (name → the header people write, which is accepted
    as well as the name); a missing required column is refused, naming it as people write it."""
    aliases = {**{label: name for name, label in labels.items()}, **{name: name for name in labels}}
    table = read_table(filename=filename, data=data, aliases=aliases)
    missing = [labels[c] for c in required if c not in table.headers]
    if not any(table.headers):
        raise ValidationError(_("Row 1 must be the header, with the column names (%(cols)s); none was found in it.")
                              % {"cols": "、".join(labels.values())}, code="header", field="file")
    if missing:
        raise ValidationError(_("Missing columns: %(cols)s.") % {"cols": "、".join(missing)}, code="columns",
                              field="file")
    return table


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


def _read_csv(data: bytes) -> Table:
    text, encoding = _decode(data)
    warning = unlikely_chinese(text) if encoding == "GBK/GB18030" else ""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except StopIteration:
        raise ValidationError(_("The file is empty."), code="empty", field="file") from None
    rows: list[tuple[int, list[str]]] = []
    skipped: list[int] = []
    for n, values in enumerate(reader, start=2):
        if n - 1 > MAX_ROWS:
            raise _too_many_rows(n)
        if not any(v.strip() for v in values):
            skipped.append(n)
            continue
        rows.append((n, [v.strip() for v in values]))
    return Table(headers=[h.strip() for h in headers], rows=rows, encoding=encoding,  # type: ignore[arg-type]
                 skipped_empty=skipped, encoding_warning=warning)


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
    """The rule in the module's docstring: =, +, @, tab, CR, or - unless a plain negative number."""
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
