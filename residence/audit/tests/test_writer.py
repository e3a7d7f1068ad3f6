"""The audit writer (audit.services._defer): an event nobody waits for (`durable=False`, an anonymous e-permit
check) outside a transaction is handed over and stored by the process's writer thread, every one of them once, even
from many threads at once and when one of them is refused; the rest is written when the process exits. A durable
event, or any event inside a transaction, is written before `event_record` returns."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction

from residence.audit import services
from residence.audit.models import Event
from residence.audit.services import audit_flush, event_record, event_tag
from residence.audit.tests.test_grouped import EACH, THREADS, _in_threads
from residence.core.keys import keyring

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(connection.vendor != "postgresql", reason="the audit writer serves PostgreSQL; on "
                                 "SQLite, one writer at a time, callers write their own events")]


def _stored(**kwargs) -> list[str]:
    return sorted(Event.objects.filter(action="test.thing.checked", **kwargs).values_list("subject_id", flat=True))


@pytest.fixture
def slow_writer(settings):
    """The writer gathers for a minute: an event is stored only when someone flushes."""
    settings.AUDIT_DEFER_SECONDS = 60
    yield
    assert audit_flush(timeout=30)


def test_the_caller_does_not_wait_the_writer_stores_it_on_flush_and_its_tag_holds(slow_writer) -> None:
    quick = event_record(actor=None, action="test.thing.checked", subject_id="quick", data={"result": "valid"},
                         durable=False)
    assert quick.pk is None  # handed over, not written yet
    assert _stored() == []
    kept = event_record(actor=None, action="test.thing.checked", subject_id="kept")
    assert kept.pk is not None  # a durable event is written at once
    assert _stored() == ["kept"]
    with transaction.atomic():
        inside = event_record(actor=None, action="test.thing.checked", subject_id="inside", durable=False)
        assert inside.pk is not None  # inside a transaction: written with it
    assert _stored() == ["inside", "kept"]
    assert audit_flush(timeout=30)
    assert _stored() == ["inside", "kept", "quick"]
    row = Event.objects.get(uid=quick.uid)
    assert (row.data, row.tag) == ({"result": "valid"}, quick.tag)
    assert event_tag(row, keyring("audit").get(row.key_id)) == row.tag  # as written, so the chain verifies it


def test_events_handed_over_by_many_threads_are_each_stored_once() -> None:
    def work(k: int) -> None:
        for i in range(EACH):
            event_record(actor=None, action="test.thing.checked", subject_type="thing", subject_id=f"{k}-{i}",
                         data={"k": k, "i": i}, durable=False)

    assert _in_threads(work) == []
    assert audit_flush(timeout=30)
    assert _stored() == sorted(f"{k}-{i}" for k in range(THREADS) for i in range(EACH))


def test_an_event_the_database_refuses_is_logged_and_the_others_are_stored(slow_writer, monkeypatch,
                                                                          caplog) -> None:
    taken = event_record(actor=None, action="test.thing.done", subject_id="first")
    real_uuid4 = uuid.uuid4
    for i in range(5):
        if i == 2:  # its uid is taken (unique): it can never be stored
            monkeypatch.setattr(uuid, "uuid4", lambda: taken.uid)
        event_record(actor=None, action="test.thing.checked", subject_id=str(i), durable=False)
        monkeypatch.setattr(uuid, "uuid4", real_uuid4)
    with caplog.at_level(logging.ERROR, logger="residence.audit.services"):
        assert audit_flush(timeout=30)
    assert _stored() == ["0", "1", "3", "4"]
    assert any("could not be stored" in r.getMessage() for r in caplog.records)


def test_when_the_queue_is_full_a_caller_writes_its_own_event(slow_writer, monkeypatch) -> None:
    monkeypatch.setattr(services, "DEFER_MAX", 2)  # the database has stalled: the queue is full
    events = [event_record(actor=None, action="test.thing.checked", subject_id=str(i), durable=False)
              for i in range(3)]
    assert [e.pk is not None for e in events] == [False, False, True]
    assert _stored() == ["2"]


def test_what_the_writer_holds_when_the_process_exits_is_stored() -> None:
    db = connection.settings_dict
    env = {**os.environ, "RESIDENCE_AUDIT_DEFER": "600", "DJANGO_SETTINGS_MODULE": "config.settings",
           "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                           f"{db['PORT'] or 5432}/{db['NAME']}"}
    script = ("import django; django.setup()\n"
              "from residence.audit.services import event_record\n"
              "for i in range(5):\n"
              "    event_record(actor=None, action='test.thing.checked', subject_id=str(i), durable=False)\n")
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=django_settings.BASE_DIR, timeout=120,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _stored() == ["0", "1", "2", "3", "4"]
