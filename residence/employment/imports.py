"""An employer's hires and separations uploaded as a table (XLSX or CSV): each row a hire (招用) or a separation
(离职) of one worker. The two steps of every import (core/uploads.py): a preview with per-row errors, then all rows
(only when none has an error) or the valid rows only, in one transaction.

Each row is what `services.employment_report_hire` / `_separation` make of a single report: the deadline and
lateness from the rules (one engine call per kind of event for the whole file), a worker not on record created
(`people.services.persons_ensure`, set-based). The writes are set-based: employments through
`core.bulk.bulk_insert`, separations by `core.bulk.bulk_set`, and one audit event for the upload naming how many rows
it wrote. The items of a worker already on record are left as they are (the form updates them, with history).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.audit.services import event_record
from residence.core.bulk import bulk_insert, bulk_set
from residence.core.columns import Code, Column, coded, columns_read, date, errors_sort, rows_check
from residence.core.errors import ValidationError
from residence.core.idnumber import check_character, parse_id_number
from residence.core.tabular import SAMPLE_ROWS, Preview, RowError
from residence.employment.models import Employment
from residence.employment.services import HIRE, SEPARATION, employer_of, reports_due
from residence.people.identity import ID_NUMBER, PERSON_NAME, PHONE, id_index
from residence.people.services import persons_by_index, persons_ensure
from residence.places.models import Obligor

EVENT = coded([Code(HIRE, "招用", ("入职", "招聘", "hire", "hired")),
               Code(SEPARATION, "离职", ("辞退", "解聘", "离开", "separation", "left"))], by_name=True)
_EXAMPLE_FIRST = "11010519000101"  # a made-up worker born in 1900 (see registrations.imports)


def _example_id(seq: int) -> str:
    first = f"{_EXAMPLE_FIRST}{seq:03d}"
    return first + check_character(first)


COLUMNS = [
    Column("event", "变动类型", EVENT, required=True, example="招用"),
    Column("id_number", "身份证号", ID_NUMBER, required=True, unique=True, example=_example_id(321)),
    Column("name", "姓名", PERSON_NAME, example="张三"),
    Column("phone", "手机号", PHONE, example="13800001111"),
    Column("date", "日期", date(), required=True, example="2025-06-01"),
]
LABELS = {c.name: c.label for c in COLUMNS}


@dataclass(slots=True)
class ReportRow:
    row: int
    event: str
    id_number: str
    id_index: str
    name: str
    on: dt.date
    person_id: int | None = None
    employment_id: int | None = None  # the open employment a separation closes


@dataclass
class ReportsPreview(Preview[ReportRow]):
    counts: dict[str, int] = field(default_factory=dict)


def reports_example() -> dict[str, str]:
    return {"date": (timezone.localdate() - dt.timedelta(days=1)).isoformat()}


def reports_preview(*, actor: User, filename: str, data: bytes) -> ReportsPreview:
    """Read and check every row; nothing is written. Errors name the row and the column: the cell's own check, a
    hire without the worker's name, the template's example row, a hire of a worker employed already, a separation
    of someone not employed, or dated before the hire."""
    employer = employer_of(actor)
    table = columns_read(filename=filename, data=data, columns=COLUMNS)
    preview = ReportsPreview(skipped_empty=table.skipped_empty, encoding=table.encoding, total=len(table.rows),
                             encoding_warning=table.encoding_warning, sample=table.rows[:SAMPLE_ROWS])
    if not table.rows:
        raise ValidationError(_("The file has no rows below the header: nothing to report."), code="no_rows",
                              field="file")
    candidates: list[ReportRow] = []
    for checked in rows_check(table, COLUMNS):
        n, v, errs = checked.row, checked.values, checked.errors
        number = str(v.get("id_number") or "")
        if number.startswith(_EXAMPLE_FIRST):
            errs.append(RowError(n, LABELS["id_number"], _("This is the template's example row (a made-up person): "
                                                           "delete it before uploading.")))
        if v.get("event") == HIRE and "name" in v and not v["name"]:
            errs.append(RowError(n, LABELS["name"], _("Required for a hire.")))
        on = v.get("date")
        if number and isinstance(on, dt.date) and not errs and on < parse_id_number(number).birth_date:
            errs.append(RowError(n, LABELS["date"], _("Before the person's birth date.")))
        preview.errors.extend(errs)
        if not errs and number and isinstance(on, dt.date):
            candidates.append(ReportRow(row=n, event=str(v["event"]), id_number=number, id_index=id_index(number),
                                        name=str(v.get("name") or ""), on=on))
    _check_against_records(candidates, preview, employer)
    errors_sort(preview.errors, COLUMNS)
    return preview


def _check_against_records(rows: list[ReportRow], preview: ReportsPreview, employer: Obligor) -> None:
    persons = persons_by_index([r.id_index for r in rows])
    open_ = {pid: (eid, hired) for eid, pid, hired in Employment.objects.filter(
        employer=employer, separated_on__isnull=True, person_id__in=list(persons.values()))
        .values_list("pk", "person_id", "hired_on")}
    for r in rows:
        r.person_id = persons.get(r.id_index)
        here = open_.get(r.person_id) if r.person_id else None
        if r.event == HIRE and here is not None:
            preview.errors.append(RowError(r.row, LABELS["id_number"],
                                           _("This worker is already employed by you: report the separation "
                                             "first.")))
        elif r.event == SEPARATION and here is None:
            preview.errors.append(RowError(r.row, LABELS["id_number"],
                                           _("Nobody with this ID number is employed by you now.")))
        elif r.event == SEPARATION and here is not None and r.on < here[1]:
            preview.errors.append(RowError(r.row, LABELS["date"], _("Before the hire (%(hired)s).")
                                           % {"hired": here[1].isoformat()}))
        else:
            r.employment_id = here[0] if here else None
            preview.valid.append(r)


def reports_commit(*, actor: User, filename: str, data: bytes, mode: Literal["all", "valid_rows"]
                   ) -> ReportsPreview:
    """Write the reports: `all` refuses the whole file when any row has an error; `valid_rows` writes exactly the
    valid ones. One transaction; one audit event."""
    preview = reports_preview(actor=actor, filename=filename, data=data)
    if mode == "all" and preview.errors:
        raise ValidationError(_("%(n)d rows have errors; nothing was imported.") % {"n": preview.error_rows},
                              code="row_errors", field="file")
    employer = employer_of(actor)
    today, now = timezone.localdate(), timezone.now()
    hires = [r for r in preview.valid if r.event == HIRE]
    separations = [r for r in preview.valid if r.event == SEPARATION]
    with transaction.atomic():
        ids, created = persons_ensure([(parse_id_number(r.id_number), r.id_index, r.name) for r in hires])
        hire_due = reports_due(HIRE, [(r.on, today) for r in hires])
        bulk_insert(Employment, ["employer_id", "person_id", "hired_on", "hire_reported_at", "hire_due_on",
                                 "hire_late", "separation_late", "reported_by_id"],
                    ((employer.pk, ids[r.id_index], r.on, now, due, late, False, actor.pk)
                     for r, (due, late) in zip(hires, hire_due, strict=True)))
        sep_due = reports_due(SEPARATION, [(r.on, today) for r in separations])
        pairs = [(r.employment_id, r) for r in separations if r.employment_id]
        closed = bulk_set(Employment, "separated_on", [(eid, r.on) for eid, r in pairs], only_null=True)
        if closed != len(pairs):  # closed meanwhile by someone else: undo all
            raise ValidationError(_("Some of these workers' separations were reported meanwhile; nothing was "
                                    "imported. Check the file again."), code="conflict", field="file")
        bulk_set(Employment, "separation_reported_at", [(eid, now) for eid, _r in pairs])
        bulk_set(Employment, "separation_due_on", [(eid, due) for (eid, _r), (due, _l) in
                                                   zip(pairs, sep_due, strict=True)])
        bulk_set(Employment, "separation_late", [(eid, late) for (eid, _r), (_d, late) in
                                                 zip(pairs, sep_due, strict=True)])
        preview.counts = {"hires": len(hires), "separations": len(separations), "persons_created": len(created),
                          "late": sum(late for _d, late in hire_due) + sum(late for _d, late in sep_due)}
        event_record(actor=actor, action="employment.reports.uploaded", subject_type="import",
                     subject_id=filename[:60], data={"mode": mode, "rows": len(preview.valid), **preview.counts,
                                                     "rows_with_errors": preview.error_rows})
    return preview


def reports_done(preview: Preview[ReportRow]) -> str:
    counts = getattr(preview, "counts", {})
    return _("Reported: %(hires)d hires, %(separations)d separations (%(late)d late).") % {
        "hires": counts.get("hires", 0), "separations": counts.get("separations", 0), "late": counts.get("late", 0)}
