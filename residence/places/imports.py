"""Importing standard addresses (buildings and their units) from CSV or XLSX: preview with per-row errors, then
commit either everything (only when there is no error) or exactly the valid rows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from django.db import transaction
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.audit.services import event_record
from residence.core.errors import PermissionDenied, ValidationError
from residence.core.tabular import Preview, RowError, plain_and_present, read_table_with_columns
from residence.places.models import Building, Jurisdiction, SafetyGrade, Unit, UnitKind
from residence.places.selectors import jurisdiction_path_for_user

REQUIRED = ["grid_code", "address_code", "road", "door_plate", "unit_code", "unit_label"]
LABELS = {"grid_code": "网格代码", "address_code": "地址编码", "road": "道路", "door_plate": "门牌号",
          "building_name": "楼栋名称", "unit_code": "房屋编码", "unit_label": "房号", "unit_kind": "房屋类型",
          "is_rental": "是否出租屋", "safety_grade": "治安等级"}
_CODE = re.compile(r"^[0-9A-Za-z-]{4,40}$")
_TEXT = re.compile(r"^[^<>\x00-\x1f\x7f]{1,100}$")
_KINDS = {"住宅": "flat", "房间": "room", "集体宿舍": "dormitory", "旅馆": "hotel", **{k: k for k in UnitKind.values}}
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


def address_import_preview(*, actor: User, filename: str, data: bytes) -> Preview[AddressRow]:
    """Read and check every row; nothing is written."""
    if not can(actor, Capability.ADDRESS_IMPORT):
        raise PermissionDenied(_("You may not import addresses."))
    table = read_table_with_columns(filename=filename, data=data, labels=LABELS, required=REQUIRED)
    path = jurisdiction_path_for_user(actor) or "\x00"
    grids = dict(Jurisdiction.objects.filter(level="grid", path__startswith=path).values_list("code", "id"))
    preview: Preview[AddressRow] = Preview.of(table)
    candidates: list[AddressRow] = []
    for n, raw in table.rows:
        row_errors = _check(n, raw, grids)
        if row_errors:
            preview.errors.extend(row_errors)
            continue
        candidates.append(_row(n, raw))
    # duplicates inside the file and against the database
    seen_units: dict[str, int] = {}
    existing_units = set(Unit.objects.filter(code__in=[r.unit_code for r in candidates]).values_list("code", flat=True))
    buildings = {r.address_code: r for r in candidates}
    existing_buildings = dict(Building.objects.filter(address_code__in=list(buildings)).values_list(
        "address_code", "grid__code"))
    for r in candidates:
        if r.unit_code in seen_units:
            preview.errors.append(RowError(r.row, LABELS["unit_code"],
                                           _("Same unit code as row %(n)d.") % {"n": seen_units[r.unit_code]}))
        elif r.unit_code in existing_units:
            preview.errors.append(RowError(r.row, LABELS["unit_code"], _("This unit code already exists.")))
        elif existing_buildings.get(r.address_code, r.grid_code) != r.grid_code:
            preview.errors.append(RowError(r.row, LABELS["address_code"],
                                           _("This address code exists in another grid.")))
        else:
            seen_units[r.unit_code] = r.row
            preview.valid.append(r)
    preview.errors.sort(key=lambda e: e.row)
    return preview


def _check(n: int, raw: dict[str, str], grids: dict[str, int]) -> list[RowError]:
    errs = plain_and_present(n, raw, labels=LABELS, required=REQUIRED)
    if errs:
        return errs
    if raw["grid_code"] not in grids:
        errs.append(RowError(n, LABELS["grid_code"], _("Unknown grid, or outside your area.")))
    for col in ("address_code", "unit_code"):
        if not _CODE.match(raw[col]):
            errs.append(RowError(n, LABELS[col], _("4–40 letters, digits or hyphens.")))
    for col in ("road", "door_plate", "building_name", "unit_label"):
        value = raw.get(col, "")
        if value and not _TEXT.match(value):
            errs.append(RowError(n, LABELS[col], _("At most 100 characters, without < > or control characters.")))
    if raw.get("unit_kind", "") and raw["unit_kind"] not in _KINDS:
        errs.append(RowError(n, LABELS["unit_kind"], _("One of: 住宅, 房间, 集体宿舍, 旅馆.")))
    if raw.get("is_rental", "").lower() not in _YES:
        errs.append(RowError(n, LABELS["is_rental"], _("是 or 否.")))
    if raw.get("safety_grade", "") and raw["safety_grade"] not in SafetyGrade.values:
        errs.append(RowError(n, LABELS["safety_grade"], _("A, B or C.")))
    return errs


def _row(n: int, raw: dict[str, str]) -> AddressRow:
    return AddressRow(
        row=n, grid_code=raw["grid_code"], address_code=raw["address_code"], road=raw["road"],
        door_plate=raw["door_plate"], building_name=raw.get("building_name", ""), unit_code=raw["unit_code"],
        unit_label=raw["unit_label"], unit_kind=_KINDS.get(raw.get("unit_kind", ""), "flat"),
        is_rental=_YES[raw.get("is_rental", "").lower()], safety_grade=raw.get("safety_grade", ""),
    )


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
