"""An obligor's declarations uploaded as a table (XLSX or CSV): each row an arrival (到达) or a departure (离开) at
one of the obligor's own units. The two steps of every import (core/uploads.py): a preview with per-row errors,
then all rows (only when none has an error) or the valid rows only. A file of more than IMPORT_JOB_ROWS rows is
committed by the worker (core/jobs.py), with a progress bar.

Each declaration is what `registrations.services.registration_declare_arrival` / `_departure` make of a single
one: the deadline and lateness from the rules (`core.rules.declarations_due`, one call per chunk and place class),
channel "upload", declared by the obligor; a person already on record gets the items the row gives updated, with
their history (PersonRevision). The writes are set-based: persons, registrations, revisions and search keys as rows
through `core.bulk.bulk_insert` (COPY on PostgreSQL), the updates of persons and registrations by `bulk_update`,
a chunk of rows at a time inside ONE transaction (all or nothing; see core/jobs.py), and one audit event for the
whole upload naming how many rows it wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from residence.accounts.models import User
from residence.audit.services import event_record
from residence.core.bulk import bulk_insert
from residence.core.columns import Code, Column, code, coded, columns_stream, date, errors_sort, rows_check_stream, text
from residence.core.errors import NotFound, ValidationError
from residence.core.jobs import Progress, job_runner
from residence.core.models import ImportJob
from residence.core.rules import declarations_due
from residence.core.tabular import SAMPLE_ROWS, Preview, RowError
from residence.people.choices import EDUCATION, ETHNICITY, MARITAL_STATUS
from residence.people.identity import ID_NUMBER, PERSON_NAME, PHONE, id_index
from residence.people.services import (
    NewPerson,
    PersonItems,
    person_search_keys_new,
    person_search_keys_stamp_bulk,
    persons_by_index,
    persons_insert,
    persons_items_update,
)
from residence.places.models import Obligor, Unit
from residence.places.selectors import obligor_of
from residence.registrations.imports import _EXAMPLE_ID_FIRST, _example_id
from residence.registrations.models import (
    DeclaredBy,
    PlaceClass,
    Registration,
    RegistrationStatus,
    ResidenceReason,
)
from residence.registrations.services import registration_area_paths

KIND = "registrations.declarations"  # the job kind (core/jobs.py)
CHANNEL = "upload"
CHUNK = 5_000  # rows checked against the database, and written, at a time
ERRORS_KEPT = 500  # errors a job's result lists

ARRIVAL, DEPARTURE = "arrival", "departure"
DECLARATION = coded([Code(ARRIVAL, "到达", ("到达登记", "入住", "arrival", "arrive")),
                     Code(DEPARTURE, "离开", ("离开登记", "离开申报", "退租", "departure", "depart"))], by_name=True)
# 居住事由: the names as the Chinese page shows them (ResidenceReason's labels), and their codes
REASON = coded([Code(ResidenceReason.WORK, "务工", ("工作", "打工")), Code(ResidenceReason.BUSINESS, "经商", ()),
                Code(ResidenceReason.STUDY, "就学", ("上学", "读书", "学习")),
                Code(ResidenceReason.FAMILY, "投靠亲友", ("投亲", "探亲", "投亲靠友")),
                Code(ResidenceReason.MEDICAL, "就医", ("看病",)), Code(ResidenceReason.OTHER, "其他", ("其它",))],
               by_name=True)

COLUMNS = [
    Column("declaration", "申报类型", DECLARATION, required=True, example="到达"),
    Column("unit_code", "房屋编码", code(4, 40), required=True, example="44030800100100100000010001"),
    Column("id_number", "身份证号", ID_NUMBER, required=True, example=_example_id(123)),
    Column("name", "姓名", PERSON_NAME, example="张三"),
    Column("phone", "手机号", PHONE, example="13800001111"),
    Column("ethnicity", "民族", ETHNICITY, example="汉族"),
    Column("education", "文化程度", EDUCATION, example="大学本科"),
    Column("marital_status", "婚姻状况", MARITAL_STATUS, example="已婚"),
    Column("occupation", "职业", text(60), example="厨师"),
    Column("hukou_address", "户籍地址", text(200), example="北京市朝阳区"),
    Column("reason", "居住事由", REASON, example="务工"),
    Column("started_on", "到达日期", date(), example="2025-06-01"),
    Column("expected_ended_on", "预计离开日期", date(not_future=False), example=""),
    Column("ended_on", "离开日期", date(), example=""),
]
LABELS = {c.name: c.label for c in COLUMNS}


@dataclass(slots=True)
class DeclarationRow:
    row: int
    kind: str  # ARRIVAL or DEPARTURE
    unit_id: int
    id_number: str  # normalised; encrypted only when written
    id_index: str
    name: str
    phone: str
    ethnicity: str
    education: str
    marital_status: str
    occupation: str
    hukou_address: str
    reason: str
    started_on: dt.date | None
    expected_ended_on: dt.date | None
    ended_on: dt.date | None
    person_id: int | None = None  # on record already
    registration_id: int | None = None  # the registration a departure ends


@dataclass
class DeclarationsPreview(Preview[DeclarationRow]):
    """The preview, and once written what was written: arrivals, departures, persons created and updated."""

    counts: dict[str, int] = field(default_factory=dict)
    valid_count: int = 0  # the valid rows, also when they were handed on as they came instead of kept in `valid`


def declarations_example(*, obligor: Obligor) -> dict[str, str]:
    """The template's example row for this obligor: its first unit and an arrival two days ago. Its person is made
    up (born 1900) and an upload refuses that row, so that a landlord who leaves it in declares no one who is not
    there."""
    unit = Unit.objects.filter(obligor=obligor).order_by("code").values_list("code", flat=True).first()
    arrived = timezone.localdate() - dt.timedelta(days=2)
    return {"started_on": arrived.isoformat(), **({"unit_code": unit} if unit else {})}


def _noop(done: int) -> None:
    return None


OnValid = Callable[[list[DeclarationRow], "DeclarationsPreview"], None]


def declarations_preview(*, actor: User, obligor: Obligor, filename: str, data: bytes,
                         progress: Callable[[int], None] = _noop, on_valid: OnValid | None = None
                         ) -> DeclarationsPreview:
    """Read and check every row, as it is read; nothing is written here. With `on_valid`, each chunk's valid rows
    are handed to it as soon as they are checked instead of being kept (the commit writes them: memory stays
    bounded however long the file). Errors name the row and the column: the cell's own check
    (ID number per GB 11643, codes, dates, formulas, markup), a unit that is not the obligor's, a missing name or
    date, an expected departure or a departure before the arrival, a person declared twice in the file, an arrival
    of someone registered at the unit already, a departure of someone not registered there."""
    if obligor_of(user=actor) != obligor:
        raise NotFound(_("No such premises."))
    table, rows = columns_stream(filename=filename, data=data, columns=COLUMNS)  # checked as read: bounded memory
    preview = DeclarationsPreview(skipped_empty=table.skipped_empty, encoding=table.encoding,
                                  encoding_warning=table.encoding_warning)

    def counted() -> Iterator[tuple[int, dict[str, str]]]:
        for n, raw in rows:
            if len(preview.sample) < SAMPLE_ROWS:
                preview.sample.append((n, raw))
            preview.total += 1
            yield n, raw

    units = {c: (pk, rental) for c, pk, rental in Unit.objects.filter(obligor=obligor).values_list(
        "code", "pk", "is_rental")}
    seen: dict[str, int] = {}  # ID number → the first row declaring that person
    pending: list[DeclarationRow] = []

    def flush() -> None:
        valid = _check_against_records(pending, preview, obligor)
        preview.valid_count += len(valid)
        if on_valid is not None:
            on_valid(valid, preview)
        else:
            preview.valid.extend(valid)
        pending.clear()
        progress(preview.total)

    for i, checked in enumerate(rows_check_stream(counted(), COLUMNS), start=1):
        row = _row(checked.row, checked.values, checked.errors, units, seen)
        preview.errors.extend(checked.errors)
        if row is not None:
            pending.append(row)
        if len(pending) >= CHUNK:
            flush()
        elif i % 500 == 0:
            progress(i)
    flush()
    if not preview.total:
        raise ValidationError(_("The file has no rows below the header: nothing to declare."), code="no_rows",
                              field="file")
    progress(preview.total)
    errors_sort(preview.errors, COLUMNS)
    return preview


def _row(n: int, v: dict[str, object], errs: list[RowError], units: dict[str, tuple[int, bool]],
         seen: dict[str, int]) -> DeclarationRow | None:
    """The checks of one row that need more than one cell, appended to `errs`; the row when there is none."""
    kind = v.get("declaration")
    unit = units.get(str(v.get("unit_code", "")))
    if "unit_code" in v and unit is None:
        errs.append(RowError(n, LABELS["unit_code"], _("Not one of your units (see the codes on your premises page).")))
    if kind == ARRIVAL:
        for name in ("name", "started_on"):
            if name in v and not v[name]:
                errs.append(RowError(n, LABELS[name], _("Required for an arrival.")))
    elif kind == DEPARTURE and "ended_on" in v and not v["ended_on"]:
        errs.append(RowError(n, LABELS["ended_on"], _("Required for a departure.")))
    started, expected, ended = v.get("started_on"), v.get("expected_ended_on"), v.get("ended_on")
    if isinstance(started, dt.date) and isinstance(expected, dt.date) and expected < started:
        errs.append(RowError(n, LABELS["expected_ended_on"], _("Before the arrival date.")))
    if isinstance(started, dt.date) and isinstance(ended, dt.date) and ended < started:
        errs.append(RowError(n, LABELS["ended_on"], _("Before the arrival date.")))
    number = str(v.get("id_number") or "")
    index = id_index(number) if number else ""
    if number.startswith(_EXAMPLE_ID_FIRST):
        errs.append(RowError(n, LABELS["id_number"], _("This is the template's example row (a made-up person): "
                                                       "delete it before uploading.")))
    elif number:
        if number in seen:
            errs.append(RowError(n, LABELS["id_number"], _("This person is declared in row %(n)d already; one "
                                                           "declaration per person in a file.") % {"n": seen[number]}))
        else:
            seen[number] = n
        if isinstance(started, dt.date) and kind == ARRIVAL:
            born = dt.date(int(str(number)[6:10]), int(str(number)[10:12]), int(str(number)[12:14]))
            if started < born:
                errs.append(RowError(n, LABELS["started_on"], _("Before the person's birth date.")))
    if errs or unit is None or not index or kind not in (ARRIVAL, DEPARTURE):
        return None
    return DeclarationRow(
        row=n, kind=str(kind), unit_id=unit[0], id_number=str(number), id_index=index, name=str(v.get("name") or ""),
        phone=str(v.get("phone") or ""), ethnicity=str(v.get("ethnicity") or ""),
        education=str(v.get("education") or ""), marital_status=str(v.get("marital_status") or ""),
        occupation=str(v.get("occupation") or ""), hukou_address=str(v.get("hukou_address") or ""),
        reason=str(v.get("reason") or ""), started_on=started if isinstance(started, dt.date) else None,
        expected_ended_on=expected if isinstance(expected, dt.date) else None,
        ended_on=ended if isinstance(ended, dt.date) else None)


def _check_against_records(rows: list[DeclarationRow], preview: Preview[DeclarationRow], obligor: Obligor
                           ) -> list[DeclarationRow]:
    """The checks that need the records, for a chunk of rows: who is on record, who is registered at which of the
    obligor's units now. Returns the valid rows; the others' errors go to `preview.errors`."""
    if not rows:
        return []
    valid = []
    persons = persons_by_index([r.id_index for r in rows])
    current = {(pid, uid): (rid, started) for rid, pid, uid, started in Registration.objects.current().filter(
        person_id__in=list(persons.values()), unit__obligor=obligor).values_list(
        "pk", "person_id", "unit_id", "started_on")}
    for r in rows:
        r.person_id = persons.get(r.id_index)
        here = current.get((r.person_id, r.unit_id)) if r.person_id else None
        if r.kind == ARRIVAL and here is not None:
            preview.errors.append(RowError(r.row, LABELS["id_number"],
                                           _("This person is already registered at this unit.")))
        elif r.kind == DEPARTURE and here is None:
            preview.errors.append(RowError(r.row, LABELS["id_number"],
                                           _("Nobody with this ID number is registered at this unit now.")))
        elif r.kind == DEPARTURE and r.ended_on is not None and here is not None and r.ended_on < here[1]:
            preview.errors.append(RowError(r.row, LABELS["ended_on"], _("Before the arrival (%(start)s).")
                                           % {"start": here[1].isoformat()}))
        else:
            r.registration_id = here[0] if here else None
            valid.append(r)
    return valid


def declarations_commit(*, actor: User, obligor: Obligor, filename: str, data: bytes,
                        mode: Literal["all", "valid_rows"], progress: Progress | None = None
                        ) -> DeclarationsPreview:
    """Write the declarations: `all` refuses the whole file when any row has an error; `valid_rows` writes exactly
    the valid ones. Each chunk of rows is written as soon as it is checked, all inside one transaction that a
    refusal or any failure rolls back whole; one audit event names how many rows were written."""
    if progress is not None:
        progress.phase(ImportJob.Phase.WRITING)
    now = timezone.now()
    rental = set(Unit.objects.filter(obligor=obligor, is_rental=True).values_list("pk", flat=True))
    areas = registration_area_paths(Unit.objects.filter(obligor=obligor).values_list("pk", flat=True))
    counts = {"arrivals": 0, "departures": 0, "persons_created": 0, "persons_updated": 0}

    def write(part: list[DeclarationRow], so_far: DeclarationsPreview) -> None:
        if mode == "all" and so_far.errors:
            return  # refused at the end anyway: no need to write more
        created = _write_arrivals(actor, [r for r in part if r.kind == ARRIVAL], rental, areas, now, counts)
        _write_departures([r for r in part if r.kind == DEPARTURE], rental, now, counts)
        # the persons created now have one registration, just written: their keys without reading it back
        person_search_keys_new(persons=((r.person_id, r.name, [(areas[r.unit_id], None)])
                                        for r in part if r.person_id is not None and r.row in created))
        person_search_keys_stamp_bulk(person_ids=[r.person_id for r in part if r.person_id and r.row not in created])

    with transaction.atomic():
        preview = declarations_preview(actor=actor, obligor=obligor, filename=filename, data=data,
                                       progress=progress or _noop, on_valid=write)
        if mode == "all" and preview.errors:
            raise ValidationError(_("%(n)d rows have errors; nothing was imported.") % {"n": preview.error_rows},
                                  code="row_errors", field="file")
        if not preview.valid_count:
            raise ValidationError(_("No row is valid; nothing was imported."), code="no_valid_rows", field="file")
        event_record(actor=actor, action="registration.declarations.uploaded", subject_type="import",
                     subject_id=filename[:60], data={"mode": mode, "rows": preview.valid_count,
                                                     "rows_with_errors": preview.error_rows, **counts})
    preview.counts = counts
    return preview


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _due(event: str, rows: Sequence[DeclarationRow], day_of: Callable[[DeclarationRow], dt.date],
         rental: set[int], now: dt.datetime) -> Iterator[tuple[DeclarationRow, dt.datetime, bool]]:
    """Each row with its deadline and lateness: one call of the rules per place class."""
    for place_class in ("rental", "long_term"):
        group = [r for r in rows if (r.unit_id in rental) == (place_class == "rental")]
        due = declarations_due(place_class, event, [(_start_of(day_of(r)), now) for r in group])
        for r, (at, late) in zip(group, due, strict=True):
            yield r, at, late


_REGISTRATION_COLUMNS = ["person_id", "unit_id", "place_class", "started_on", "ended_on", "created_at", "area_path",
                         "declared_by", "declared_by_account_id", "channel", "declared_at", "due_at", "late",
                         "departure_declared_at", "departure_late", "departure_declared_by", "departure_channel",
                         "expected_ended_on", "reason", "status", "cancel_reason", "cancelled_at"]


def _write_arrivals(actor: User, rows: list[DeclarationRow], rental: set[int], areas: dict[int, str],
                    now: dt.datetime, counts: dict[str, int]) -> set[int]:
    """The arrivals' registrations, the persons not on record created first and those on record updated with the
    items the rows give; returns the rows (their numbers) whose person was created."""
    if not rows:
        return set()
    new = [r for r in rows if r.person_id is None]
    counts["persons_updated"] += persons_items_update(
        actor=actor, source="registration.declarations.uploaded", now=now,
        items={r.person_id: PersonItems(name=r.name, phone=r.phone, ethnicity=r.ethnicity, education=r.education,
                                        marital_status=r.marital_status, occupation=r.occupation,
                                        hukou_address=r.hukou_address)
               for r in rows if r.person_id is not None})
    if new:
        ids = persons_insert([NewPerson(r.id_number, r.id_index, r.name, r.phone, r.ethnicity or "01", r.education,
                                        r.marital_status, r.occupation, r.hukou_address) for r in new], now=now)
        counts["persons_created"] += len(ids)
        for r in new:
            r.person_id = ids[r.id_index]
    reg_rows = (
        [r.person_id, r.unit_id, PlaceClass.LONG_TERM.value, r.started_on, None, now, areas[r.unit_id],
         DeclaredBy.OBLIGOR.value, actor.pk, CHANNEL, now, due, late, None, False, "", "", r.expected_ended_on,
         r.reason, RegistrationStatus.CONFIRMED.value, "", None]
        for r, due, late in _due("arrival", rows, lambda r: r.started_on or now.date(), rental, now))
    counts["arrivals"] += bulk_insert(Registration, _REGISTRATION_COLUMNS, reg_rows)
    return {r.row for r in new}


def _write_departures(rows: list[DeclarationRow], rental: set[int], now: dt.datetime,
                      counts: dict[str, int]) -> None:
    if not rows:
        return
    regs = {g.pk: g for g in Registration.objects.select_for_update().filter(
        pk__in=[r.registration_id for r in rows], ended_on__isnull=True)}
    ended = []
    for r, _due_at, late in _due("departure", rows, lambda r: r.ended_on or now.date(), rental, now):
        g = regs.get(r.registration_id)  # type: ignore[arg-type]
        if g is None:  # ended since the check: the file is older than the records
            raise ValidationError(_("Row %(row)d: this registration has ended meanwhile; check the file again.")
                                  % {"row": r.row}, code="changed", field="file")
        g.ended_on, g.departure_declared_at, g.departure_late = r.ended_on, now, late
        g.departure_declared_by, g.departure_channel = DeclaredBy.OBLIGOR.value, CHANNEL
        ended.append(g)
    Registration.objects.bulk_update(ended, ["ended_on", "departure_declared_at", "departure_late",
                                             "departure_declared_by", "departure_channel"], batch_size=1000)
    counts["departures"] += len(ended)


def declarations_done(preview: DeclarationsPreview) -> str:
    """The result in words."""
    counts = preview.counts
    said = ngettext("%(n)d declaration uploaded: %(arrivals)d arrivals, %(departures)d departures.",
                    "%(n)d declarations uploaded: %(arrivals)d arrivals, %(departures)d departures.",
                    preview.valid_count) % {"n": preview.valid_count, "arrivals": counts.get("arrivals", 0),
                                           "departures": counts.get("departures", 0)}
    if preview.error_rows:
        left_out = ngettext("%(n)d row with errors was left out.", "%(n)d rows with errors were left out.",
                               preview.error_rows) % {"n": preview.error_rows}
        said = _("%(uploaded)s %(left_out)s") % {"uploaded": said, "left_out": left_out}  # no space in Chinese
    return said


@job_runner(KIND)
def declarations_job(job: ImportJob, data: bytes, progress: Progress) -> dict[str, Any]:
    """The worker's side of a large upload (core/jobs.py): the same commit, reporting progress."""
    obligor = obligor_of(user=job.owner)
    if obligor is None:
        raise NotFound(_("No such premises."))
    preview = declarations_commit(actor=job.owner, obligor=obligor, filename=job.filename, data=data,
                                  mode=job.params.get("mode", "all"), progress=progress)
    return {"summary": declarations_done(preview), "counts": preview.counts,
            "errors": [e.text for e in preview.errors[:ERRORS_KEPT]],
            "errors_more": max(0, len(preview.errors) - ERRORS_KEPT), "back": reverse("registrations:mine")}
