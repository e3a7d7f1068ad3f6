"""Stays in `residence bench`: check-ins through the integrator API beside raw limits measured in the same run.

Batches: 1,000 check-ins of guests not yet on record (the costly case: each is a new person, its ID number
encrypted and indexed) posted over HTTP by 4 clients to `residence serve`'s stack under granian; every item is
validated, its key claimed, its deadline computed, and each batch is one audit event. The raw limit: binary COPY of
rows as wide as a stay straight into `stays_stay`, their foreign keys checked (`copy_checked`).

Single declarations: one-item check-ins (a new guest, a fresh idempotency key each) from 16 clients through the whole
stack (bearer key, validation, encryption, audit), beside the bare endpoint of `bare_api` (Django and ninja, the same
body, one INSERT) served by the same granian the same way, both at once and loaded in turns
(`measure.interleaved_loads`).
Both answer bodies serialised before the clock starts.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from residence.bench.measure import (
    Figure,
    Load,
    Target,
    free_port,
    interleaved_loads,
    percentile,
    post_load,
    serve,
    stop,
    wait_http,
)
from residence.core.idnumber import check_character

BATCH = 1_000
SINGLE_CLIENTS = 16
SINGLE_GUESTS = 5_000_000  # the single declarations' guests are numbered from here, the batches' from 0


@dataclass
class Premises:
    obligor_id: int
    key: str
    units: list[str]


def bench_premises() -> Premises:
    """The demo's hotel with a fresh key (the demo binds the `hotel` log-in to a hotel and its units)."""
    from residence.places.models import Obligor, Unit
    from residence.stays.services import stay_key_issue

    hotel = Obligor.objects.filter(account__username="hotel").first()
    if hotel is None:
        raise RuntimeError("no demo hotel: run the demo generation first")
    units = list(Unit.objects.filter(obligor=hotel).values_list("code", flat=True)[:50])
    if not units:
        raise RuntimeError("the demo hotel has no units")
    _token, key = stay_key_issue(actor=None, obligor_id=hotel.pk)
    return Premises(hotel.pk, key, units)


def guest_ids(start: int, n: int) -> list[str]:
    """`n` valid, distinct ID numbers (born 1970–1999, a sequence number per day), from the `start`-th on."""
    out = []
    for k in range(start, start + n):
        born = dt.date(1970, 1, 1) + dt.timedelta(days=k % 10950)
        first = f"110105{born:%Y%m%d}{(k // 10950) % 1000:03d}"
        out.append(first + check_character(first))
    return out


def guest_names(start: int, n: int) -> list[str]:
    """`n` guests' names from the demo's lists (surnames and given names as Faker's zh_CN has them), varied so that
    no cache of names flatters the figures."""
    from faker.providers.person.zh_CN import Provider as ZhNames

    surnames = list(ZhNames.last_names)
    given = ZhNames.first_names_male + ZhNames.first_names_female
    return [surnames[k % len(surnames)] + given[(k // len(surnames) + k) % len(given)] for k in range(start, start + n)]


def raw_stay_copy(premises: Premises, n: int = 200_000) -> float:
    """Rows per second through binary COPY into `stays_stay` itself (then removed), rows as the API writes them."""
    from residence.people.models import Person
    from residence.places.models import Unit
    from residence.stays.models import Stay
    from residence.stays.partitions import stay_row_ids
    from residence.stays.services import ROW_COLUMNS

    person_id = Person.objects.order_by("pk").values_list("pk", flat=True).first()
    if person_id is None:
        raise RuntimeError("no persons: run the demo generation first")
    unit = Unit.objects.select_related("building__grid").get(code=premises.units[0])
    now = timezone.now()
    template = Stay(id=0, stay_id=0, event="check_in", obligor_id=premises.obligor_id, unit_id=unit.pk,
                    person_id=person_id, arrived_at=now, declared_at=now, channel="api", due_at=now, late=False,
                    idempotency_key="", area_path=unit.building.grid.path)  # a row as the API writes it
    values = [getattr(template, c) for c in ROW_COLUMNS]
    at = {c: ROW_COLUMNS.index(c) for c in ("id", "stay_id", "idempotency_key")}

    def row(i: int) -> tuple[object, ...]:
        values[at["id"]] = values[at["stay_id"]] = i
        values[at["idempotency_key"]] = f"raw-{i}"
        return tuple(values)

    with transaction.atomic():
        rows = [row(i) for i in stay_row_ids(n)]  # built before the clock starts
        elapsed = copy_checked(rows)
        transaction.set_rollback(True)  # measured, not kept
    return n / elapsed


def copy_checked(rows: list[tuple[object, ...]]) -> float:
    """Seconds to COPY `rows` into `stays_stay` in the caller's transaction with the table's constraints checked as
    the rows arrive. Its foreign keys (person, unit, obligor, account) are deferred to the commit, and a measured
    COPY is rolled back, so without `SET CONSTRAINTS ALL IMMEDIATE` it would skip four checks a row that every
    committed row, the API's included, pays."""
    from residence.core.bulk import bulk_insert
    from residence.stays.models import Stay
    from residence.stays.services import ROW_COLUMNS

    postgres = connection.vendor == "postgresql"
    t = time.perf_counter()
    with connection.wrap_database_errors, connection.cursor() as cur:  # a refused row: Django's IntegrityError
        if postgres:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        bulk_insert(Stay, ROW_COLUMNS, rows)
        if not postgres:  # SQLite cannot check a deferred key early: it is asked to
            cur.execute(f"PRAGMA foreign_key_check({Stay._meta.db_table})")
            if cur.fetchone() is not None:
                raise IntegrityError("a raw stay row names a row that does not exist")
        elapsed = time.perf_counter() - t
        if postgres:
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
    return elapsed


def next_guest(prefix: str, start: int) -> int:
    """The first guest number above every one that an earlier run declared under `prefix` (a key is the prefix and
    the guest's number), or `start`: a run's windows leave numbers unsent between them, so the count of stays kept
    is not where the next run may begin."""
    from residence.stays.models import Stay

    top = (Stay.objects.filter(idempotency_key__startswith=prefix)
           .aggregate(top=Max(Cast(Substr("idempotency_key", len(prefix) + 1), BigIntegerField())))["top"])
    return start if top is None else int(top) + 1


def api_check_ins(port: int, premises: Premises, *, batches: int = 40, clients: int = 4, first_guest: int = 0,
                  size: int = BATCH) -> tuple[float, int]:
    """(check-ins accepted per second, how many) from `clients` keep-alive connections posting `batches` batches
    of `size` between them."""
    start = timezone.localtime() - dt.timedelta(minutes=20)
    arrived = [(start - dt.timedelta(seconds=i)).isoformat() for i in range(size)]  # a desk's guests, one by one
    bodies = []
    for b in range(batches):
        ids = guest_ids(first_guest + b * size, size)
        names = guest_names(first_guest + b * size, size)
        bodies.append(json.dumps({"items": [
            {"idempotency_key": f"bench-{first_guest + b * size + i}", "id_number": number, "name": name,
             "unit_code": premises.units[i % len(premises.units)], "arrived_at": arrived[i]}
            for i, (number, name) in enumerate(zip(ids, names, strict=True))]}, ensure_ascii=False).encode())
    load = post_load(port, "/api/v1/stays/check-ins", [bodies[k::clients] for k in range(clients)],
                     {"Authorization": f"Bearer {premises.key}"}, seconds=math.inf,
                     tally=lambda text: {"accepted": json.loads(text)["accepted"]})
    accepted = load.results["accepted"]
    return accepted / load.seconds, accepted


def served_check_ins(premises: Premises, *, batches: int = 40) -> tuple[float, int]:
    """`api_check_ins` against the project served by granian (2 workers), the bench database in DATABASE_URL."""

    first = next_guest("bench-", 1)  # guests of earlier runs stay
    port = free_port()
    proc = serve("config.wsgi:application", port, dict(os.environ))
    try:
        if not wait_http(port, "/healthz"):
            raise RuntimeError("the project did not start")
        connection.close()  # the server's workers write; this process only waits
        return api_check_ins(port, premises, batches=batches, first_guest=first)
    finally:
        stop(proc)


def single_bodies(premises: Premises, clients: int, per_client: int, *, first_guest: int, prefix: str
                  ) -> list[list[bytes]]:
    """Each client's one-item check-in bodies, serialised now: a new guest and a fresh idempotency key each."""
    arrived = (timezone.localtime() - dt.timedelta(minutes=20)).isoformat()
    n = clients * per_client
    ids, names = guest_ids(first_guest, n), guest_names(first_guest, n)
    bodies = [json.dumps({"items": [{"idempotency_key": f"{prefix}{first_guest + k}", "id_number": ids[k],
                                     "name": names[k], "unit_code": premises.units[k % len(premises.units)],
                                     "arrived_at": arrived}]}, ensure_ascii=False).encode() for k in range(n)]
    return [bodies[c::clients] for c in range(clients)]


def served_single_declarations(premises: Premises, *, seconds: float = 4.0, clients: int = SINGLE_CLIENTS,
                               workers: int = 2) -> tuple[Load, Load]:
    """(the bare endpoint, the project's one-item check-ins), each served by granian with `workers` workers on the
    bench database, both at once, and loaded in turns (`interleaved_loads`: windows of `seconds`) by `clients`
    clients after a short warm-up each, new guests in every window. The project's server runs with the per-client
    rate limit raised (one key sends them all; the limit is not what is measured)."""
    from residence.bench import bare_api

    bare_api.table_create()
    env = dict(os.environ, RESIDENCE_API_TOKEN_RATE=str(10**9))
    per_client = int(seconds * 200) + 20  # more than a client can send in the time
    first = next_guest("bench1-", SINGLE_GUESTS)  # the bare endpoint keeps no guests: both load the same numbers
    procs = []
    targets = []
    try:
        for app, ping, path, headers, prefix in [
                ("residence.bench.bare_wsgi:application", "/ping", "/check-ins", {}, "bare-"),
                ("config.wsgi:application", "/healthz", "/api/v1/stays/check-ins",
                 {"Authorization": f"Bearer {premises.key}"}, "bench1-")]:
            port = free_port()
            procs.append(serve(app, port, env, workers=workers))
            if not wait_http(port, ping):
                raise RuntimeError(f"{app} did not start")

            def window(r: int, prefix: str = prefix) -> list[list[bytes]]:  # round r's guests, after the warm-up's
                return single_bodies(premises, clients, per_client, prefix=prefix,
                                     first_guest=first + clients * 10 + r * clients * per_client)

            targets.append(Target(port, path, window, headers))
            post_load(port, path, single_bodies(premises, clients, 10, first_guest=first, prefix=prefix), headers,
                      seconds=seconds)
        connection.close()  # the servers' workers write; this process only waits
        bare, project = interleaved_loads(targets, seconds=seconds)
    finally:
        for proc in procs:
            stop(proc)
        bare_api.table_drop()
    return bare, project


def single_figures(bare: Load, project: Load, clients: int = SINGLE_CLIENTS) -> list[Figure]:
    return [Figure(f"raw: bare ninja endpoint, one INSERT ({clients} clients)", bare.rate, "req/s"),
            Figure(f"single check-ins through the API ({clients} clients)", project.rate, "req/s", "≥ 40%",
                   "bare INSERT endpoint", bare.rate),
            Figure("single check-in latency, p50", percentile(project.latencies, 50) * 1000, "ms"),
            Figure("single check-in latency, p99", percentile(project.latencies, 99) * 1000, "ms", "≤ 100 ms")]
