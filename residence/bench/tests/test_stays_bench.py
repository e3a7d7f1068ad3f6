"""The bench's stays figures are real declarations: check-ins over HTTP through the whole stack, a raw COPY into the
same table that leaves nothing behind, and a bare endpoint that writes its one row (speed itself is measured by
`residence bench`, not here)."""

from __future__ import annotations

import pytest
from django.db import connection, connections
from django.test.testcases import LiveServerThread
from django.utils import timezone

from residence.audit.models import Event
from residence.bench import bare_api, measure, stays
from residence.core.idnumber import parse_id_number
from residence.demo.services import demo_users_create
from residence.people.models import Person
from residence.places.models import Unit
from residence.stays.models import Stay

pytestmark = pytest.mark.django_db(transaction=True)


def test_check_ins_through_the_api_and_raw_copy_into_the_same_table(live_server) -> None:
    from residence.demo.services import demo_city_generate

    demo_city_generate(persons=60, seed=8)
    demo_users_create()
    premises = stays.bench_premises()
    ids = stays.guest_ids(0, 300)
    assert len(set(ids)) == 300
    assert all(str(parse_id_number(i)) == i for i in ids)
    assert stays.raw_stay_copy(premises, n=500) > 0
    assert not Stay.objects.exists()  # the raw rows were measured, not kept
    port = int(live_server.url.rsplit(":", 1)[1])
    rate, n = stays.api_check_ins(port, premises, batches=4, clients=1, size=25)  # SQLite's test db: one writer
    assert n == 100
    assert rate > 0
    assert Stay.objects.filter(event="check_in", idempotency_key__startswith="bench-").count() == 100
    assert stays.next_guest("bench-", 1) == 100  # guests 0 to 99: a next run starts above them
    assert stays.next_guest("bench1-", stays.SINGLE_GUESTS) == stays.SINGLE_GUESTS  # none yet
    assert Event.objects.filter(action="stay.checked_in").count() == 4  # one event per batch
    names = stays.guest_names(0, 100)  # the guests of the 4 batches of 25
    assert len(set(names)) == 100
    assert set(Person.objects.filter(name__in=names).values_list("name", flat=True)) == set(names)


def test_the_raw_copy_pays_the_foreign_key_checks_that_committed_rows_pay() -> None:
    """A measured raw COPY is rolled back, and the stays table's foreign keys are checked at commit: unless checked
    as the rows arrive, a row naming nobody would be measured as written, four checks a row cheaper than the API's."""
    from django.db import IntegrityError, transaction

    from residence.demo.services import demo_city_generate
    from residence.stays.models import Stay
    from residence.stays.partitions import stay_row_ids
    from residence.stays.services import ROW_COLUMNS

    demo_city_generate(persons=20, seed=8)
    demo_users_create()
    premises = stays.bench_premises()
    unit = Unit.objects.select_related("building__grid").get(code=premises.units[0])
    now = timezone.now()
    with transaction.atomic():
        rows = [tuple(getattr(Stay(id=i, stay_id=i, event="check_in", obligor_id=premises.obligor_id,
                                   unit_id=unit.pk, person_id=10**9, arrived_at=now, declared_at=now, channel="api",
                                   due_at=now, late=False, idempotency_key=f"raw-{i}",
                                   area_path=unit.building.grid.path), c) for c in ROW_COLUMNS)
                for i in stay_row_ids(20)]  # a COPY on PostgreSQL (16 rows or more), naming no person
        with pytest.raises(IntegrityError):
            stays.copy_checked(rows)
        transaction.set_rollback(True)
    assert not Stay.objects.exists()


def test_single_declarations_through_the_api_beside_a_bare_insert_endpoint(live_server) -> None:
    from residence.demo.services import demo_city_generate

    demo_city_generate(persons=60, seed=8)
    demo_users_create()
    premises = stays.bench_premises()
    clients = 2 if connection.vendor == "postgresql" else 1  # SQLite's in-memory test db: one writer
    bodies = stays.single_bodies(premises, clients, 3, first_guest=stays.SINGLE_GUESTS, prefix="bench1-")
    assert [len(mine) for mine in bodies] == [3] * clients
    port = int(live_server.url.rsplit(":", 1)[1])
    headers = {"Authorization": f"Bearer {premises.key}"}
    project = measure.post_load(port, "/api/v1/stays/check-ins", bodies, headers, seconds=120)
    n = 3 * clients
    assert (project.n, len(project.latencies)) == (n, n)
    assert project.rate > 0
    assert all(t > 0 for t in project.latencies)
    # each a whole declaration: a new guest, a stay under a fresh key, an audit event
    assert Stay.objects.filter(event="check_in", idempotency_key__startswith="bench1-").count() == n
    assert stays.next_guest("bench1-", stays.SINGLE_GUESTS) == stays.SINGLE_GUESTS + n
    assert Event.objects.filter(action="stay.checked_in", data__count=1).count() == n
    assert Person.objects.filter(name__in=stays.guest_names(stays.SINGLE_GUESTS, n)).count() == n

    bare_api.table_create()
    in_memory = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    for conn in in_memory.values():  # shared with the server's threads, as the live server shares it
        conn.inc_thread_sharing()
    server = LiveServerThread("localhost", lambda _handler: bare_api.BareHandler(), in_memory, 0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    try:
        assert server.error is None
        again = stays.single_bodies(premises, clients, 3, first_guest=stays.SINGLE_GUESTS + n, prefix="bare-")
        bare = measure.post_load(server.port, "/check-ins", again, {}, seconds=120)
        assert (bare.n, len(bare.latencies)) == (n, n)
        assert bare_api.table_rows() == n  # one row per request, and nothing else written
        assert Stay.objects.count() == n
        assert not Stay.objects.filter(idempotency_key__startswith="bare-").exists()
    finally:
        server.terminate()
        for conn in in_memory.values():
            conn.dec_thread_sharing()
        bare_api.table_drop()
    figures = stays.single_figures(bare, project, clients)
    assert [f.unit for f in figures] == ["req/s", "req/s", "ms", "ms"]
    assert figures[1].ratio == project.rate / bare.rate
    assert 0 < figures[2].value <= figures[3].value
