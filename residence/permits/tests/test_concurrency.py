"""Two clerks act on one application at the same moment: exactly one succeeds, the other is told, nothing doubles."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from residence.core.errors import ValidationError
from residence.permits.models import ApplicationStep, PermitApplication
from residence.permits.services import application_accept, application_submit

ALL = ["id_card", "photo", "address_proof", "employment_proof"]


@pytest.mark.django_db(transaction=True)
def test_two_clerks_accept_at_once(people) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL's row locks")
    app = application_submit(actor=people["resident"], point_code=people["police"].code, materials=ALL)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def clerk() -> None:
        try:
            start.wait()
            application_accept(actor=people["clerk"], application_id=app.pk, materials=ALL)
            outcomes.append("accepted")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the second is refused: by the row lock ("transition": it sees the application accepted) or, were the lock
    # gone, by the conditional update ("moved_on")
    assert sorted(outcomes)[0] == "accepted"
    assert sorted(outcomes)[1] in {"transition", "moved_on"}
    assert PermitApplication.objects.get(pk=app.pk).status == "accepted"
    assert ApplicationStep.objects.filter(application=app).count() == 1
