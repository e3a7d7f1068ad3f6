"""Reads of places, scoped to the actor's jurisdiction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import AREA_KINDS, Capability, can
from residence.accounts.selectors import row_exists, subject_pks
from residence.core.errors import NotFound
from residence.core.lean import cols, prepared
from residence.places.models import Building, Jurisdiction, Obligor, Reminder, Unit


def jurisdiction_path_for_user(user: User) -> str | None:
    """The materialised path of the staff member's jurisdiction, or None (cached on the user object)."""
    if user.kind not in AREA_KINDS or not user.jurisdiction_code:
        return None
    cached: str | None = getattr(user, "_jurisdiction_path", None)
    if cached is None:
        cached = Jurisdiction.objects.filter(code=user.jurisdiction_code).values_list("path", flat=True).first()
        user._jurisdiction_path = cached  # type: ignore[attr-defined]
    return cached


def jurisdiction_of_user(user: User) -> Jurisdiction | None:
    """The staff member's own jurisdiction (None for other kinds of account or an unknown code)."""
    if user.kind not in AREA_KINDS or not user.jurisdiction_code:
        return None
    return Jurisdiction.objects.filter(code=user.jurisdiction_code).first()


def jurisdiction_scope(*, user: User) -> QuerySet[Jurisdiction]:
    path = jurisdiction_path_for_user(user) if can(user, Capability.PLACE_BROWSE) else None
    if path is None:
        return Jurisdiction.objects.none()
    return Jurisdiction.objects.filter(path__startswith=path)


def jurisdiction_get_for_user(*, user: User, code: str | None = None) -> Jurisdiction:
    """The given jurisdiction (default: the user's own), when it is inside the user's scope."""
    target = code or user.jurisdiction_code
    found = jurisdiction_scope(user=user).filter(code=target).first()
    if found is None:
        raise NotFound(_("No such area."))
    return found


def jurisdiction_children(*, jurisdiction: Jurisdiction) -> QuerySet[Jurisdiction]:
    return jurisdiction.children.annotate(n_buildings=Count("buildings")).order_by("code")


def jurisdiction_ancestors(*, jurisdiction: Jurisdiction, user: User) -> list[Jurisdiction]:
    """Breadcrumb from the user's own jurisdiction down to this one."""
    own = jurisdiction_path_for_user(user) or ""
    codes = [c for c in jurisdiction.path.strip("/").split("/") if c]
    found = {j.code: j for j in Jurisdiction.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found and found[c].path.startswith(own)]


def building_list(*, jurisdiction: Jurisdiction, after_code: str = "", limit: int = 50) -> list[Building]:
    qs = Building.objects.filter(grid__path__startswith=jurisdiction.path)
    if after_code:
        qs = qs.filter(address_code__gt=after_code)
    return list(qs.select_related("grid").annotate(n_units=Count("units")).order_by("address_code")[:limit])


def building_get_for_user(*, user: User, address_code: str) -> Building:
    path = jurisdiction_path_for_user(user) if can(user, Capability.PLACE_BROWSE) else None
    found = None
    if path is not None:
        found = Building.objects.select_related("grid").filter(
            address_code=address_code, grid__path__startswith=path
        ).first()
    if found is None:
        raise NotFound(_("No such address."))
    return found


def unit_get_for_user(*, user: User, unit_id: int) -> Unit:
    """A unit inside the user's jurisdiction; anything else (another district, no such record) is "not found"."""
    path = jurisdiction_path_for_user(user) if can(user, Capability.PLACE_BROWSE) else None
    found = None
    if path is not None and 1 <= unit_id <= 2**63 - 1:
        found = Unit.objects.select_related("building__grid", "obligor").filter(
            pk=unit_id, building__grid__path__startswith=path).first()
    if found is None:
        raise NotFound(_("No such unit."))
    return found


def unit_list(*, building: Building) -> QuerySet[Unit]:
    return building.units.select_related("obligor").order_by("label")


def obligor_of(*, user: User, capability: Capability = Capability.PREMISES_OWN) -> Obligor | None:
    """The declaration obligor whose account `user` is, when the account holds `capability`; else None."""
    if not can(user, capability):
        return None
    obligor = cols(Obligor, "o")  # read on every API request: one statement written once (core.lean)
    with connection.cursor() as cur:
        cur.execute(prepared(f"SELECT {obligor.sql} FROM {connection.ops.quote_name(Obligor._meta.db_table)} o "
                             f"WHERE o.account_id = %s"), [user.pk])  # account is one-to-one: at most one row
        row = cur.fetchone()
    return obligor.build(row) if row is not None else None


class PremisesUnit(NamedTuple):
    """A unit of an obligor's premises as a declaration needs it: its id, code and area path (its grid's)."""

    pk: int
    code: str
    area_path: str


def premises_units_by_code(*, obligor: Obligor, codes: Collection[str]) -> dict[str, PremisesUnit]:
    """Those of `codes` that name units of the obligor's premises, by code; the others are not there."""
    if not codes:
        return {}
    q = connection.ops.quote_name
    sql = (f"SELECT u.id, u.code, g.path FROM {q(Unit._meta.db_table)} u "
           f"JOIN {q(Building._meta.db_table)} b ON b.id = u.building_id "
           f"JOIN {q(Jurisdiction._meta.db_table)} g ON g.id = b.grid_id WHERE u.obligor_id = %s AND ")
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":  # one statement text whatever the number of codes
            cur.execute(prepared(sql + "u.code = ANY(%s)"), [obligor.pk, list(codes)])
        else:
            cur.execute(sql + f"u.code IN ({', '.join(['%s'] * len(codes))})", [obligor.pk, *codes])
        return {code: PremisesUnit(pk, code, path) for pk, code, path in cur.fetchall()}


def premises_units(*, obligor: Obligor) -> list[Unit]:
    """The obligor's units, by code: its premises' code table."""
    return list(Unit.objects.filter(obligor=obligor).select_related("building").order_by("code"))


def premises_of(*, user: User) -> tuple[Obligor | None, QuerySet[Unit]]:
    """A declaration obligor's own premises, with the number of people registered there now. Nothing else."""
    obligor = obligor_of(user=user)
    if obligor is None:
        return None, Unit.objects.none()
    units = (obligor.units.select_related("building")
             .annotate(n_current=Count("registrations", filter=Q(registrations__ended_on__isnull=True)
                                       & ~Q(registrations__status="cancelled")))
             .order_by("building__address_code", "label"))
    return obligor, units


def obligors_for(*, actor: User, q: str = "", limit: int = 200) -> tuple[list[Obligor], int]:
    """The obligors registered inside the actor's area (for those who administer obligors), by name, with how
    many units each has; a name or code prefix `q` narrows them. The first `limit` and the count."""
    path = jurisdiction_path_for_user(actor) if can(actor, Capability.OBLIGOR_MANAGE) else None
    if path is None:
        return [], 0
    found = Obligor.objects.filter(jurisdiction__path__startswith=path)
    q = q.strip()[:100]
    if q:
        found = found.filter(Q(name__startswith=q) | Q(code__startswith=q))
    total = found.count()
    shown: list[Any] = list(found.select_related("jurisdiction", "account").annotate(n_units=Count("units"))
                 .order_by("name", "pk")[:limit])
    return shown, total


def obligor_units(*, obligor: Obligor) -> QuerySet[Unit]:
    return obligor.units.select_related("building").order_by("building__address_code", "label")
# Names for the audit trail's sentences (audit.subjects): what lies inside the viewer's area, by name.

def _viewer_path(viewer: User) -> str | None:
    return jurisdiction_path_for_user(viewer) if isinstance(viewer, User) else None


def buildings_named(viewer: User, ids: list[str]) -> dict[str, str]:
    path = _viewer_path(viewer)
    if path is None:
        return {}
    return {b.address_code: str(b) for b in Building.objects.filter(address_code__in=ids, grid__path__startswith=path)}


def building_exists(sid: str) -> bool:
    return len(sid) <= 32 and Building.objects.filter(address_code=sid).exists()


def units_named(viewer: User, ids: list[str]) -> dict[str, str]:
    path = _viewer_path(viewer)
    pks = subject_pks(ids)
    if path is None or not pks:
        return {}
    units = Unit.objects.select_related("building").filter(pk__in=pks, building__grid__path__startswith=path)
    return {str(u.pk): f"{u.building} {u.label}" for u in units}


def unit_exists(sid: str) -> bool:
    return row_exists(Unit, sid)


def areas_named(viewer: User, ids: list[str]) -> dict[str, str]:
    """Areas by name, for any viewer: the names of jurisdictions are no secret."""
    return dict(Jurisdiction.objects.filter(code__in=ids).values_list("code", "name"))


def area_exists(sid: str) -> bool:
    return len(sid) <= 32 and Jurisdiction.objects.filter(code=sid).exists()


def obligors_named(viewer: User, ids: list[str]) -> dict[str, str]:
    path = _viewer_path(viewer)
    pks = subject_pks(ids)
    if path is None or not pks:
        return {}
    return {str(pk): name for pk, name in Obligor.objects.filter(
        pk__in=pks, units__building__grid__path__startswith=path).distinct().values_list("pk", "name")}


def obligor_exists(sid: str) -> bool:
    return row_exists(Obligor, sid)


def reminder_latest(*, obligor: Obligor, days: int = 7) -> Reminder | None:
    """The obligor's latest reminder of the last `days` days, for its pages."""
    since = timezone.localdate() - dt.timedelta(days=days - 1)
    return Reminder.objects.filter(obligor=obligor, day__gte=since).order_by("-day").first()
