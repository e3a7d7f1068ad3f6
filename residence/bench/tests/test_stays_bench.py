"""The bench's stays figures are real declarations: check-ins over HTTP through the whole stack, and a raw COPY into
the same table that leaves nothing behind (speed itself is measured by `residence bench`, not here)."""

from __future__ import annotations

import pytest

from residence.audit.models import Event
from residence.bench import stays
from residence.core.idnumber import parse_id_number
from residence.demo.services import demo_users_create
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
    assert Event.objects.filter(action="stay.checked_in").count() == 4  # one event per batch
