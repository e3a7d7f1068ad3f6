"""Group commit of audit events logged outside a transaction (audit.services._grouped): every thread's event is
stored, under the id it was given, once; one bad event fails only its own caller; inside a transaction an event
still commits or rolls back with the change."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from residence.audit.models import Event
from residence.audit.services import event_record

THREADS, EACH = 12, 40


def _in_threads(work) -> list[BaseException]:
    """Run work(k) in THREADS threads started together; the exceptions they raised. Each closes its connection."""
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def run(k: int) -> None:
        start.wait()
        try:
            work(k)
        except BaseException as exc:  # noqa: BLE001 - collected for the test's assertions
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is still waiting for its event"
    return failures


@pytest.mark.django_db(transaction=True)
def test_events_logged_at_once_by_many_threads_are_each_stored_once_under_their_id() -> None:
    got: dict[int, list[Event]] = {}

    def work(k: int) -> None:
        got[k] = [event_record(actor=None, action="test.thing.done", subject_type="thing", subject_id=f"{k}-{i}",
                               data={"k": k, "i": i}) for i in range(EACH)]

    assert _in_threads(work) == []
    stored = {e.pk: e.subject_id for e in Event.objects.filter(action="test.thing.done")}
    assert len(stored) == THREADS * EACH
    for k, events in got.items():
        assert [stored[e.pk] for e in events] == [f"{k}-{i}" for i in range(EACH)]  # each its own row, in order
        assert [e.pk for e in events] == sorted(e.pk for e in events)


@pytest.mark.django_db(transaction=True)
def test_one_bad_event_in_a_group_fails_only_its_own_caller(monkeypatch) -> None:
    taken = event_record(actor=None, action="test.thing.done", subject_id="first")
    bad = THREADS // 2
    corrupt = threading.local()  # on: this thread's next event gets a uid already taken (unique), it cannot be stored
    real_uuid4 = uuid.uuid4
    monkeypatch.setattr(uuid, "uuid4", lambda: taken.uid if getattr(corrupt, "on", False) else real_uuid4())
    errors: dict[int, BaseException] = {}

    def work(k: int) -> None:
        for i in range(EACH):
            corrupt.on = k == bad and i % 5 == 0
            try:
                event_record(actor=None, action="test.thing.done", subject_id=f"{k}-{i}")
            except DatabaseError as exc:
                errors[k * EACH + i] = exc

    assert _in_threads(work) == []
    assert sorted(errors) == [bad * EACH + i for i in range(0, EACH, 5)]
    assert all(isinstance(e, IntegrityError) for e in errors.values())
    stored = set(Event.objects.filter(action="test.thing.done").values_list("subject_id", flat=True))
    assert len(stored) == 1 + THREADS * EACH - len(errors)
    assert f"{bad}-1" in stored
    assert f"{bad}-0" not in stored


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_an_event_rolls_back_with_the_change() -> None:
    def change() -> None:
        with transaction.atomic():
            event_record(actor=None, action="test.thing.done", subject_id="rolled back")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change()
    event_record(actor=None, action="test.thing.done", subject_id="kept")
    assert list(Event.objects.filter(action="test.thing.done").values_list("subject_id", flat=True)) == ["kept"]
