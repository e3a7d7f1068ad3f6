"""Reads of registrations, scoped to the actor: who lives at a building's units, as the viewer may see them."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.audit.services import event_record
from residence.core.errors import NotFound
from residence.people.selectors import PersonShown, persons_shown
from residence.places.models import Obligor, Unit
from residence.places.selectors import jurisdiction_path_for_user, obligor_of
from residence.registrations.models import DoorCheck, Registration, RegistrationRevision, RegistrationStatus

RESIDENTS_SHOWN = 500  # residents listed on one page (a building of a thousand flats is split by unit)


def unit_residents(*, user: User, units: list[Unit], subject: str) -> dict[int, list[tuple[Registration, PersonShown]]]:
    """The persons registered now at these units (already obtained through a scoped selector), each with their
    registration, masked as `user` may see them, by unit. Only registrations inside the user's jurisdiction count;
    the listing is recorded like a search (how many, not who)."""
    path = jurisdiction_path_for_user(user)
    if path is None or not units:
        return {}
    regs = list(Registration.objects.current().filter(unit__in=units, area_path__startswith=path)
                .select_related("person").order_by("unit_id", "person__name", "person_id")[:RESIDENTS_SHOWN])
    shown = {p.id: p for p in persons_shown(user=user, persons=list({r.person_id: r.person for r in regs}.values()))}
    out: dict[int, list[tuple[Registration, PersonShown]]] = {}
    for r in regs:
        out.setdefault(r.unit_id, []).append((r, shown[r.person_id]))
    event_record(actor=user, action="place.residents.listed", subject_type="place", subject_id=subject[:60],
                 data={"results": len(regs)})
    return out


def obligor_pending(*, obligor: Obligor, limit: int = RESIDENTS_SHOWN) -> list[Registration]:
    """Residents' own declarations at the obligor's units that wait for its confirmation."""
    return list(Registration.objects.current().filter(unit__obligor=obligor, status=RegistrationStatus.PENDING)
                .select_related("person", "unit__building").order_by("declared_at", "pk")[:limit])


def obligor_history(*, obligor: Obligor, days: int = 90, limit: int = 200) -> list[Registration]:
    """The obligor's recent declarations that are no longer current (departures and withdrawals), newest first."""
    since = timezone.localdate() - dt.timedelta(days=days)
    return list(Registration.objects.filter(unit__obligor=obligor)
                .filter(Q(ended_on__gte=since) | Q(status=RegistrationStatus.CANCELLED, cancelled_at__date__gte=since))
                .select_related("person", "unit").order_by("-ended_on", "-pk")[:limit])


def pending_in_area(*, user: User, limit: int = RESIDENTS_SHOWN) -> list[Registration]:
    """Residents' own declarations inside the staff member's area that wait for a check, oldest first."""
    path = jurisdiction_path_for_user(user) if can(user, Capability.REGISTRATION_RECORD) else None
    if path is None:
        return []
    return list(Registration.objects.current().filter(status=RegistrationStatus.PENDING, area_path__startswith=path)
                .select_related("person", "unit__building").order_by("declared_at", "pk")[:limit])


def registration_get_for_user(*, user: User, registration_id: int) -> Registration:
    """One registration for the obligor of its unit, or for staff who record registrations in whose area it lies;
    anything else is "not found"."""
    qs = Registration.objects.filter(pk=registration_id).select_related("person", "unit__building",
                                                                        "declared_by_account")
    obligor = obligor_of(user=user)
    if obligor is not None:
        qs = qs.filter(unit__obligor=obligor)
    elif can(user, Capability.REGISTRATION_RECORD) and (path := jurisdiction_path_for_user(user)) is not None:
        qs = qs.filter(area_path__startswith=path)
    else:
        qs = qs.none()
    found = qs.first()
    if found is None:
        raise NotFound(_("No such registration."))
    return found


def registration_history(*, registration: Registration) -> tuple[list[RegistrationRevision], list[DoorCheck]]:
    """What happened to a registration after it was declared: its revisions and the grid workers' visits."""
    return (list(registration.revisions.select_related("by").order_by("at", "pk")),
            list(registration.door_checks.order_by("checked_at", "pk")))


def obligor_residents(*, obligor: Obligor, limit: int = RESIDENTS_SHOWN) -> list[Registration]:
    """Who is registered now at the obligor's units, by unit then name: the obligor's own tenants or workers, whom
    its declarations put there (names and masked ID numbers only reach the page)."""
    return list(Registration.objects.current().filter(unit__obligor=obligor)
                .select_related("person", "unit__building").order_by("unit__code", "person__name", "pk")[:limit])
