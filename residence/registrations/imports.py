"""Importing residents with their current residence from CSV or XLSX (records kept elsewhere before this system):
each row is a person and the unit they live in since a date. Preview with per-row errors, then commit either
everything (only when there is no error) or exactly the valid rows, in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.db import transaction
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.audit.services import event_record
from residence.core.columns import Column, code, columns_read, date, errors_sort, rows_check, text
from residence.core.errors import PermissionDenied, ValidationError
from residence.core.idnumber import check_character
from residence.core.tabular import Preview, RowError
from residence.people.choices import EDUCATION, ETHNICITY, MARITAL_STATUS
from residence.people.identity import ID_NUMBER, PERSON_NAME, PHONE, ProtectedIdentity, id_index, protect
from residence.people.models import Person
from residence.people.services import person_build
from residence.places.models import Unit
from residence.places.selectors import jurisdiction_path_for_user
from residence.registrations.models import PlaceClass, Registration
from residence.registrations.services import registration_area_paths, registration_written

# The template's example person: Beijing, Chaoyang, born 1 January 1900, so that the number, though valid, is
# unlikely to be a living person's.
_EXAMPLE_ID_FIRST = "11010519000101"


def _example_id(seq: int) -> str:
    first = f"{_EXAMPLE_ID_FIRST}{seq:03d}"
    return first + check_character(first)


COLUMNS = [
    Column("id_number", "身份证号", ID_NUMBER, required=True, unique=True, example=_example_id(123)),
    Column("name", "姓名", PERSON_NAME, required=True, example="张三"),
    Column("phone", "手机号", PHONE, example="13800001111"),
    Column("ethnicity", "民族", ETHNICITY, default="01", example="汉族"),
    Column("education", "文化程度", EDUCATION, example="大学本科"),
    Column("marital_status", "婚姻状况", MARITAL_STATUS, example="已婚"),
    Column("occupation", "职业", text(60), example="厨师"),
    Column("hukou_address", "户籍地址", text(200), example="北京市朝阳区"),
    Column("unit_code", "房屋编码", code(4, 40), required=True, example="44030800100100100000010001"),
    Column("started_on", "居住起始日期", date(), required=True, example="2025-06-01"),
]
REQUIRED = [c.name for c in COLUMNS if c.required]
LABELS = {c.name: c.label for c in COLUMNS}


@dataclass
class ResidentRow:
    row: int
    ident: ProtectedIdentity
    name: str
    ethnicity: str
    education: str
    marital_status: str
    occupation: str
    hukou_address: str
    unit_id: int
    started_on: dt.date


def resident_import_example(*, actor: User) -> dict[str, str]:
    """The template's example row for `actor`: a unit in their area and an ID number not on record, so that the
    row imports as it stands."""
    path = jurisdiction_path_for_user(actor) or "\x00"
    unit = (Unit.objects.filter(building__grid__path__startswith=path).order_by("pk")
            .values_list("code", flat=True).first())
    candidates = {id_index(_example_id(seq)): _example_id(seq) for seq in range(100, 200)}
    taken = set(Person.objects.filter(id_number_index__in=list(candidates)).values_list("id_number_index", flat=True))
    free = next((v for k, v in candidates.items() if k not in taken), _example_id(123))
    return {"id_number": free, **({"unit_code": unit} if unit else {})}


def resident_import_preview(*, actor: User, filename: str, data: bytes) -> Preview[ResidentRow]:
    """Read and check every row (ID number per GB 11643, name, phone, codes, a unit in the importer's area, the
    date); nothing is written."""
    if not can(actor, Capability.RESIDENT_IMPORT):
        raise PermissionDenied(_("You may not import residents."))
    table = columns_read(filename=filename, data=data, columns=COLUMNS)
    checked_rows = list(rows_check(table, COLUMNS))
    path = jurisdiction_path_for_user(actor) or "\x00"
    codes = {str(c.values["unit_code"]) for c in checked_rows if c.values.get("unit_code")}
    units = dict(Unit.objects.filter(code__in=codes, building__grid__path__startswith=path).values_list("code", "id"))
    preview: Preview[ResidentRow] = Preview.of(table)
    candidates: list[ResidentRow] = []
    for checked in checked_rows:
        row = _row(checked.row, checked.values, checked.errors, units)
        preview.errors.extend(checked.errors)
        if row is not None:
            candidates.append(row)
    existing = set(Person.objects.filter(id_number_index__in=[r.ident.id_number_index for r in candidates])
                   .values_list("id_number_index", flat=True))
    for r in candidates:
        if r.ident.id_number_index in existing:
            preview.errors.append(RowError(r.row, LABELS["id_number"], _("This person is already on record.")))
        else:
            preview.valid.append(r)
    errors_sort(preview.errors, COLUMNS)
    return preview


def _row(n: int, v: dict[str, object], errs: list[RowError], units: dict[str, int]) -> ResidentRow | None:
    """The checks that need more than one cell or the database, appended to `errs`; the row when there is none."""
    unit_id = units.get(str(v.get("unit_code", "")))
    if "unit_code" in v and unit_id is None:
        errs.append(RowError(n, LABELS["unit_code"], _("Unknown unit, or outside your area.")))
    ident = protect(id_number=str(v["id_number"]), phone=str(v.get("phone", ""))) if "id_number" in v else None
    started = v.get("started_on")
    if ident is not None and isinstance(started, dt.date) and started < ident.id_number.birth_date:
        errs.append(RowError(n, LABELS["started_on"], _("Before the person's birth date.")))
    if errs or ident is None or unit_id is None or not isinstance(started, dt.date):
        return None
    return ResidentRow(row=n, ident=ident, name=str(v["name"]), ethnicity=str(v["ethnicity"]),
                       education=str(v["education"]), marital_status=str(v["marital_status"]),
                       occupation=str(v["occupation"]), hukou_address=str(v["hukou_address"]), unit_id=unit_id,
                       started_on=started)


def resident_import_commit(*, actor: User, filename: str, data: bytes,
                           mode: Literal["all", "valid_rows"]) -> Preview[ResidentRow]:
    """Write the persons and their current registrations: `all` refuses the whole file when any row has an error;
    `valid_rows` writes exactly the valid ones. One transaction either way, so nothing is half-written."""
    preview = resident_import_preview(actor=actor, filename=filename, data=data)
    if mode == "all" and preview.errors:
        raise ValidationError(_("%(n)d rows have errors; nothing was imported.") % {"n": preview.error_rows},
                              code="row_errors", field="file")
    with transaction.atomic():
        persons = Person.objects.bulk_create([
            person_build(ident=r.ident, name=r.name, ethnicity=r.ethnicity, education=r.education,
                         marital_status=r.marital_status, occupation=r.occupation, hukou_address=r.hukou_address)
            for r in preview.valid], batch_size=2000)
        if any(p.pk is None for p in persons):  # databases that do not return ids from a bulk insert
            ids = dict(Person.objects.filter(id_number_index__in=[r.ident.id_number_index for r in preview.valid])
                       .values_list("id_number_index", "id"))
            for p in persons:
                p.pk = ids[p.id_number_index]
        areas = registration_area_paths(r.unit_id for r in preview.valid)
        Registration.objects.bulk_create([
            Registration(person_id=p.pk, unit_id=r.unit_id, place_class=PlaceClass.LONG_TERM, started_on=r.started_on,
                         area_path=areas[r.unit_id])
            for p, r in zip(persons, preview.valid, strict=True)], batch_size=2000)
        registration_written(person_ids=[p.pk for p in persons])
        event_record(actor=actor, action="registration.residents.imported", subject_type="import",
                     subject_id=filename[:60],
                     data={"mode": mode, "persons": len(persons), "rows_with_errors": preview.error_rows})
    return preview
