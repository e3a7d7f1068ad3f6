"""The declared columns of an import: one list gives the headers people write, how every cell is checked, the
downloadable template (headers, an example row, the code lists) and how the preview shows each cell, so that the
template, the check and the page cannot drift apart.

A column is a `Column(name, label, kind, required=…, example=…, unique=…, default=…)`. Its `kind` says how a cell is
checked, one way per kind for every import: `text(n)`, `code(lo, hi)`, `address_code()` (begins with a GB/T 2260
division code that exists, `core.divisions`), `date()`, `coded(codes)` (a code, its name or a common name, and an
error that lists what is accepted), `yes_no()`; the people app adds `ID_NUMBER`, `PHONE`, `PERSON_NAME` and the coded
person fields (`people.choices`). Before the kind, every cell is refused when it looks like a formula, and a required
cell when it is empty; after it, a `unique` column refuses a value already seen in an earlier row.

How a new import gets all of this (see places/imports.py and registrations/imports.py):

1. Declare `COLUMNS = [Column(...), ...]` in `<app>/imports.py`, with an `example` per column that passes the check.
2. Its preview: `table = columns_read(filename=…, data=…, columns=COLUMNS)`, `preview = Preview.of(table)`, then for
   each `checked in rows_check(table, COLUMNS)`: keep `checked.errors`, add the checks that need the database (a unit
   in the user's area, already on record), build the row from `checked.values` (parsed: codes, dates, booleans).
3. Its page: `table_import_page(..., columns=COLUMNS, example=lambda: {...})` (core/uploads.py). The page gets the
   下载模板 link (its own URL with `?template=xlsx`; `example` supplies the values that depend on the user, such as a
   grid in their area) and the preview table of the first rows with each cell's errors beside it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from residence.core import divisions
from residence.core.errors import ValidationError
from residence.core.tabular import (
    RowError,
    Table,
    cell_problem,
    looks_like_formula,
    read_table_with_columns,
    stream_table_with_columns,
)

_UNSAFE = re.compile(r"[<>\x00-\x1f\x7f]")
_CODE = re.compile(r"[0-9A-Za-z-]+")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")
LISTED_CODES = 12  # a coded column with more codes names the first few in its error and points to the code sheet
ECHO_MAX = 30  # a value is repeated in its error only when it is plain text this short
LIST_MAX = 255  # the longest list a spreadsheet drop-down holds (Excel's limit)
TEMPLATE_ROWS = 1000  # the template's rows that offer a coded column's names in a drop-down


@dataclass(frozen=True)
class Code:
    """One accepted value of a coded column: its code, its standard name, other names people type, and what is
    stored (the code, unless `value` is given)."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()
    value: object = None

    @property
    def stored(self) -> object:
        return self.code if self.value is None else self.value


@dataclass(frozen=True)
class Kind:
    """How one kind of cell is checked: `parse(text)` returns what is stored or raises ValidationError with the
    message; `describe()` words the format for the template; `shown(text)` is how the preview shows a cell (masks)."""

    parse: Callable[[str], object]
    describe: Callable[[], str]
    codes: tuple[Code, ...] = ()
    by_name: bool = False  # people type the names; the codes are internal and not offered
    shown: Callable[[str], str] | None = None


@dataclass(frozen=True)
class Column:
    name: str
    label: str  # the header as people write it (the column's name is accepted too)
    kind: Kind
    required: bool = False
    example: str = ""
    unique: bool = False  # a value may appear in one row only
    default: object = ""  # stored for an empty cell of an optional column

    def show(self, value: str) -> str:
        """The cell as the preview shows it: masked when the kind masks, blank when it is not plain text."""
        if not value or looks_like_formula(value) or _UNSAFE.search(value):
            return ""
        return self.kind.shown(value) if self.kind.shown else value[:60]


@dataclass
class Checked:
    row: int
    values: dict[str, object] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


def labels_of(columns: Sequence[Column]) -> dict[str, str]:
    return {c.name: c.label for c in columns}


def columns_read(*, filename: str, data: bytes, columns: Sequence[Column]) -> Table:
    """Read an upload whose headers are the columns' labels (or names); a missing required column is refused."""
    return read_table_with_columns(filename=filename, data=data, labels=labels_of(columns),
                                   required=[c.name for c in columns if c.required])


def columns_stream(*, filename: str, data: bytes, columns: Sequence[Column]
                   ) -> tuple[Table, Iterator[tuple[int, dict[str, str]]]]:
    """`columns_read` handing the rows out one at a time as they are read (tabular.stream_table): for an import
    of many rows, checked without holding them all (with `rows_check_stream`)."""
    return stream_table_with_columns(filename=filename, data=data, labels=labels_of(columns),
                                     required=[c.name for c in columns if c.required])


def row_check(n: int, raw: Mapping[str, str], columns: Sequence[Column]) -> Checked:
    """Check one row: formula, required, then the column's kind; every problem of the row at once."""
    checked = Checked(n)
    for c in columns:
        value = raw.get(c.name, "")
        problem = cell_problem(value, required=c.required)
        if problem:
            checked.errors.append(RowError(n, c.label, problem))
        elif not value:
            checked.values[c.name] = c.default
        else:
            try:
                checked.values[c.name] = c.kind.parse(value)
            except ValidationError as exc:
                checked.errors.append(RowError(n, c.label, exc.message))
    return checked


def rows_check(table: Table, columns: Sequence[Column]) -> Iterator[Checked]:
    """`row_check` for every row, and a value of a unique column seen in an earlier row is refused naming it."""
    return rows_check_stream(table.rows, columns)


def rows_check_stream(rows: Iterable[tuple[int, Mapping[str, str]]], columns: Sequence[Column]) -> Iterator[Checked]:
    """`rows_check` of rows as they come (`columns_stream`)."""
    seen: dict[str, dict[object, int]] = {c.name: {} for c in columns if c.unique}
    for n, raw in rows:
        checked = row_check(n, raw, columns)
        for name, first in seen.items():
            value = checked.values.get(name)
            if value in (None, ""):
                continue
            if value in first:
                label = next(c.label for c in columns if c.name == name)
                checked.errors.append(RowError(n, label, _("Same value as row %(n)d.") % {"n": first[value]}))
                del checked.values[name]
            else:
                first[value] = n
        yield checked


def _plain(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_length or _UNSAFE.search(value):
            raise ValidationError(_("At most %(n)d characters, without < > or control characters.")
                                  % {"n": max_length}, code="text")
        return value
    return parse


def text(max_length: int) -> Kind:
    """Free text: at most `max_length` characters, no markup brackets, no control characters."""
    return Kind(_plain(max_length), lambda: _("Text, at most %(n)d characters.") % {"n": max_length})


def _code_parse(lo: int, hi: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = unicodedata.normalize("NFKC", value)
        if not (lo <= len(value) <= hi and _CODE.fullmatch(value)):
            raise ValidationError(_("%(lo)d–%(hi)d letters, digits or hyphens.") % {"lo": lo, "hi": hi}, code="code")
        return value
    return parse


def code(lo: int, hi: int) -> Kind:
    """A code: `lo`–`hi` ASCII letters, digits or hyphens (full-width ones are read as ASCII)."""
    return Kind(_code_parse(lo, hi), lambda: _("%(lo)d–%(hi)d letters, digits or hyphens.") % {"lo": lo, "hi": hi})


def address_code(lo: int = 10, hi: int = 32) -> Kind:
    """A standard address code: a code that begins with the six-digit GB/T 2260 code of a division that exists or
    existed (`core.divisions.is_known`)."""
    as_code = _code_parse(lo, hi)

    def parse(value: str) -> str:
        prefix = unicodedata.normalize("NFKC", value)[:6]
        if not (prefix.isascii() and prefix.isdigit() and len(prefix) == 6 and divisions.is_known(prefix)):
            shown = prefix if _CODE.fullmatch(prefix or "-") else "…"
            raise ValidationError(_("Must begin with the six-digit GB/T 2260 code of a division (such as 440308); "
                                    "“%(prefix)s” is not one.") % {"prefix": shown}, code="division")
        return as_code(value)

    return Kind(parse, lambda: _("%(lo)d–%(hi)d letters, digits or hyphens, beginning with the six-digit GB/T 2260 "
                                 "division code (such as 440308).") % {"lo": lo, "hi": hi})


def date(*, not_future: bool = True) -> Kind:
    """A date as 2025-06-01 (also 2025/6/1, 2025.6.1, 2025年6月1日, or a spreadsheet date), not in the future."""
    def parse(value: str) -> dt.date:
        m = _DATE.fullmatch(unicodedata.normalize("NFKC", value))
        try:
            if m is None:
                raise ValueError(value)
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ValidationError(_("A date as YYYY-MM-DD."), code="date") from None
        if not_future and day > timezone.localdate():
            raise ValidationError(_("A date in the future."), code="date_future")
        return day

    return Kind(parse, lambda: _("A date as YYYY-MM-DD (such as 2025-06-01)."))


def _key(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text)).casefold()


def accepted(kind: Kind) -> str:
    """What a coded column accepts, as its error names it: every code and name (the first few and a pointer to the
    template's code sheet when there are many), or the names only when people type names."""
    items = [c.name if kind.by_name else f"{c.code} {c.name}" for c in kind.codes]
    listed = "、".join(items if len(items) <= LISTED_CODES else items[:8])
    if len(items) > LISTED_CODES:
        listed = _("%(list)s and others, %(n)d in all (see the code list in the template)") % {
            "list": listed, "n": len(items)}
    return listed if kind.by_name else _("%(list)s, or their names") % {"list": listed}


def coded(codes: Sequence[Code], *, by_name: bool = False, describe: Callable[[], str] | None = None) -> Kind:
    """A coded value, typed as its code, its name or one of its other names (full-width, case and spaces do not
    matter). An unknown value is refused, naming what is accepted."""
    lookup: dict[str, object] = {}
    for c in codes:
        for key in (c.code, c.name, *c.aliases):
            if lookup.setdefault(_key(key), c.stored) != c.stored:
                raise ValueError(f"{key!r} names two codes")  # a programming error in the declaration

    def parse(value: str) -> object:
        found = lookup.get(_key(value))
        if found is not None:
            return found
        if len(value) <= ECHO_MAX and not _UNSAFE.search(value):
            message = _("Cannot recognise “%(value)s”; accepted: %(accepted)s.") % {
                "value": value, "accepted": accepted(kind)}
        else:
            message = _("Cannot recognise this value; accepted: %(accepted)s.") % {"accepted": accepted(kind)}
        raise ValidationError(message, code="coded")

    kind = Kind(parse, describe or (lambda: _("One of the code list: %(accepted)s.") % {"accepted": accepted(kind)}),
                codes=tuple(codes), by_name=by_name)
    return kind


def yes_no() -> Kind:
    """是 or 否 (also Y/N, yes/no, 1/0, true/false); stored as True or False."""
    return coded([Code("是", "是", ("y", "yes", "1", "true", "对"), value=True),
                  Code("否", "否", ("n", "no", "0", "false", "不"), value=False)], by_name=True)


def template_xlsx(columns: Sequence[Column], example: Mapping[str, str] | None = None) -> bytes:
    """The import's template: sheet 1 the headers (required ones marked) and one example row, sheet 2 the code list
    of every coded column, sheet 3 how to fill each column. `example` overrides the columns' own examples. The
    example row passes `row_check` (a ValueError otherwise: a declaration that would drift from its check)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    row = {c.name: (example or {}).get(c.name, c.example) for c in columns}
    checked = row_check(2, row, columns)
    if checked.errors:
        raise ValueError(f"the template's example fails its own check: {checked.errors}")
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook has its sheet
    ws.title = _("Data")
    ws.append([c.label for c in columns])
    ws.append([row[c.name] for c in columns])
    required_fill = PatternFill("solid", fgColor="FDE9D9")
    for i, c in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(12, 2 * len(c.label) + 4, len(row[c.name]) + 4)
        ws.column_dimensions[letter].number_format = "@"  # text: an 18-digit ID number must not become a float
        head = ws.cell(row=1, column=i)
        head.font = Font(bold=True)
        if c.required:
            head.fill = required_fill
        head.comment = Comment(_required_word(c) + c.kind.describe(), "residence")
        ws.cell(row=2, column=i).number_format = "@"
    ws.freeze_panes = "A2"
    for i, c in enumerate(columns, start=1):  # a drop-down of the names, which still lets codes and aliases through
        names = ",".join(item.name for item in c.kind.codes)
        if names and len(names) < LIST_MAX:
            letter = get_column_letter(i)
            choice = DataValidation(type="list", formula1=f'"{names}"', allow_blank=True, showErrorMessage=False)
            choice.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            ws.add_data_validation(choice)
    codes = wb.create_sheet(_("Code lists"))
    codes.append([_("Column"), _("Code"), _("Standard name"), _("Also accepted")])
    for c in columns:
        for item in c.kind.codes:
            codes.append([c.label, "" if c.kind.by_name else item.code, item.name, "、".join(item.aliases)])
    notes = wb.create_sheet(_("How to fill"))
    notes.append([_("Column"), _("Required"), _("Format"), _("Example")])
    for c in columns:
        notes.append([c.label, _("Required") if c.required else "", c.kind.describe(), row[c.name]])
    for sheet, widths in ((codes, (14, 8, 22, 40)), (notes, (14, 8, 70, 24))):
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _required_word(c: Column) -> str:
    return (_("Required.") if c.required else _("Optional.")) + " "


def errors_sort(errors: list[RowError], columns: Sequence[Column]) -> None:
    """Order errors by row, then as the columns are declared (checks that need the database come last otherwise)."""
    order = {c.label: i for i, c in enumerate(columns)}
    errors.sort(key=lambda e: (e.row, order.get(e.column, len(order))))
