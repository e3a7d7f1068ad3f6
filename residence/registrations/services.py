"""Writes on registrations. The area path on a registration is stamped here and nowhere else."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, Role, can
from residence.audit.services import event_record
from residence.core.errors import NotFound, ValidationError
from residence.core.rules import declarations_due
from residence.core.text import clean_text
from residence.people.identity import clean_name, protect, reveal_id_number
from residence.people.models import Person
from residence.people.selectors import person_get_for_user
from residence.people.services import PersonItems, person_build, person_items_update, person_search_keys_stamp
from residence.places.models import Jurisdiction, Obligor, Unit
from residence.places.selectors import jurisdiction_path_for_user
from residence.registrations.models import (
    CancelReason,
    DeclaredBy,
    DoorCheck,
    Registration,
    RegistrationRevision,
    RegistrationStatus,
    ResidenceReason,
)
from residence.registrations.selectors import registration_get_for_user


def registration_area_path(unit: Unit) -> str:
    """The area a registration at `unit` lies in: the materialised path of its building's grid."""
    return str(unit.building.grid.path)


def registration_area_paths(unit_ids: Iterable[int]) -> dict[int, str]:
    """registration_area_path for many units in one query (the bulk paths: imports, the demo)."""
    return dict(Unit.objects.filter(pk__in=set(unit_ids)).values_list("pk", "building__grid__path"))


def registration_written(*, person_ids: Iterable[int]) -> None:
    """After registrations of these persons were written: their search keys follow (people.services)."""
    person_search_keys_stamp(person_ids=person_ids)


def registrations_restamp_grid(*, actor: User | None, grid: Jurisdiction) -> int:
    """A grid was redrawn (moved under another community, or buildings moved into it): its open registrations
    take the grid's current path, and their persons' search keys follow. Returns the registrations re-stamped.
    Ended registrations keep the area they ended in."""
    path = Jurisdiction.objects.values_list("path", flat=True).get(pk=grid.pk)
    with transaction.atomic():
        open_here = Registration.objects.filter(unit__building__grid_id=grid.pk, ended_on__isnull=True)
        stale = open_here.exclude(area_path=path)
        person_ids = list(stale.values_list("person_id", flat=True))
        n = Registration.objects.filter(pk__in=stale.values("pk")).update(area_path=path)
        registration_written(person_ids=person_ids)
        event_record(actor=actor, action="registration.area.restamped", subject_type="jurisdiction",
                     subject_id=grid.code, data={"registrations": n})
    return n


def _obligor_unit(obligor: Obligor, unit_code: str) -> Unit:
    unit = Unit.objects.select_related("building__grid").filter(obligor=obligor, code=unit_code).first()
    if unit is None:
        raise ValidationError(_("None of your units has this code."), code="unit_unknown", field="unit")
    return unit


def _place_class(unit: Unit) -> str:
    return "rental" if unit.is_rental else "long_term"


def _after_birth(started_on: dt.date, birth_date: dt.date) -> None:
    if started_on < birth_date:
        raise ValidationError(_("Before the person's birth date."), code="before_birth", field="started_on")


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _staff_declarer(actor: User) -> tuple[str, str]:
    """Who declares, and by which channel, when a staff member records a registration: a grid worker at the door on
    a phone, anyone else at the counter."""
    if actor.role == Role.GRID_WORKER:
        return DeclaredBy.GRID_WORKER, "phone"
    return DeclaredBy.STAFF, "counter"


def _arrive(*, actor: User, unit: Unit, id_number: str, name: str, started_on: dt.date, items: PersonItems,
            expected_ended_on: dt.date | None, reason: str, declared_by: str, channel: str,
            status: str = RegistrationStatus.CONFIRMED) -> Registration:
    """Every arrival, whoever declares it: the checks, the person found by ID number (its items updated, with
    history) or recorded, the registration with its deadline and whether it was met, and the audit event."""
    today = timezone.localdate()
    if started_on > today:
        raise ValidationError(_("The arrival date is in the future."), code="future", field="started_on")
    if expected_ended_on is not None and expected_ended_on < started_on:
        raise ValidationError(_("The expected departure is before the arrival."), code="before_arrival",
                              field="expected_ended_on")
    if reason and reason not in ResidenceReason.values:
        raise ValidationError(_("Not a known code: %(value)s.") % {"value": reason[:10]}, code="code",
                              field="reason")
    ident = protect(id_number=id_number, phone=items.phone)
    _after_birth(started_on, ident.id_number.birth_date)  # as an upload's row is refused (uploads.py)
    items = dataclasses.replace(items, name=clean_name(name)).checked()
    now = timezone.now()
    [(due, late)] = declarations_due(_place_class(unit), "arrival", [(_start_of(started_on), now)])
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(id_number_index=ident.id_number_index).first()
        if person is None:
            person = person_build(ident=ident, name=items.name, ethnicity=items.ethnicity or "01",
                                  education=items.education, marital_status=items.marital_status,
                                  occupation=items.occupation, hukou_address=items.hukou_address)
            person.save()
            event_record(actor=actor, action="person.created", subject_type="person", subject_id=person.pk)
        else:
            person_items_update(actor=actor, person=person, items=items, source="registration.arrival.declared")
        if Registration.objects.current().filter(person=person, unit=unit).exists():
            raise ValidationError(_("This person is already registered at this unit."), code="already_here",
                                  field="id_number")
        registration = Registration(person=person, unit=unit, started_on=started_on, declared_by=declared_by,
                                    declared_by_account=actor, channel=channel, declared_at=now, due_at=due,
                                    late=late, expected_ended_on=expected_ended_on, reason=reason, status=status)
        registration.save()
        event_record(actor=actor, action="registration.arrival.declared", subject_type="person",
                     subject_id=person.pk, data={"registration": registration.pk, "unit": unit.code,
                                                 "late": late, "channel": channel, "by": declared_by,
                                                 "status": status})
    return registration


def registration_declare_arrival(*, actor: User, obligor: Obligor, unit_code: str, id_number: str, name: str,
                                 phone: str = "", started_on: dt.date, channel: str = "web",
                                 items: PersonItems | None = None, expected_ended_on: dt.date | None = None,
                                 reason: str = "") -> Registration:
    """A landlord or employer declares a tenant's or worker's arrival at one of its units (with the person's items
    and the expected departure when it gives them)."""
    unit = _obligor_unit(obligor, unit_code)
    items = items or PersonItems()
    if phone:
        items = dataclasses.replace(items, phone=phone)
    return _arrive(actor=actor, unit=unit, id_number=id_number, name=name, started_on=started_on, items=items,
                   expected_ended_on=expected_ended_on, reason=reason, declared_by=DeclaredBy.OBLIGOR,
                   channel=channel)


def registration_record_arrival(*, actor: User, started_on: dt.date, unit_id: int | None = None,
                                unit_code: str = "", person_id: int | None = None, id_number: str = "",
                                name: str = "", items: PersonItems | None = None,
                                expected_ended_on: dt.date | None = None, reason: str = "") -> Registration:
    """A clerk at the counter, or a grid worker at the door, registers a person at a unit inside their area: the
    unit by id (its page) or code, the person by id (their page, inside the actor's scope) or by ID number and
    name (somebody new to the area)."""
    if not can(actor, Capability.REGISTRATION_RECORD):
        raise NotFound(_("No such unit in your area."))
    path = jurisdiction_path_for_user(actor)
    units = Unit.objects.select_related("building__grid")
    unit = (units.filter(pk=unit_id) if unit_id is not None else units.filter(code=(unit_code or "").strip())).first()
    if unit is None or path is None or not str(unit.building.grid.path).startswith(path):
        raise ValidationError(_("No such unit in your area."), code="unit_unknown", field="unit_code")
    if person_id is not None:
        person = person_get_for_user(user=actor, person_id=person_id)
        id_number, name = reveal_id_number(person.id_number_enc), person.name
    declared_by, channel = _staff_declarer(actor)
    return _arrive(actor=actor, unit=unit, id_number=id_number, name=name, started_on=started_on,
                   items=items or PersonItems(), expected_ended_on=expected_ended_on, reason=reason,
                   declared_by=declared_by, channel=channel)


def registration_self_declare(*, actor: User, unit_code: str, name: str, started_on: dt.date,
                              items: PersonItems | None = None, expected_ended_on: dt.date | None = None,
                              reason: str = "") -> Registration:
    """A resident declares their own residence at a unit (the code on its door plate), from their phone. It waits
    for the unit's obligor to confirm it, or for a clerk's check."""
    if not can(actor, Capability.RECORD_OWN) or not actor.person_id:
        raise NotFound(_("No such unit."))
    unit = Unit.objects.select_related("building__grid").filter(code=(unit_code or "").strip()).first()
    if unit is None:
        raise ValidationError(_("No unit has this code. It is on the door plate."), code="unit_unknown",
                              field="unit_code")
    person = Person.objects.get(pk=actor.person_id)
    return _arrive(actor=actor, unit=unit, id_number=reveal_id_number(person.id_number_enc), name=name or person.name,
                   started_on=started_on, items=items or PersonItems(), expected_ended_on=expected_ended_on,
                   reason=reason, declared_by=DeclaredBy.RESIDENT, channel="phone",
                   status=RegistrationStatus.PENDING)


def _registration_for(actor: User, registration_id: int) -> Registration:
    """The registration, locked, when `actor` may act on it (registrations.selectors.registration_get_for_user:
    the obligor of its unit, or staff who record registrations in whose area it lies); else "not found"."""
    found = registration_get_for_user(user=actor, registration_id=registration_id)
    return Registration.objects.select_for_update().get(pk=found.pk)


def _revise(registration: Registration, *, actor: User, kind: str, note: str = "", before: dict | None = None,
            after: dict | None = None) -> RegistrationRevision:
    return RegistrationRevision.objects.create(
        registration=registration, kind=kind, at=timezone.now(), by=actor, by_role=actor.role, note=note[:200],
        before=before or {}, after=after or {})


def _depart(registration: Registration, *, actor: User, ended_on: dt.date, declared_by: str,
            channel: str) -> Registration:
    if registration.ended_on is not None or registration.status == RegistrationStatus.CANCELLED:
        raise NotFound(_("No current resident of your units matches."))
    if ended_on < registration.started_on or ended_on > timezone.localdate():
        raise ValidationError(_("The departure date must lie between the arrival (%(start)s) and today.")
                              % {"start": registration.started_on}, code="ended_on", field="ended_on")
    now = timezone.now()
    unit = Unit.objects.get(pk=registration.unit_id)
    [(_due, late)] = declarations_due(_place_class(unit), "departure", [(_start_of(ended_on), now)])
    registration.ended_on, registration.departure_declared_at, registration.departure_late = ended_on, now, late
    registration.departure_declared_by, registration.departure_channel = declared_by, channel
    registration.save()
    event_record(actor=actor, action="registration.departure.declared", subject_type="person",
                 subject_id=registration.person_id, data={"registration": registration.pk, "late": late,
                                                          "channel": channel, "by": declared_by})
    return registration


def registration_declare_departure(*, actor: User, obligor: Obligor, registration_id: int, ended_on: dt.date,
                                   channel: str = "web") -> Registration:
    """The obligor declares that a resident of one of its units left on `ended_on`."""
    with transaction.atomic():
        registration = (Registration.objects.select_for_update()
                        .filter(pk=registration_id, unit__obligor=obligor).first())
        if registration is None:
            raise NotFound(_("No current resident of your units matches."))
        return _depart(registration, actor=actor, ended_on=ended_on, declared_by=DeclaredBy.OBLIGOR,
                       channel=channel)


def registration_record_departure(*, actor: User, registration_id: int, ended_on: dt.date) -> Registration:
    """A clerk or a grid worker records that a resident of their area left on `ended_on`."""
    if not can(actor, Capability.REGISTRATION_RECORD):
        raise NotFound(_("No such registration."))
    declared_by, channel = _staff_declarer(actor)
    with transaction.atomic():
        registration = _registration_for(actor, registration_id)
        registration = _depart(registration, actor=actor, ended_on=ended_on, declared_by=declared_by,
                               channel=channel)
        _revise(registration, actor=actor, kind=RegistrationRevision.Kind.DEPARTED,
                after={"ended_on": ended_on.isoformat()})
    return registration


def registration_door_check(*, actor: User, registration_id: int, outcome: str, ended_on: dt.date | None = None,
                            note: str = "") -> DoorCheck:
    """What a grid worker found at the door: the resident lives here, moved out (the registration ends on
    `ended_on`, default today), or was not found (left for a follow-up). Each visit is kept and audited."""
    if not can(actor, Capability.REGISTRATION_RECORD):
        raise NotFound(_("No such registration."))
    if outcome not in DoorCheck.Outcome.values:
        raise ValidationError(_("Not a known code: %(value)s.") % {"value": outcome[:10]}, code="code",
                              field="outcome")
    note = clean_text(note, "note", length=200)
    with transaction.atomic():
        registration = _registration_for(actor, registration_id)
        if registration.ended_on is not None or registration.status == RegistrationStatus.CANCELLED:
            raise ValidationError(_("This registration has already ended."), code="ended", field="registration")
        if outcome == DoorCheck.Outcome.MOVED_OUT:
            declared_by, channel = _staff_declarer(actor)
            _depart(registration, actor=actor, ended_on=ended_on or timezone.localdate(), declared_by=declared_by,
                    channel=channel)
        check = DoorCheck.objects.create(registration=registration, outcome=outcome, checked_at=timezone.now(),
                                         checked_by=actor, note=note)
        event_record(actor=actor, action="registration.door.checked", subject_type="person",
                     subject_id=registration.person_id, data={"registration": registration.pk, "outcome": outcome})
    return check


def registration_confirm(*, actor: User, registration_id: int) -> Registration:
    """The unit's obligor, or a clerk of the area, confirms a registration a resident declared themselves."""
    with transaction.atomic():
        registration = _registration_for(actor, registration_id)
        if registration.status != RegistrationStatus.PENDING:
            raise ValidationError(_("Only a registration awaiting confirmation can be confirmed."),
                                  code="not_pending", field="status")
        registration.status = RegistrationStatus.CONFIRMED
        registration.save(update_fields=["status"])
        _revise(registration, actor=actor, kind=RegistrationRevision.Kind.CONFIRMED,
                before={"status": RegistrationStatus.PENDING}, after={"status": RegistrationStatus.CONFIRMED})
        event_record(actor=actor, action="registration.confirmed", subject_type="person",
                     subject_id=registration.person_id, data={"registration": registration.pk})
    return registration


def registration_cancel(*, actor: User, registration_id: int, reason: str, note: str = "") -> Registration:
    """Withdraw a registration that should never have been made, saying why (a pending declaration the obligor
    does not confirm is withdrawn as "refused"). The record stays, marked withdrawn, with its history."""
    if reason not in CancelReason.values:
        raise ValidationError(_("Say why the registration is withdrawn."), code="reason", field="reason")
    note = clean_text(note, "note", length=200)
    with transaction.atomic():
        registration = _registration_for(actor, registration_id)
        if registration.status == RegistrationStatus.CANCELLED:
            raise ValidationError(_("This registration is already withdrawn."), code="cancelled", field="status")
        before = {"status": registration.status}
        registration.status, registration.cancel_reason = RegistrationStatus.CANCELLED, reason
        registration.cancelled_at = timezone.now()
        registration.save()
        _revise(registration, actor=actor, kind=RegistrationRevision.Kind.CANCELLED, note=note, before=before,
                after={"status": RegistrationStatus.CANCELLED, "cancel_reason": reason})
        event_record(actor=actor, action="registration.cancelled", subject_type="person",
                     subject_id=registration.person_id, data={"registration": registration.pk, "reason": reason})
    return registration


_CORRECTABLE = ("started_on", "ended_on", "expected_ended_on", "reason")


def registration_correct(*, actor: User, registration_id: int, note: str, started_on: dt.date | None = None,
                         ended_on: dt.date | None = None, expected_ended_on: dt.date | None = None,
                         reason: str | None = None) -> Registration:
    """Correct the dates or the reason of a registration. The values before and after, who and why are kept; the
    deadline and lateness of the declaration are recomputed from the corrected dates."""
    note = clean_text(note, "note", length=200, required=True)
    with transaction.atomic():
        registration = _registration_for(actor, registration_id)
        if registration.status == RegistrationStatus.CANCELLED:
            raise ValidationError(_("This registration is already withdrawn."), code="cancelled", field="status")
        asked = {"started_on": started_on, "ended_on": ended_on, "expected_ended_on": expected_ended_on,
                 "reason": reason}
        before: dict[str, str | None] = {}
        after: dict[str, str | None] = {}
        for field_name in _CORRECTABLE:
            new = asked[field_name]
            if new is None or new == getattr(registration, field_name):
                continue
            if field_name == "ended_on" and registration.ended_on is None:
                raise ValidationError(_("Declare a departure instead: this registration has not ended."),
                                      code="open", field="ended_on")
            old = getattr(registration, field_name)
            before[field_name] = old.isoformat() if isinstance(old, dt.date) else old
            after[field_name] = new.isoformat() if isinstance(new, dt.date) else new
            setattr(registration, field_name, new)
        if not after:
            raise ValidationError(_("Nothing was changed."), code="unchanged", field="started_on")
        today = timezone.localdate()
        start, end = registration.started_on, registration.ended_on
        if start > today or (end is not None and not start <= end <= today):
            raise ValidationError(_("The dates must lie in order, and not after today."), code="dates",
                                  field="started_on")
        if "started_on" in after:
            _after_birth(start, registration.person.birth_date)
        if registration.expected_ended_on is not None and registration.expected_ended_on < start:
            raise ValidationError(_("The expected departure is before the arrival."), code="before_arrival",
                                  field="expected_ended_on")
        if registration.reason and registration.reason not in ResidenceReason.values:
            raise ValidationError(_("Not a known code: %(value)s.") % {"value": registration.reason[:10]},
                                  code="code", field="reason")
        if "started_on" in after and registration.declared_at is not None:
            unit = Unit.objects.get(pk=registration.unit_id)
            arrived = _start_of(start)  # declared ahead of an arrival corrected to later: on time, when it came
            [(registration.due_at, registration.late)] = declarations_due(
                _place_class(unit), "arrival", [(arrived, max(arrived, registration.declared_at))])
        registration.save()
        _revise(registration, actor=actor, kind=RegistrationRevision.Kind.CORRECTED, note=note, before=before,
                after=after)
        event_record(actor=actor, action="registration.corrected", subject_type="person",
                     subject_id=registration.person_id, data={"registration": registration.pk,
                                                              "fields": sorted(after)})
    return registration
