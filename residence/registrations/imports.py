"""Importing residents with their current residence from CSV or XLSX (records kept elsewhere before this system):
each row is a person and the unit they live in since a date. Preview with per-row errors, then commit either
everything (only when there is no error) or exactly the valid rows, in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.audit.services import event_record
from residence.core.errors import PermissionDenied, ValidationError
from residence.core.tabular import Preview, RowError, plain_and_present, read_table_with_columns
from residence.people.choices import Education, Ethnicity, MaritalStatus
from residence.people.identity import ProtectedIdentity, clean_name, clean_phone, protect
from residence.people.models import Person
from residence.people.services import person_build
from residence.places.models import Unit
from residence.places.selectors import jurisdiction_path_for_user
from residence.registrations.models import PlaceClass, Registration
from residence.registrations.services import registration_area_paths, registration_written

REQUIRED = ["id_number", "name", "unit_code", "started_on"]
LABELS = {"id_number": "身份证号", "name": "姓名", "phone": "手机号", "ethnicity": "民族", "education": "文化程度",
          "marital_status": "婚姻状况", "occupation": "职业", "hukou_address": "户籍地址", "unit_code": "房屋编码",
          "started_on": "居住起始日期"}


def _coded(choices: type) -> dict[str, str]:
    """Accept a coded value by its code or by its standard Chinese name."""
    return {**{v: v for v in choices.values}, **{str(label): v for v, label in choices.choices}}  # type: ignore[attr-defined]


_ETHNICITY, _EDUCATION, _MARITAL = _coded(Ethnicity), _coded(Education), _coded(MaritalStatus)
_FREE_TEXT_MAX = {"occupation": 60, "hukou_address": 200}


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


def resident_import_preview(*, actor: User, filename: str, data: bytes) -> Preview[ResidentRow]:
    """Read and check every row (ID number per GB 11643, name, phone, codes, a unit in the importer's area, the
    date); nothing is written."""
    if not can(actor, Capability.RESIDENT_IMPORT):
        raise PermissionDenied(_("You may not import residents."))
    table = read_table_with_columns(filename=filename, data=data, labels=LABELS, required=REQUIRED)
    path = jurisdiction_path_for_user(actor) or "\x00"
    codes = {raw.get("unit_code", "") for _n, raw in table.rows}
    units = dict(Unit.objects.filter(code__in=codes, building__grid__path__startswith=path).values_list("code", "id"))
    preview: Preview[ResidentRow] = Preview.of(table)
    candidates: list[ResidentRow] = []
    for n, raw in table.rows:
        row, errors = _check(n, raw, units)
        preview.errors.extend(errors)
        if row is not None:
            candidates.append(row)
    existing = set(Person.objects.filter(id_number_index__in=[r.ident.id_number_index for r in candidates])
                   .values_list("id_number_index", flat=True))
    seen: dict[str, int] = {}
    for r in candidates:
        key = r.ident.id_number_index
        if key in seen:
            preview.errors.append(RowError(r.row, LABELS["id_number"],
                                           _("Same ID number as row %(n)d.") % {"n": seen[key]}))
        elif key in existing:
            preview.errors.append(RowError(r.row, LABELS["id_number"], _("This person is already on record.")))
        else:
            seen[key] = r.row
            preview.valid.append(r)
    preview.errors.sort(key=lambda e: e.row)
    return preview


def _check(n: int, raw: dict[str, str], units: dict[str, int]) -> tuple[ResidentRow | None, list[RowError]]:
    errs = plain_and_present(n, raw, labels=LABELS, required=REQUIRED)
    if errs:
        return None, errs
    ident = name = None
    phone = raw.get("phone", "")
    try:
        phone = clean_phone(phone) if phone else ""
    except ValidationError as exc:
        errs.append(RowError(n, LABELS["phone"], exc.message))
    try:
        ident = protect(id_number=raw["id_number"], phone=phone if not errs else "")
    except ValidationError as exc:
        errs.append(RowError(n, LABELS["id_number"], exc.message))
    try:
        name = clean_name(raw["name"])
    except ValidationError as exc:
        errs.append(RowError(n, LABELS["name"], exc.message))
    coded = {}
    for col, table, hint in [("ethnicity", _ETHNICITY, _("A name such as 汉族, or its two-digit code.")),
                             ("education", _EDUCATION, _("A GB/T 4658 name such as 大学本科, or its code.")),
                             ("marital_status", _MARITAL, _("未婚, 已婚, 丧偶, 离婚 or 未说明, or its code."))]:
        value = raw.get(col, "")
        coded[col] = table.get(value, "") if value else ("01" if col == "ethnicity" else "")
        if value and value not in table:
            errs.append(RowError(n, LABELS[col], hint))
    for col, limit in _FREE_TEXT_MAX.items():
        value = raw.get(col, "")
        if len(value) > limit or any(c in value for c in "<>") or any(ord(c) < 32 for c in value):
            errs.append(RowError(n, LABELS[col], _("At most %(n)d characters, without < > or control characters.")
                                 % {"n": limit}))
    unit_id = units.get(raw["unit_code"])
    if unit_id is None:
        errs.append(RowError(n, LABELS["unit_code"], _("Unknown unit, or outside your area.")))
    started = None
    try:
        started = dt.date.fromisoformat(raw["started_on"][:10])
    except ValueError:
        errs.append(RowError(n, LABELS["started_on"], _("A date as YYYY-MM-DD.")))
    else:
        if started > timezone.localdate():
            errs.append(RowError(n, LABELS["started_on"], _("A date in the future.")))
        elif ident is not None and started < ident.id_number.birth_date:
            errs.append(RowError(n, LABELS["started_on"], _("Before the person's birth date.")))
    if errs or ident is None or name is None or unit_id is None or started is None:
        return None, errs
    return ResidentRow(row=n, ident=ident, name=name, ethnicity=coded["ethnicity"], education=coded["education"],
                       marital_status=coded["marital_status"], occupation=raw.get("occupation", ""),
                       hukou_address=raw.get("hukou_address", ""), unit_id=unit_id, started_on=started), []


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
