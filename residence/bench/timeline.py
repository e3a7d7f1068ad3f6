"""A person's residence timeline in `residence bench`: the stays table topped up to millions of rows by raw COPY,
then `registrations.selectors.residence_timeline` (the person in scope, their registrations, their latest stays by
the (person, arrived_at) index, continuity and "registered only" from the rules engine) for random persons of a
district clerk's area, one at a time.

The filler writes stays as the API does (a check-in row and a check-out row naming it), spread over the demo's
persons, the hotel's units and the last 24 months, each month in its own partition (created first). Rows are kept:
a second run only tops the table up. Foreign keys are not checked during the load (`session_replication_role =
replica`, as a restore does): every id written is one that exists.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from residence.bench.measure import _bench_user, _random_person_ids

if TYPE_CHECKING:
    from residence.accounts.models import User

BATCH = 1_000_000  # rows per COPY (one transaction each)
MONTHS = 24


def stays_fill(target: int, *, progress: Callable[[str], None] = print, seed: int = 7) -> int:
    """Add stay rows (check-in and check-out pairs) until the table holds `target` rows; returns the rows now there."""
    from residence.core.bulk import bulk_insert
    from residence.people.models import Person
    from residence.places.models import Obligor, Unit
    from residence.stays.models import Stay
    from residence.stays.partitions import stay_partitions_ensure, stay_row_ids
    from residence.stays.services import ROW_COLUMNS

    have = Stay.objects.count()
    if have >= target:
        return have
    hotel = Obligor.objects.filter(account__username="hotel").first()
    if hotel is None:
        raise RuntimeError("no demo hotel: run the demo generation first")
    units = list(Unit.objects.filter(obligor=hotel).values_list("pk", "building__grid__path")[:50])
    persons = list(Person.objects.values_list("pk", flat=True))
    if not units or not persons:
        raise RuntimeError("the demo hotel has no units, or there are no persons")
    now = timezone.now()
    first = (now - dt.timedelta(days=31 * MONTHS)).date()
    stay_partitions_ensure(first, now.date())
    rng = random.Random(seed + have)
    order = {c: i for i, c in enumerate(ROW_COLUMNS)}
    template: list[Any] = [None] * len(ROW_COLUMNS)
    for column, value in {"obligor_id": hotel.pk, "channel": "api", "late": False, "idempotency_key": "",
                          "expected_departure": None, "declared_by_id": None, "overlaps": None}.items():
        template[order[column]] = value
    ix = {c: order[c] for c in ["id", "stay_id", "event", "unit_id", "person_id", "arrived_at", "departed_at",
                                "declared_at", "due_at", "area_path"]}

    def rows(ids: list[int]) -> Iterator[list[Any]]:
        """A stay per two ids: its check-in, then its check-out naming it, for a random person."""
        for k in range(0, len(ids) - 1, 2):
            person = persons[rng.randrange(len(persons))]
            unit, path = units[rng.randrange(len(units))]
            arrived = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 30 * MONTHS))
            left = arrived + dt.timedelta(hours=rng.randrange(2, 72))
            for row_id, event, declared in ((ids[k], "check_in", arrived), (ids[k + 1], "check_out", left)):
                row = template.copy()
                row[ix["id"]], row[ix["stay_id"]], row[ix["event"]] = row_id, ids[k], event
                row[ix["unit_id"]], row[ix["area_path"]], row[ix["person_id"]] = unit, path, person
                row[ix["arrived_at"]], row[ix["declared_at"]] = arrived, min(declared, now)
                row[ix["departed_at"]] = left if event == "check_out" else None
                row[ix["due_at"]] = arrived + dt.timedelta(hours=2)
                yield row

    while have < target:
        n = min(BATCH, target - have)
        n += n % 2
        t = time.perf_counter()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL session_replication_role = replica")
            bulk_insert(Stay, ROW_COLUMNS, rows(stay_row_ids(n)))
        have += n
        progress(f"  stays: {have:,} rows ({n / (time.perf_counter() - t):,.0f} rows/s)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # as autovacuum leaves a live table: rows just copied have neither hint bits nor a visibility map, so
            # the first reads of them also write (a first pass of timelines over 400 persons right after a fill:
            # p50 10.6 ms; the passes after it: 4 to 5 ms). VACUUM cannot run inside a caller's transaction: there,
            # the statistics only. The whole bench after a fill, with the VACUUM but without the CHECKPOINT: p50
            # 12.2 ms, p99 18.1 ms; with both, in a run on the filled table: p50 9.3 ms, p99 13.6 ms.
            vacuum = "" if connection.in_atomic_block else "VACUUM "
            cur.execute(f"{vacuum}ANALYZE {Stay._meta.db_table}")
            if vacuum:  # the fill's pages written out now, not by a checkpoint during the figures measured next
                with suppress(DatabaseError):  # a role without pg_checkpoint: the figures may then include one
                    cur.execute("CHECKPOINT")
    return have


def timeline_persons(n: int, *, username: str = "clerk") -> tuple[User, list[int]]:
    """The clerk and `n` random persons registered now in the clerk's area (by the registrations' area index:
    `person_scope` over all stays of the area would read millions of check-ins to pick them)."""
    from residence.places.selectors import jurisdiction_path_for_user
    from residence.registrations.models import Registration

    user = _bench_user(username)
    pks = _random_person_ids(n * 20, seed=4)
    visible = set(Registration.objects.filter(person_id__in=pks, ended_on__isnull=True,
                                              area_path__startswith=jurisdiction_path_for_user(user) or "-")
                  .values_list("person_id", flat=True))
    persons = list(dict.fromkeys(p for p in pks if p in visible))[:n]
    if not persons:
        raise RuntimeError(f"no person in the {username}'s area")
    return user, persons


def timeline_latencies(user: User, persons: list[int]) -> list[float]:
    """Seconds per residence timeline (with continuity) of each person, in turn, through the selector the pages
    call (`registrations.selectors.residence_timeline`: scope, registrations, stays, the rules)."""
    from residence.registrations.selectors import residence_timeline

    for pk in persons[:20]:  # warm-up
        residence_timeline(user=user, person_id=pk)
    out = []
    for pk in persons:
        t = time.perf_counter()
        residence_timeline(user=user, person_id=pk)
        out.append(time.perf_counter() - t)
    return out


def timeline_page_latencies(user: User, persons: list[int]) -> list[float]:
    """Seconds per person page with its timeline section, in turn, through Django's whole stack in this process
    (middleware, session, the scoped read and its audit event, the record, the registrations, the timeline,
    templates), without HTTP: what the page adds to the selector."""
    from django.test import Client

    client = Client()
    client.force_login(user)

    def page(pk: int) -> None:
        response = client.get(f"/people/{pk}/")
        if response.status_code != 200 or b'id="timeline"' not in response.content:
            raise RuntimeError(f"the person page of {pk} answered {response.status_code} without its timeline")

    for pk in persons[:20]:  # warm-up
        page(pk)
    out = []
    for pk in persons:
        t = time.perf_counter()
        page(pk)
        out.append(time.perf_counter() - t)
    return out
