"""Writes on registrations. The area path on a registration is stamped here and nowhere else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.audit.services import event_record
from residence.core.errors import NotFound, ValidationError
from residence.core.rules import declarations_due
from residence.people.identity import clean_name, protect
from residence.people.models import Person
from residence.people.services import person_build, person_search_keys_stamp
from residence.places.models import Jurisdiction, Obligor, Unit
from residence.registrations.models import DeclaredBy, Registration


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


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def registration_declare_arrival(*, actor: User, obligor: Obligor, unit_code: str, id_number: str, name: str,
                                 phone: str = "", started_on: dt.date, channel: str = "web") -> Registration:
    """A landlord or employer declares a tenant's or worker's arrival at one of its units: the person is found by ID
    number or recorded, the registration written with its deadline (the locality's days for the place class) and
    whether it was met, and the declaration audited."""
    unit = _obligor_unit(obligor, unit_code)
    today = timezone.localdate()
    if started_on > today:
        raise ValidationError(_("The arrival date is in the future."), code="future", field="started_on")
    ident = protect(id_number=id_number, phone=phone)
    name = clean_name(name)
    now = timezone.now()
    [(due, late)] = declarations_due(_place_class(unit), "arrival", [(_start_of(started_on), now)])
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(id_number_index=ident.id_number_index).first()
        if person is None:
            person = person_build(ident=ident, name=name)
            person.save()
            event_record(actor=actor, action="person.created", subject_type="person", subject_id=person.pk)
        if Registration.objects.filter(person=person, unit=unit, ended_on__isnull=True).exists():
            raise ValidationError(_("This person is already registered at this unit."), code="already_here",
                                  field="id_number")
        registration = Registration(person=person, unit=unit, started_on=started_on, declared_by=DeclaredBy.OBLIGOR,
                                    declared_by_account=actor, channel=channel, declared_at=now, due_at=due,
                                    late=late)
        registration.save()
        event_record(actor=actor, action="registration.arrival.declared", subject_type="person",
                     subject_id=person.pk, data={"registration": registration.pk, "unit": unit.code,
                                                 "late": late, "channel": channel})
    return registration


def registration_declare_departure(*, actor: User, obligor: Obligor, registration_id: int, ended_on: dt.date,
                                   channel: str = "web") -> Registration:
    """The obligor declares that a resident of one of its units left on `ended_on`."""
    with transaction.atomic():
        registration = (Registration.objects.select_for_update().select_related("unit")
                        .filter(pk=registration_id, unit__obligor=obligor, ended_on__isnull=True).first())
        if registration is None:
            raise NotFound(_("No current resident of your units matches."))
        if ended_on < registration.started_on or ended_on > timezone.localdate():
            raise ValidationError(_("The departure date must lie between the arrival (%(start)s) and today.")
                                  % {"start": registration.started_on}, code="ended_on", field="ended_on")
        now = timezone.now()
        [(_due, late)] = declarations_due(_place_class(registration.unit), "departure", [(_start_of(ended_on), now)])
        registration.ended_on, registration.departure_declared_at, registration.departure_late = ended_on, now, late
        registration.save()
        event_record(actor=actor, action="registration.departure.declared", subject_type="person",
                     subject_id=registration.person_id, data={"registration": registration.pk, "late": late,
                                                              "channel": channel})
    return registration
