"""Importing standard addresses (buildings and their units) from CSV or XLSX: preview with per-row errors, then
commit either everything (only when there is no error) or exactly the valid rows. The columns are declared once
(`COLUMNS`, see core/columns.py): the check, the page's template and its preview all follow them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from django.db import connection, transaction
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.audit.services import event_record
from residence.core.bulk import bulk_insert, bulk_set, next_id, reset_sequence
from residence.core.columns import Code, Column, address_code, code, coded, columns_read, rows_check, text, yes_no
from residence.core.errors import PermissionDenied, ValidationError
from residence.core.tabular import Preview, RowError, plain_and_present, read_table_with_columns
from residence.places.models import Building, Jurisdiction, Obligor, ObligorKind, Unit
from residence.places.selectors import jurisdiction_path_for_user
from residence.places.services import OBLIGOR_CODE

UNIT_KIND = coded([Code("flat", "住宅", ("成套住宅", "套房")), Code("room", "房间", ("单间",)),
                   Code("dormitory", "集体宿舍", ("宿舍",)), Code("hotel", "旅馆", ("酒店", "宾馆", "旅店"))],
                  by_name=True)
SAFETY_GRADE = coded([Code("A", "安全"), Code("B", "需关注"), Code("C", "隐患")])
COLUMNS = [
    Column("grid_code", "网格代码", code(4, 32), required=True, example="440308001001001"),
    Column("address_code", "地址编码", address_code(), required=True, example="440308001001001900001"),
    Column("road", "道路", text(100), required=True, example="海景路"),
    Column("door_plate", "门牌号", text(50), required=True, example="8号"),
    Column("building_name", "楼栋名称", text(100), example="A栋"),
    Column("unit_code", "房屋编码", code(4, 40), required=True, unique=True, example="4403080010010019000010001"),
    Column("unit_label", "房号", text(50), required=True, example="101"),
    Column("unit_kind", "房屋类型", UNIT_KIND, default="flat", example="住宅"),
    Column("is_rental", "是否出租屋", yes_no(), default=False, example="是"),
    Column("safety_grade", "治安等级", SAFETY_GRADE, example="A"),
]
LABELS = {c.name: c.label for c in COLUMNS}
REQUIRED = [c.name for c in COLUMNS if c.required]
# The checks before the columns were declared, kept for code written against them; new code declares Columns.
_CODE = re.compile(r"^[0-9A-Za-z-]{4,40}$")
_TEXT = re.compile(r"^[^<>\x00-\x1f\x7f]{1,100}$")
_YES = {"是": True, "否": False, "yes": True, "no": False, "1": True, "0": False, "": False,
        "true": True, "false": False}


@dataclass
class AddressRow:
    row: int
    grid_code: str
    address_code: str
    road: str
    door_plate: str
    building_name: str
    unit_code: str
    unit_label: str
    unit_kind: str
    is_rental: bool
    safety_grade: str


def address_import_example(*, actor: User) -> dict[str, str]:
    """The template's example row for `actor`: their first grid, and an address and unit code not yet taken, so
    that the row imports as it stands."""
    path = jurisdiction_path_for_user(actor) or "\x00"
    grid = (Jurisdiction.objects.filter(level="grid", path__startswith=path).order_by("code")
            .values_list("code", flat=True).first())
    if grid is None:
        return {}
    taken = set(Unit.objects.filter(code__startswith=f"{grid}9").values_list("code", flat=True))
    address = next(a for a in (f"{grid}{n}" for n in range(900001, 1_000_000)) if f"{a}0001" not in taken)
    return {"grid_code": grid, "address_code": address, "unit_code": f"{address}0001"}


def address_import_preview(*, actor: User, filename: str, data: bytes) -> Preview[AddressRow]:
    """Read and check every row (the columns, a grid in the importer's area whose division the address code
    begins with, codes not taken); nothing is written."""
    if not can(actor, Capability.ADDRESS_IMPORT):
        raise PermissionDenied(_("You may not import addresses."))
    table = columns_read(filename=filename, data=data, columns=COLUMNS)
    path = jurisdiction_path_for_user(actor) or "\x00"
    grids = set(Jurisdiction.objects.filter(level="grid", path__startswith=path).values_list("code", flat=True))
    preview: Preview[AddressRow] = Preview.of(table)
    candidates: list[AddressRow] = []
    address_grid: dict[str, tuple[str, int]] = {}  # address code → (grid, first row) in this file
    for checked in rows_check(table, COLUMNS):
        n, values, errors = checked.row, checked.values, checked.errors
        grid, address = str(values.get("grid_code", "")), str(values.get("address_code", ""))
        if grid and grid not in grids:
            errors.append(RowError(n, LABELS["grid_code"], _("Unknown grid, or outside your area.")))
        elif grid and address:
            first_grid, first_row = address_grid.setdefault(address, (grid, n))
            if address[:6] != grid[:6]:
                errors.append(RowError(n, LABELS["address_code"], _(
                    "Begins with the division %(code)s, but the grid lies in %(grid)s.") % {
                    "code": address[:6], "grid": grid[:6]}))
            elif first_grid != grid:
                errors.append(RowError(n, LABELS["address_code"], _(
                    "The same address code is in grid %(grid)s in row %(n)d.") % {"grid": first_grid, "n": first_row}))
        if errors:
            preview.errors.extend(errors)
        else:
            candidates.append(AddressRow(row=n, **values))  # type: ignore[arg-type]
    existing_units = set(Unit.objects.filter(code__in=[r.unit_code for r in candidates]).values_list("code", flat=True))
    existing_buildings = dict(Building.objects.filter(address_code__in={r.address_code for r in candidates})
                              .values_list("address_code", "grid__code"))
    for r in candidates:
        if r.unit_code in existing_units:
            preview.errors.append(RowError(r.row, LABELS["unit_code"], _("This unit code already exists.")))
        elif existing_buildings.get(r.address_code, r.grid_code) != r.grid_code:
            preview.errors.append(RowError(r.row, LABELS["address_code"],
                                           _("This address code exists in another grid.")))
        else:
            preview.valid.append(r)
    preview.errors.sort(key=lambda e: e.row)
    return preview


def address_import_commit(*, actor: User, filename: str, data: bytes,
                          mode: Literal["all", "valid_rows"]) -> Preview[AddressRow]:
    """Write the rows: `all` refuses the whole file when any row has an error; `valid_rows` writes exactly the
    valid ones. One transaction either way, so nothing is half-written."""
    preview = address_import_preview(actor=actor, filename=filename, data=data)
    if mode == "all" and preview.errors:
        raise ValidationError(_("%(n)d rows have errors; nothing was imported.") % {"n": preview.error_rows},
                              code="row_errors", field="file")
    with transaction.atomic():
        grid_ids = dict(Jurisdiction.objects.filter(code__in={r.grid_code for r in preview.valid}).values_list(
            "code", "id"))
        new_buildings = {}
        existing = dict(Building.objects.filter(address_code__in={r.address_code for r in preview.valid})
                        .values_list("address_code", "id"))
        for r in preview.valid:
            if r.address_code not in existing and r.address_code not in new_buildings:
                new_buildings[r.address_code] = Building(
                    address_code=r.address_code, road=r.road, door_plate=r.door_plate, name=r.building_name,
                    grid_id=grid_ids[r.grid_code])
        Building.objects.bulk_create(new_buildings.values(), batch_size=2000)
        existing.update(Building.objects.filter(address_code__in=list(new_buildings)).values_list("address_code", "id"))
        Unit.objects.bulk_create([
            Unit(code=r.unit_code, building_id=existing[r.address_code], label=r.unit_label, kind=r.unit_kind,
                 is_rental=r.is_rental, safety_grade=r.safety_grade if r.is_rental else "")
            for r in preview.valid], batch_size=2000)
        event_record(actor=actor, action="place.addresses.imported", subject_type="import", subject_id=filename[:60],
                     data={"mode": mode, "units": len(preview.valid), "buildings": len(new_buildings),
                           "rows_with_errors": preview.error_rows})
    return preview


# Obligors with their units, from CSV or XLSX: one row per unit, the rows of one obligor sharing its code. The
# units exist already (the address import); each must lie in the obligor's jurisdiction, inside the importer's
# area, and have no obligor yet. All or nothing: a file with any error imports nothing. Set-based: the obligors by
# core.bulk.bulk_insert, the units' obligor by core.bulk.bulk_set.

OBLIGOR_REQUIRED = ["obligor_code", "obligor_name", "obligor_kind", "jurisdiction_code", "unit_code"]
OBLIGOR_LABELS = {"obligor_code": "义务人编号", "obligor_name": "义务人名称", "obligor_kind": "义务人类型",
                  "jurisdiction_code": "所属辖区代码", "unit_code": "房屋编码"}
_OBLIGOR_KINDS = {"房东": "landlord", "出租人": "landlord", "用人单位": "employer",
                  "有集体宿舍的用人单位": "employer", "旅馆": "hotel", "时租房": "hourly_rental",
                  "时(日)租房": "hourly_rental", "日租房": "hourly_rental", **{k: k for k in ObligorKind.values}}
_LOOKUP_BATCH = 5_000  # codes per IN (…) query: under SQLite's limit on bound variables


@dataclass
class ObligorRow:
    row: int
    code: str
    name: str
    kind: str
    jurisdiction_code: str
    unit_code: str
    unit_id: int = 0


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i:i + _LOOKUP_BATCH] for i in range(0, len(items), _LOOKUP_BATCH)]


def obligor_import_preview(*, actor: User, filename: str, data: bytes) -> Preview[ObligorRow]:
    """Read and check every row; nothing is written. When any row has an error no row is valid (all or nothing)."""
    if not can(actor, Capability.OBLIGOR_MANAGE):
        raise PermissionDenied(_("You may not import obligors."))
    table = read_table_with_columns(filename=filename, data=data, labels=OBLIGOR_LABELS, required=OBLIGOR_REQUIRED)
    path = jurisdiction_path_for_user(actor) or "\x00"
    areas = dict(Jurisdiction.objects.filter(path__startswith=path).values_list("code", "path"))
    preview: Preview[ObligorRow] = Preview.of(table)
    rows: list[ObligorRow] = []
    for n, raw in table.rows:
        errs = plain_and_present(n, raw, labels=OBLIGOR_LABELS, required=OBLIGOR_REQUIRED)
        if not errs:
            errs = _obligor_check(n, raw, areas)
        if errs:
            preview.errors.extend(errs)
        else:
            rows.append(ObligorRow(n, raw["obligor_code"], " ".join(raw["obligor_name"].split()),
                                   _OBLIGOR_KINDS[raw["obligor_kind"]], raw["jurisdiction_code"], raw["unit_code"]))
    codes = sorted({r.code for r in rows})
    taken = {c for chunk in _chunks(codes)
             for c in Obligor.objects.filter(code__in=chunk).values_list("code", flat=True)}
    units: dict[str, tuple[int, str, int | None]] = {}
    for chunk in _chunks(sorted({r.unit_code for r in rows})):
        units.update((code, (pk, grid_path, obligor)) for code, pk, grid_path, obligor in Unit.objects.filter(
            code__in=chunk).values_list("code", "pk", "building__grid__path", "obligor_id"))
    first_of: dict[str, ObligorRow] = {}
    unit_row: dict[str, int] = {}
    for r in rows:
        first = first_of.setdefault(r.code, r)
        unit = units.get(r.unit_code)
        if r.code in taken:
            preview.errors.append(RowError(r.row, OBLIGOR_LABELS["obligor_code"], _("This obligor code exists.")))
        elif (first.name, first.kind, first.jurisdiction_code) != (r.name, r.kind, r.jurisdiction_code):
            preview.errors.append(RowError(r.row, OBLIGOR_LABELS["obligor_code"], _(
                "Same obligor code as row %(n)d, with another name, kind or jurisdiction.") % {"n": first.row}))
        elif r.unit_code in unit_row:
            preview.errors.append(RowError(r.row, OBLIGOR_LABELS["unit_code"],
                                           _("Same unit code as row %(n)d.") % {"n": unit_row[r.unit_code]}))
        elif unit is None or not unit[1].startswith(path):
            preview.errors.append(RowError(r.row, OBLIGOR_LABELS["unit_code"],
                                           _("Unknown unit, or outside your area.")))
        elif not unit[1].startswith(areas[r.jurisdiction_code]):
            preview.errors.append(RowError(r.row, OBLIGOR_LABELS["unit_code"],
                                           _("This unit is not in the obligor's jurisdiction.")))
        elif unit[2] is not None:
            preview.errors.append(RowError(r.row, OBLIGOR_LABELS["unit_code"],
                                           _("This unit already has an obligor.")))
        else:
            unit_row[r.unit_code] = r.row
            r.unit_id = unit[0]
            preview.valid.append(r)
    preview.errors.sort(key=lambda e: e.row)
    if preview.errors:
        preview.valid = []  # all or nothing: the page offers no partial import
    return preview


def _obligor_check(n: int, raw: dict[str, str], areas: dict[str, str]) -> list[RowError]:
    errs = []
    if not OBLIGOR_CODE.fullmatch(raw["obligor_code"]):
        errs.append(RowError(n, OBLIGOR_LABELS["obligor_code"], _("4–32 letters, digits or hyphens.")))
    if not _TEXT.match(raw["obligor_name"]):
        errs.append(RowError(n, OBLIGOR_LABELS["obligor_name"],
                             _("At most 100 characters, without < > or control characters.")))
    if raw["obligor_kind"] not in _OBLIGOR_KINDS:
        errs.append(RowError(n, OBLIGOR_LABELS["obligor_kind"], _("One of: 房东, 用人单位, 旅馆, 时租房.")))
    if raw["jurisdiction_code"] not in areas:
        errs.append(RowError(n, OBLIGOR_LABELS["jurisdiction_code"], _("Unknown area, or outside your area.")))
    if not _CODE.match(raw["unit_code"]):
        errs.append(RowError(n, OBLIGOR_LABELS["unit_code"], _("4–40 letters, digits or hyphens.")))
    return errs


def obligor_import_commit(*, actor: User, filename: str, data: bytes, mode: Literal["all", "valid_rows"]
                          ) -> Preview[ObligorRow]:
    """Write the obligors and bind their units, in one transaction, only when no row has an error."""
    preview = obligor_import_preview(actor=actor, filename=filename, data=data)
    if mode != "all" or preview.errors:
        raise ValidationError(_("%(n)d rows have errors; nothing was imported.") % {"n": preview.error_rows},
                              code="row_errors", field="file")
    with transaction.atomic():
        if connection.vendor == "postgresql":  # the ids are ours: no other writer of obligors meanwhile
            with connection.cursor() as cur:
                cur.execute(f"LOCK TABLE {Obligor._meta.db_table} IN EXCLUSIVE MODE")
        areas = dict(Jurisdiction.objects.filter(code__in={r.jurisdiction_code for r in preview.valid})
                     .values_list("code", "id"))
        o0 = next_id(Obligor)
        ids: dict[str, int] = {}
        for r in preview.valid:
            ids.setdefault(r.code, o0 + len(ids))
        first = {r.code: r for r in reversed(preview.valid)}
        bulk_insert(Obligor, ["id", "name", "kind", "code", "jurisdiction_id"],
                    ((ids[c], first[c].name, first[c].kind, c, areas[first[c].jurisdiction_code]) for c in ids))
        reset_sequence(Obligor)
        bound = bulk_set(Unit, "obligor_id", [(r.unit_id, ids[r.code]) for r in preview.valid], only_null=True)
        if bound != len(preview.valid):  # bound meanwhile by someone else: undo all
            raise ValidationError(_("Some units got an obligor meanwhile; nothing was imported. Check the file "
                                    "again."), code="conflict", field="file")
        event_record(actor=actor, action="place.obligors.imported", subject_type="import", subject_id=filename[:60],
                     data={"obligors": len(ids), "units": bound})
    return preview
