"""Writes on registrations. The area path on a registration is stamped here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from residence.accounts.models import User
from residence.audit.services import event_record
from residence.people.services import person_search_keys_stamp
from residence.places.models import Jurisdiction, Unit
from residence.registrations.models import Registration


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
