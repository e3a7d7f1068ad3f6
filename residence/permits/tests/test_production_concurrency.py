"""Two production staff reveal one batch at the same moment, and two clerks issue one card at once: exactly one
succeeds, the other is refused, nothing doubles (PostgreSQL's row locks; SQLite serialises writers anyway)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from residence.audit.models import Event
from residence.core.errors import ValidationError
from residence.permits.models import Permit
from residence.permits.production import batch_create, batch_ready, batch_reveal, permit_issue
from residence.permits.tests.test_production import approved


def race(act: Callable[[], object]) -> list[str]:
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        try:
            start.wait()
            act()
            outcomes.append("done")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_reveals_and_two_issues_at_once(people, make_user) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL's row locks")
    producer = make_user("prod", "production")
    app = approved(people, people["persons"][1])
    batch = batch_create(actor=producer, application_ids=[app.pk])
    assert race(lambda: batch_reveal(actor=producer, batch_id=batch.pk, purpose="制卡")) == ["done", "revealed"]
    assert Event.objects.filter(action="permit.batch.revealed").count() == 1
    batch_ready(actor=producer, batch_id=batch.pk)
    outcomes = race(lambda: permit_issue(actor=people["clerk"], application_id=app.pk, delivery="counter"))
    assert outcomes[0] == "done"
    assert outcomes[1] in {"transition", "moved_on"}
    assert Permit.objects.filter(application=app).count() == 1
    assert Event.objects.filter(action="permit.card.issued").count() == 1
