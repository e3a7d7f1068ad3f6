"""Reads of registrations, scoped to the actor: who lives at a building's units, as the viewer may see them."""

from __future__ import annotations

from residence.accounts.models import User
from residence.audit.services import event_record
from residence.people.selectors import PersonShown, persons_shown
from residence.places.models import Obligor, Unit
from residence.places.selectors import jurisdiction_path_for_user
from residence.registrations.models import Registration

RESIDENTS_SHOWN = 500  # residents listed on one page (a building of a thousand flats is split by unit)


def unit_residents(*, user: User, units: list[Unit], subject: str) -> dict[int, list[PersonShown]]:
    """The persons registered now at these units (already obtained through a scoped selector), masked as `user`
    may see them, by unit. Only registrations inside the user's jurisdiction count; the listing is recorded like a
    search (how many, not who)."""
    path = jurisdiction_path_for_user(user)
    if path is None or not units:
        return {}
    regs = list(Registration.objects.current().filter(unit__in=units, area_path__startswith=path)
                .select_related("person").order_by("unit_id", "person__name", "person_id")[:RESIDENTS_SHOWN])
    shown = {p.id: p for p in persons_shown(user=user, persons=list({r.person_id: r.person for r in regs}.values()))}
    out: dict[int, list[PersonShown]] = {}
    for r in regs:
        out.setdefault(r.unit_id, []).append(shown[r.person_id])
    event_record(actor=user, action="place.residents.listed", subject_type="place", subject_id=subject[:60],
                 data={"results": len(regs)})
    return out


def obligor_residents(*, obligor: Obligor, limit: int = RESIDENTS_SHOWN) -> list[Registration]:
    """Who is registered now at the obligor's units, by unit then name: the obligor's own tenants or workers, whom
    its declarations put there (names and masked ID numbers only reach the page)."""
    return list(Registration.objects.current().filter(unit__obligor=obligor)
                .select_related("person", "unit__building").order_by("unit__code", "person__name", "pk")[:limit])
