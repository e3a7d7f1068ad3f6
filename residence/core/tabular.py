"""Reading uploaded tables (CSV or XLSX) safely: size limit, encoding detection (UTF-8, UTF-8 with BOM, GBK/GB18030),
formula cells refused, empty rows skipped, every problem named by row and column.

Rows are numbered as a spreadsheet user sees them: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.utils.translation import gettext as _

from residence.core.errors import ValidationError

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
_FORMULA_START = ("=", "+", "@")


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number, {header: value})
    encoding: str = ""
    skipped_empty: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


R = TypeVar("R")


@dataclass
class Preview(Generic[R]):
    """The check of an upload before anything is written: the valid rows and every problem, by row and column."""

    valid: list[R] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped_empty: list[int] = field(default_factory=list)
    encoding: str = ""
    total: int = 0

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


def read_table(*, filename: str, data: bytes, aliases: dict[str, str], max_bytes: int = MAX_BYTES) -> Table:
    """Parse an upload into rows keyed by canonical column names (`aliases` maps header text → name)."""
    if len(data) > max_bytes:
        raise ValidationError(
            _("The file is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": len(data) / 1024 / 1024, "limit": max_bytes // 1024 // 1024},
            code="too_large", field="file")
    lower = filename.lower()
    if lower.endswith(".csv"):
        table = _read_csv(data)
    elif lower.endswith(".xlsx"):
        table = _read_xlsx(data)
    else:
        raise ValidationError(_("Upload a .csv or .xlsx file."), code="file_type", field="file")
    canonical = []
    for h in table.headers:
        key = aliases.get(h.strip()) or aliases.get(h.strip().lower())
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
    if missing:
        raise ValidationError(_("Missing columns: %(cols)s.") % {"cols": "、".join(missing)}, code="columns",
                              field="file")
    return table


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
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except StopIteration:
        raise ValidationError(_("The file is empty."), code="empty", field="file") from None
    rows: list[tuple[int, list[str]]] = []
    skipped: list[int] = []
    for n, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            skipped.append(n)
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationError(_("More than %(n)d rows; split the file.") % {"n": MAX_ROWS}, code="too_many_rows",
                                  field="file")
        rows.append((n, [v.strip() for v in values]))
    return Table(headers=[h.strip() for h in headers], rows=rows, encoding=encoding,  # type: ignore[arg-type]
                 skipped_empty=skipped)


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
        if len(rows) >= MAX_ROWS:
            raise ValidationError(_("More than %(n)d rows; split the file.") % {"n": MAX_ROWS}, code="too_many_rows",
                                  field="file")
        rows.append((n, values))
    wb.close()
    if formula_rows:
        raise ValidationError(
            _("Formulas are not accepted; paste values instead (row/column: %(cells)s).")
            % {"cells": ", ".join(formula_rows[:10])}, code="formula", field="file")
    return Table(headers=headers, rows=rows, encoding="XLSX", skipped_empty=skipped)  # type: ignore[arg-type]


def looks_like_formula(value: str) -> bool:
    return value.startswith(_FORMULA_START)


def plain_and_present(n: int, raw: dict[str, str], *, labels: dict[str, str], required: list[str]) -> list[RowError]:
    """The first checks of every import row: no cell looks like a formula (CSV injection), required cells are set."""
    errors = []
    for col, label in labels.items():
        value = raw.get(col, "")
        if looks_like_formula(value):
            errors.append(RowError(n, label, _("Looks like a formula; enter plain text.")))
        elif col in required and not value:
            errors.append(RowError(n, label, _("Required.")))
    return errors
