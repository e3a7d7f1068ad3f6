"""Writes on persons. Every service records its audit event in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.audit.services import event_record
from residence.core import crypto
from residence.core.bulk import COPY_FROM, bulk_insert, bulk_insert_new, copy_or_conflict, json_value
from residence.core.errors import PermissionDenied, ValidationError
from residence.core.idnumber import IdNumber
from residence.core.lean import prepared
from residence.core.text import clean_text
from residence.people.choices import Education, Ethnicity, MaritalStatus
from residence.people.identity import (
    ID_CONTEXT,
    PHONE_CONTEXT,
    ProtectedIdentity,
    clean_name,
    clean_phone,
    mask_id,
    mask_phone,
    name_initials,
    phone_index,
    protect,
    redact_numbers,
    reveal_id_number,
    reveal_phone,
    search_keys,
)
from residence.people.models import Person, PersonRevision, PersonSearchKey, ReadHold
from residence.people.selectors import person_get_for_user


def person_build(*, ident: ProtectedIdentity, name: str, ethnicity: str = "01", education: str = "",
                 marital_status: str = "", occupation: str = "", hukou_address: str = "") -> Person:
    """An unsaved Person from checked identity fields and a cleaned name: the one place a record is assembled,
    for the single-person service and the bulk import alike."""
    return Person(
        id_number_enc=ident.id_number_enc, id_number_index=ident.id_number_index,
        id_number_masked=ident.id_number_masked, name=name, name_initials=name_initials(name),
        sex=ident.id_number.sex, birth_date=ident.id_number.birth_date, origin_code=ident.id_number.division_code,
        ethnicity=ethnicity, education=education, marital_status=marital_status, occupation=occupation,
        phone_enc=ident.phone_enc, phone_index=ident.phone_index, phone_masked=ident.phone_masked,
        hukou_address=hukou_address,
    )


# The columns of a new person's row, in the order of person_rows' tuples: the same values as person_build's, without
# a model instance per person (the stays API creates up to 1,000 guests a batch).
PERSON_ROW_COLUMNS = ("id_number_enc", "id_number_index", "id_number_masked", "name", "name_initials", "sex",
                      "birth_date", "origin_code", "ethnicity", "education", "marital_status", "occupation",
                      "phone_enc", "phone_index", "phone_masked", "hukou_address", "photo", "created_at")


def person_rows(guests: Sequence[tuple[IdNumber, str, str]], *, now: dt.datetime) -> list[tuple[Any, ...]]:
    """Rows (PERSON_ROW_COLUMNS) of new persons known by ID number, its blind index and a cleaned name, as
    person_build assembles them (defaults for the rest, no phone): the ID numbers encrypted in one call."""
    encrypted = crypto.encrypt_many([idn.value for idn, _index, _name in guests], context=ID_CONTEXT)
    return [(enc, index, mask_id(idn.value), name, name_initials(name), idn.sex, idn.birth_date, idn.division_code,
             "01", "", "", "", None, "", "", "", "", now)
            for (idn, index, name), enc in zip(guests, encrypted, strict=True)]


def persons_ensure(guests: Sequence[tuple[IdNumber, str, str]]) -> tuple[dict[str, int], set[int]]:
    """The ids (by blind index) of these persons (ID number, its blind index, cleaned name), creating in the caller's
    transaction those not on record; and the ids of the persons this call created. Set-based: many persons are
    looked up, then those missing are written, on PostgreSQL by COPY with ids from the table's sequence; a few are
    written first (INSERT … ON CONFLICT DO NOTHING, one statement) and only those already on record looked up. A
    concurrent transaction writing one of the same persons wins: its row is used (after a failed COPY is undone)."""
    found: dict[str, int] = {}
    if len(guests) >= COPY_FROM:
        found = persons_by_index([index for _idn, index, _name in guests])
        guests = [g for g in guests if g[1] not in found]
        if guests and connection.vendor == "postgresql":
            rows = person_rows(guests, now=timezone.now())
            with connection.cursor() as cur:
                cur.execute(f"SELECT nextval(q.seq) FROM (SELECT pg_get_serial_sequence('{Person._meta.db_table}', "
                            f"'id')::regclass AS seq) q, generate_series(1, %s)", [len(rows)])
                ids = [r[0] for r in cur.fetchall()]
            if copy_or_conflict(Person, ("id", *PERSON_ROW_COLUMNS),
                                [(pk, *row) for pk, row in zip(ids, rows, strict=True)]):
                found.update((index, pk) for (_idn, index, _name), pk in zip(guests, ids, strict=True))
                return found, set(ids)
    if not guests:
        return found, set()
    made = dict(bulk_insert_new(Person, PERSON_ROW_COLUMNS, person_rows(guests, now=timezone.now()),
                                conflict=["id_number_index"], returning=("id_number_index", "id")))
    found.update(made)
    found.update(persons_by_index([index for _idn, index, _name in guests if index not in made]))
    return found, set(made.values())


def persons_by_index(indexes: Sequence[str]) -> dict[str, int]:
    """Person ids by ID-number blind index; on PostgreSQL with the indexes as one array (a short query whatever their
    number), each looked up in the unique index."""
    if not indexes:
        return {}
    if connection.vendor != "postgresql":
        return dict(Person.objects.filter(id_number_index__in=indexes).values_list("id_number_index", "id"))
    # one index probe per value, whatever the planner guesses: with `= ANY(array)` it read the whole table (a
    # custom plan for 1,000 values, costed as random reads, lost to a sequential scan: 20 ms at 120,000 persons)
    with connection.cursor() as cur:
        cur.execute(prepared(f"SELECT k, (SELECT id FROM {Person._meta.db_table} WHERE id_number_index = k) "
                             f"FROM unnest(%b::varchar[]) k"), [list(indexes)])
        return {index: pk for index, pk in cur.fetchall() if pk is not None}


@dataclass(frozen=True, slots=True)
class NewPerson:
    """A person not on record, from checked cells (a bulk declaration): the ID number valid per GB 11643 and
    normalised, its blind index, the cleaned name and phone; the other items as coded."""

    id_number: str
    id_index: str
    name: str
    phone: str = ""
    ethnicity: str = "01"
    education: str = ""
    marital_status: str = ""
    occupation: str = ""
    hukou_address: str = ""


def persons_insert(people: Sequence[NewPerson], *, now: dt.datetime) -> dict[str, int]:
    """Write persons not on record (the columns as `person_build` assembles them, without a model instance each; the
    ID and phone numbers encrypted a batch at a time) in the caller's transaction, set-based (core.bulk, COPY on
    PostgreSQL with ids taken from the table's sequence first). Returns their ids by blind index. A person already
    on record fails the whole write (the unique blind index): callers look them up first."""
    if not people:
        return {}
    ids_enc = crypto.encrypt_many([p.id_number for p in people], context=ID_CONTEXT)
    phones = [p.phone for p in people if p.phone]
    phones_enc = iter(crypto.encrypt_many(phones, context=PHONE_CONTEXT))
    phones_index = iter(crypto.blind_index_many(phones, context=PHONE_CONTEXT))
    rows = []
    for p, enc in zip(people, ids_enc, strict=True):
        idn = IdNumber(p.id_number)
        phone = (next(phones_enc), next(phones_index), mask_phone(p.phone)) if p.phone else (None, "", "")
        rows.append((enc, p.id_index, mask_id(p.id_number), p.name, name_initials(p.name), idn.sex, idn.birth_date,
                     idn.division_code, p.ethnicity or "01", p.education, p.marital_status, p.occupation, *phone,
                     p.hukou_address, "", now))
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"SELECT nextval(q.seq) FROM (SELECT pg_get_serial_sequence('{Person._meta.db_table}', "
                        f"'id')::regclass AS seq) q, generate_series(1, %s)", [len(rows)])
            ids = [r[0] for r in cur.fetchall()]
        bulk_insert(Person, ("id", *PERSON_ROW_COLUMNS), [(pk, *row) for pk, row in zip(ids, rows, strict=True)])
        return {p.id_index: pk for p, pk in zip(people, ids, strict=True)}
    bulk_insert(Person, PERSON_ROW_COLUMNS, rows)
    return persons_by_index([p.id_index for p in people])


def person_create(
    *, actor: User | None, id_number: str, name: str, phone: str = "", ethnicity: str = "01",
    education: str = "", marital_status: str = "", occupation: str = "", hukou_address: str = "",
) -> Person:
    person = person_build(ident=protect(id_number=id_number, phone=phone), name=clean_name(name),
                          ethnicity=ethnicity, education=education, marital_status=marital_status,
                          occupation=occupation, hukou_address=hukou_address)
    with transaction.atomic():
        if Person.objects.select_for_update().filter(id_number_index=person.id_number_index).exists():
            raise ValidationError(_("A person with this ID number already exists."), code="duplicate",
                                  field="id_number")
        person.save()
        person_search_keys_stamp(person_ids=[person.pk])
        event_record(actor=actor, action="person.created", subject_type="person", subject_id=person.pk)
    return person


@dataclass(frozen=True, slots=True)
class PersonItems:
    """The items a declaration collects about a person beyond the ID number (HB: marital status, education,
    occupation, phone …). An empty item means "not given": it never erases what is on record."""

    name: str = ""
    phone: str = ""
    ethnicity: str = ""
    education: str = ""
    marital_status: str = ""
    occupation: str = ""
    hukou_address: str = ""

    def checked(self) -> PersonItems:
        """The items cleaned and checked, each error naming its field."""
        for field_name, choices in (("ethnicity", Ethnicity), ("education", Education),
                                    ("marital_status", MaritalStatus)):
            value = getattr(self, field_name)
            if value and value not in choices.values:
                raise ValidationError(_("Not a known code: %(value)s.") % {"value": value[:10]}, code="code",
                                      field=field_name)
        occupation = clean_text(self.occupation, "occupation", length=60)
        address = clean_text(self.hukou_address, "hukou_address", length=200)
        return PersonItems(name=clean_name(self.name) if self.name else "", phone=self.phone.strip(),
                           ethnicity=self.ethnicity, education=self.education, marital_status=self.marital_status,
                           occupation=occupation, hukou_address=address)


def person_items_update(*, actor: User | None, person: Person, items: PersonItems, source: str) -> list[str]:
    """A later declaration names a person already on record: the items it gives that differ from the record replace
    them, and the values before and after are kept (PersonRevision; a phone only masked). Call inside the
    declaration's transaction with `person` locked. Returns the names of the items changed."""
    before, after = _items_applied(person, items.checked())
    if not after:
        return []
    person.save()
    PersonRevision.objects.create(person=person, at=timezone.now(), by=actor, source=source[:40], before=before,
                                  after=after)
    if "name" in after:
        person_search_keys_stamp(person_ids=[person.pk])
    event_record(actor=actor, action="person.items.updated", subject_type="person", subject_id=person.pk,
                 data={"items": sorted(after), "source": source[:40]})
    return sorted(after)


def persons_items_update(*, actor: User | None, items: dict[int, PersonItems], source: str,
                         now: dt.datetime) -> int:
    """`person_items_update` for many persons of one bulk declaration (an upload), by person id: the same changes and
    revisions, set-based (the persons locked and read in one query, written by bulk_update, the revisions by
    core.bulk). The items come checked cell by cell by the caller's import columns. No event per person: call inside
    the caller's transaction, whose one audit event counts them; search keys are the caller's to restamp (it
    restamps every person it declared). Returns how many persons changed."""
    if not items:
        return 0
    changed: list[Person] = []
    fields: set[str] = set()
    revisions: list[tuple[Any, ...]] = []
    for person in Person.objects.select_for_update().filter(pk__in=list(items)).order_by("pk"):
        before, after = _items_applied(person, items[person.pk])
        if not after:
            continue
        changed.append(person)
        fields |= {name for name in after if name != "phone"}
        fields |= ({"phone_enc", "phone_index", "phone_masked"} if "phone" in after else set()) | (
            {"name_initials"} if "name" in after else set())
        revisions.append((person.pk, now, actor.pk if actor else None, source[:40], json_value(before),
                          json_value(after)))
    if changed:
        Person.objects.bulk_update(changed, sorted(fields), batch_size=1000)
        bulk_insert(PersonRevision, ["person_id", "at", "by_id", "source", "before", "after"], revisions)
    return len(changed)


_ITEM_FIELDS = ("name", "ethnicity", "education", "marital_status", "occupation", "hukou_address")


def _items_applied(person: Person, items: PersonItems) -> tuple[dict[str, str], dict[str, str]]:
    """The checked items that differ from the person's record, set on `person` (unsaved): (before, after), a phone
    only masked. An empty item is "not given"."""
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    for field_name in _ITEM_FIELDS:
        new = getattr(items, field_name)
        if new and new != getattr(person, field_name):
            before[field_name], after[field_name] = getattr(person, field_name), new
            setattr(person, field_name, new)
    if items.phone:
        phone = clean_phone(items.phone)
        index = phone_index(phone)
        if index != person.phone_index:
            before["phone"], after["phone"] = person.phone_masked, mask_phone(phone)
            person.phone_enc = crypto.encrypt(phone, context=PHONE_CONTEXT)
            person.phone_index, person.phone_masked = index, mask_phone(phone)
    if "name" in after:
        person.name_initials = name_initials(person.name)
    return before, after


def person_search_keys_stamp(*, person_ids: Iterable[int]) -> int:
    """(Re)write the search keys of these persons: every form of their name (identity.name_forms) at every area
    they are registered in, with the latest end of their registrations there (None while one is open). Called
    whenever a person's name or registrations change; the demo's COPY writes the same rows itself
    (search_keys). Returns the keys written."""
    ids = sorted(set(person_ids))
    if not ids:
        return 0
    registration = apps.get_model("registrations", "Registration")
    regs: dict[int, list[tuple[str, dt.date | None]]] = {}
    for pid, path, ended in registration.objects.filter(person_id__in=ids).values_list(
            "person_id", "area_path", "ended_on"):
        regs.setdefault(pid, []).append((path, ended))
    names = dict(Person.objects.filter(pk__in=ids).values_list("pk", "name"))
    keys = [PersonSearchKey(person_id=pid, form=form, area_path=path, ended_on=ended)
            for pid, rows in regs.items() if pid in names for form, path, ended in search_keys(names[pid], rows)]
    with transaction.atomic():
        PersonSearchKey.objects.filter(person_id__in=ids).delete()
        PersonSearchKey.objects.bulk_create(keys, batch_size=2000)
    return len(keys)


def person_search_keys_stamp_bulk(*, person_ids: Iterable[int], chunk: int = 5_000) -> int:
    """`person_search_keys_stamp` for many persons (a bulk upload): the same keys, written as rows through
    core.bulk.bulk_insert (COPY on PostgreSQL) a chunk of persons at a time, without model instances. Call inside
    the writer's transaction. Returns the keys written."""
    ids = sorted(set(person_ids))
    registration = apps.get_model("registrations", "Registration")
    written = 0
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        regs: dict[int, list[tuple[str, dt.date | None]]] = {}
        for pid, path, ended in registration.objects.filter(person_id__in=part).values_list(
                "person_id", "area_path", "ended_on"):
            regs.setdefault(pid, []).append((path, ended))
        names = dict(Person.objects.filter(pk__in=part).values_list("pk", "name"))
        PersonSearchKey.objects.filter(person_id__in=part).delete()
        written += bulk_insert(PersonSearchKey, ["person_id", "form", "area_path", "ended_on"], (
            (pid, form, path, ended) for pid, rows in regs.items() if pid in names
            for form, path, ended in search_keys(names[pid], rows)))
    return written


def person_search_keys_new(*, persons: Iterable[tuple[int, str, Sequence[tuple[str, dt.date | None]]]]) -> int:
    """The search keys of persons created in the caller's transaction (they have none yet), from what the caller
    just wrote: (person id, name, their registrations' (area path, end)). The same rows as
    `person_search_keys_stamp`, without reading the persons and registrations back. Returns the keys written."""
    return bulk_insert(PersonSearchKey, ["person_id", "form", "area_path", "ended_on"], (
        (pid, form, path, ended) for pid, name, regs in persons for form, path, ended in search_keys(name, regs)))


def person_unmask(*, actor: User, person_id: int, purpose: str) -> dict[str, str]:
    """Reveal the full ID and phone numbers of a person in scope, for a stated purpose. Always audited."""
    if not can(actor, Capability.PERSON_UNMASK):
        raise PermissionDenied(_("You may not reveal full ID numbers."))
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError(_("State the purpose of revealing the full numbers."), field="purpose")
    person = person_get_for_user(user=actor, person_id=person_id)
    with transaction.atomic():
        event_record(actor=actor, action="person.identity.unmasked", subject_type="person",
                     subject_id=person.pk, data={"purpose": redact_numbers(purpose)[:200]})
    return {"id_number": reveal_id_number(person.id_number_enc), "phone": reveal_phone(person.phone_enc)}


HOLD_MAX_DAYS = 366


def read_hold_place(*, actor: User, person_id: int, reason: str, until: dt.datetime) -> ReadHold:
    """Hold back from a person the reads of their record made from now until `until` (an investigation must not be
    tipped off); the reads show on their page once the hold ends. Needs the person.read_hold capability and the
    person in the actor's scope; audited."""
    if not can(actor, Capability.READ_HOLD):
        raise PermissionDenied(_("You may not place holds."))
    person = person_get_for_user(user=actor, person_id=person_id)
    reason = redact_numbers((reason or "").strip())[:200]
    if not reason:
        raise ValidationError(_("State the reason for the hold."), code="reason", field="reason")
    now = timezone.now()
    if until <= now or until > now + dt.timedelta(days=HOLD_MAX_DAYS):
        raise ValidationError(_("A hold ends after now and within a year."), code="until", field="until")
    with transaction.atomic():
        hold = ReadHold.objects.create(person=person, placed_by=actor, reason=reason, until=until)
        event_record(actor=actor, action="person.read_hold.placed", subject_type="person", subject_id=person.pk,
                     data={"reason": reason, "until": until.isoformat()})
    return hold
