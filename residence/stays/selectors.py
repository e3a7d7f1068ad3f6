"""Reads of stays for the premises that declared them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from residence.core.lean import prepared
from residence.places.models import Obligor
from residence.stays.models import Stay, StayEvent


def stays_declared_on(*, obligor: Obligor, day: dt.date) -> list[dict[str, Any]]:
    """What the premises declared on a (Beijing-time) day, oldest first, with stay numbers and keys, to reconcile
    against the property-management system's own log. No personal data: the integrator has it already."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    rows = (Stay.objects.filter(obligor=obligor, declared_at__gte=start, declared_at__lt=start + dt.timedelta(days=1))
            .select_related("unit").order_by("declared_at", "id"))
    return [{"stay_id": r.stay_id, "event": r.event, "unit_code": r.unit.code, "idempotency_key": r.idempotency_key,
             "arrived_at": timezone.localtime(r.arrived_at).isoformat(),
             "departed_at": timezone.localtime(r.departed_at).isoformat() if r.departed_at else None,
             "declared_at": timezone.localtime(r.declared_at).isoformat(), "on_time": not r.late} for r in rows]


def open_check_ins() -> QuerySet[Stay]:
    """The check-in rows of stays still open: no later row (a check-out, or the system's "departure not
    declared") names their stay. One probe of the stay_id index per row, not a scan of every closed stay."""
    later = Stay.objects.filter(stay_id=OuterRef("stay_id")).exclude(event=StayEvent.CHECK_IN)
    return Stay.objects.filter(event=StayEvent.CHECK_IN).exclude(Exists(later))


def open_check_ins_of(person_ids: Sequence[int], columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """`columns` of the open check-ins (`open_check_ins`) of these persons, oldest arrival first. One person's (a
    single declaration's returning guest) on PostgreSQL by a prepared statement: planning it for each of the stay
    table's monthly partitions took PostgreSQL a millisecond, five times the look-up itself, on every single
    check-in; with one person the generic plan is the plan (with several, the values count, and the ORM's statement
    is planned for them once a batch)."""
    if not person_ids:
        return []
    if connection.vendor == "postgresql" and len(person_ids) == 1:
        with connection.cursor() as cur:
            cur.execute(_open_of_one_sql(tuple(columns)), [person_ids[0]])
            return cur.fetchall()
    return list(open_check_ins().filter(person_id__in=person_ids).order_by("arrived_at").values_list(*columns))


@cache
def _open_of_one_sql(columns: tuple[str, ...]) -> str:
    stay = connection.ops.quote_name(Stay._meta.db_table)
    return prepared(f"SELECT {', '.join(f's.{c}' for c in columns)} FROM {stay} s WHERE s.person_id = %s "
                    f"AND s.event = '{StayEvent.CHECK_IN.value}' AND NOT EXISTS (SELECT 1 FROM {stay} u "
                    f"WHERE u.stay_id = s.stay_id AND u.event <> '{StayEvent.CHECK_IN.value}') ORDER BY s.arrived_at")


def stays_open(*, obligor: Obligor, limit: int = 200) -> list[Stay]:
    """The premises' guests checked in now, latest first, with their unit and (masked) person."""
    return list(open_check_ins().filter(obligor=obligor).select_related("unit", "person")
                .order_by("-arrived_at", "-id")[:limit])
