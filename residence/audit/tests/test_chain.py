from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from residence.audit.models import Block, Event
from residence.audit.selectors import chain_verify, event_list, trail_scope
from residence.audit.services import GENESIS, audit_seal, block_hash, event_digest, event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def tamper() -> None:
    """Drop the append-only triggers, as the database's owner could; the test's rollback restores them."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for table in ("audit_event", "audit_block"):
                cur.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        else:
            for (name,) in cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                       "AND tbl_name LIKE 'audit%'").fetchall():
                cur.execute(f'DROP TRIGGER "{name}"')


@pytest.fixture
def seal(django_capture_on_commit_callbacks):
    """Seal now, running the after-commit step (the witness) as a real commit would."""
    def do() -> Block | None:
        with django_capture_on_commit_callbacks(execute=True):
            return audit_seal(grace_seconds=0)
    return do


def fill(n: int) -> None:
    for i in range(n):
        event_record(actor=None, action="test.thing.done", subject_type="thing", subject_id=i, data={"i": i})


def test_every_audit_row_is_append_only_from_its_insert(seal) -> None:
    fill(2)
    seal()
    fill(1)  # not sealed yet: still append-only
    unsealed = Event.objects.order_by("-id").first()
    assert unsealed is not None
    attempts = [lambda: Event.objects.filter(block_seq=1).update(data={"i": 999}),
                lambda: Event.objects.filter(block_seq=1).delete(),
                lambda: Event.objects.filter(pk=unsealed.pk).update(actor_label="forged"),
                lambda: Event.objects.filter(pk=unsealed.pk).delete(),
                lambda: Block.objects.filter(seq=1).update(hash="f" * 64),
                lambda: Block.objects.filter(seq=1).delete()]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert seal() is not None
    report = chain_verify()
    assert (report.ok, report.blocks, report.events, report.unsealed) == (True, 2, 3, 0)


def test_events_are_sealed_into_signed_chained_blocks_without_writing_to_events(seal) -> None:
    fill(3)
    before = list(Event.objects.order_by("id").values())
    b1 = seal()
    fill(2)
    b2 = seal()
    assert b1 is not None
    assert b2 is not None
    assert (b1.seq, b1.event_count, b2.seq, b2.event_count) == (1, 3, 2, 2)
    assert b2.prev_hash == b1.hash
    assert len(b1.signature) == 128
    assert list(Event.objects.order_by("id").values())[:3] == before  # sealing changed no event
    assert seal() is None
    assert chain_verify().ok
    assert chain_verify().events == 5


def test_rolled_back_ids_are_recorded_as_skipped(seal) -> None:
    fill(1)
    sid = transaction.savepoint()
    fill(1)
    transaction.savepoint_rollback(sid)  # as a failed service's transaction: the id is used, the row is gone
    fill(1)
    block = seal()
    assert block is not None
    first, last = Event.objects.order_by("id")
    assert block.skipped_ids == list(range(first.pk + 1, last.pk))
    assert chain_verify().ok


def test_grace_period_leaves_young_events_for_later() -> None:
    fill(2)
    assert audit_seal(grace_seconds=3600) is None
    assert Event.objects.filter(block_seq__isnull=True).count() == 2


def test_altered_event_is_named(seal, tamper) -> None:
    fill(2)
    seal()
    fill(2)
    seal()
    e = Event.objects.filter(block_seq=2).first()
    assert e is not None
    Event.objects.filter(pk=e.pk).update(data={"i": 999})
    report = chain_verify()
    assert (report.ok, report.broken_block, report.blocks, report.event_id) == (False, 2, 1, e.pk)
    assert f"event {e.pk} was altered" in report.reason


def test_deleted_event_is_named(seal, tamper) -> None:
    fill(3)
    seal()
    victim = Event.objects.order_by("id")[1].pk
    Event.objects.filter(pk=victim).delete()
    report = chain_verify()
    assert (report.ok, report.broken_block, report.event_id) == (False, 1, victim)
    assert report.reason == f"event {victim} is missing"


def test_owner_who_recomputes_the_chain_with_the_projects_functions_is_caught(seal, tamper) -> None:
    """The attack of the acceptance probe: alter an event, recompute every block's hash with the project's own
    functions; without the audit key the blocks' signatures no longer verify, nor the event's tag."""
    fill(3)
    seal()
    fill(2)
    seal()
    e = Event.objects.order_by("id").first()
    assert e is not None
    e.actor_label = "forged"
    e.save()
    prev = GENESIS
    for b in Block.objects.order_by("seq"):
        h = block_hash(prev, [event_digest(x) for x in Event.objects.filter(block_seq=b.seq).order_by("id")])
        Block.objects.filter(pk=b.pk).update(prev_hash=prev, hash=h)
        prev = h
    report = chain_verify()
    assert (report.ok, report.broken_block) == (False, 1)
    assert "signature does not verify" in report.reason


def test_forged_event_written_without_the_key_is_named(seal, tamper) -> None:
    fill(1)
    forged = Event.objects.create(occurred_at=timezone.now(), action="person.record.viewed", key_id="00000000",
                                  tag="0" * 64)
    report = chain_verify()
    assert (report.ok, report.event_id) == (False, forged.pk)
    assert "unsealed event" in report.reason
    assert seal() is not None  # even sealed, it stays named
    assert chain_verify().event_id == forged.pk


def test_truncated_tail_is_caught_by_the_witness(seal, tamper) -> None:
    for _ in range(3):
        fill(1)
        seal()
    Block.objects.filter(seq__gte=2).delete()
    Event.objects.filter(id__gt=Block.objects.get(seq=1).last_event_id).delete()
    report = chain_verify()
    assert (report.ok, report.broken_block) == (False, 2)
    assert "witness has block 3" in report.reason


def test_unsealed_events_older_than_the_limit_are_a_fault(seal) -> None:
    fill(1)
    assert chain_verify(max_unsealed_age=3600).ok
    report = chain_verify(max_unsealed_age=0)
    assert not report.ok
    assert "is the worker running?" in report.reason
    seal()
    assert chain_verify(max_unsealed_age=0).ok


def test_old_blocks_verify_after_the_audit_key_is_rotated(seal) -> None:
    fill(2)
    old = seal()
    call_command("rotatekey", "audit")
    fill(2)
    new = seal()
    assert old is not None
    assert new is not None
    assert old.key_id != new.key_id
    assert Event.objects.order_by("id").last().key_id == new.key_id  # type: ignore[union-attr]
    assert chain_verify().ok


def test_verify_command_exits_non_zero_on_tampering(capsys, django_capture_on_commit_callbacks, tamper) -> None:
    fill(2)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("audit", "seal", grace=0)
    call_command("audit", "verify")
    assert "OK: 1 blocks, 2 sealed events" in capsys.readouterr().out
    first = Event.objects.order_by("id").first()
    assert first is not None
    Event.objects.filter(pk=first.pk).update(action="test.thing.undone")
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert f"BROKEN at block 1: event {first.pk} was altered" in capsys.readouterr().err


def test_event_list_filters_and_pages() -> None:
    fill(5)
    event_record(actor=None, action="other.thing.done", subject_type="person", subject_id=42)
    assert [e.subject_id for e in event_list(subject_type="person")] == ["42"]
    first = event_list(action="test.", limit=2)
    assert [e.data["i"] for e in first] == [4, 3]
    more = event_list(action="test.", limit=2, before_id=first[-1].pk)
    assert [e.data["i"] for e in more] == [2, 1]


def test_trail_of_a_district_manager_holds_the_actions_of_its_own_accounts(city, make_user) -> None:
    city_manager = make_user("m-city", "manager", "440300")
    yantian_manager = make_user("m-yt", "manager", "440308")
    yantian_clerk = make_user("c-yt", "clerk", "440308001")  # a street inside the district
    luohu_clerk = make_user("c-lh", "clerk", "440303")
    for actor in (yantian_clerk, luohu_clerk, None):
        event_record(actor=actor, action="person.searched", data={"by": "name", "results": 1})
    searched = {"action": "person.searched"}

    def actors(viewer: object) -> set[str]:
        return {e.actor_label for e in event_list(scope=trail_scope(viewer=viewer), **searched)}

    assert actors(city_manager) == {"c-yt", "c-lh", ""}
    assert actors(yantian_manager) == {"c-yt"}
    assert actors(make_user("m-none", "landlord", "")) == set()


def test_an_event_is_tagged_as_its_data_reads_back_whatever_the_data(seal) -> None:
    """Plain data (text keys; text, whole numbers, booleans, null) is tagged as it is, anything else as the JSON
    column gives it back: sorted nested keys, tuples as lists, numbers in JSON's forms, enum members as their values."""
    from residence.permits.models import PermitStatus

    kinds = [{"z": "文字", "a": 7, "t": True, "n": None, "big": 2**60},
             {"nested": {"z": 1, "a": [1, 2]}, "pair": (1, 2), "ratio": 0.1, "whole": 3.0},
             {"status": PermitStatus.VALID, "k": 1}]
    events = [event_record(actor=None, action="test.thing.done", subject_type="thing", subject_id=n, data=data)
              for n, data in enumerate(kinds)]
    read = {e.pk: e.data for e in Event.objects.filter(pk__in=[e.pk for e in events])}
    assert [read[e.pk] for e in events] == [e.data for e in events]
    assert read[events[1].pk]["pair"] == [1, 2]
    assert read[events[2].pk]["status"] == "valid"
    seal()
    report = chain_verify()
    assert report.ok, report.problems


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes one transaction at a time")
def test_an_id_held_by_a_transaction_still_running_is_never_sealed_as_skipped(monkeypatch) -> None:
    """A long job's transaction took an event id, and later events were committed past it: the seal must neither
    call that id skipped (the job's commit would then read as an event added to a sealed block) nor wait forever."""
    from residence.audit import services

    first = event_record(actor=None, action="test.thing.done", subject_id="first")
    holding, release = threading.Event(), threading.Event()
    job_event: list[Event] = []

    def job() -> None:
        try:
            with transaction.atomic():
                job_event.append(event_record(actor=None, action="test.thing.done", subject_id="job"))
                holding.set()
                assert release.wait(60)
        finally:
            connection.close()

    worker = threading.Thread(target=job)
    worker.start()
    assert holding.wait(60)
    later = event_record(actor=None, action="test.thing.done", subject_id="later")
    assert first.pk < job_event[0].pk < later.pk
    monkeypatch.setattr(services, "SEAL_WAIT_SECONDS", 0.3)  # the job outlasts the seal's wait
    block = audit_seal(grace_seconds=0)
    assert block is not None
    assert (block.last_event_id, block.skipped_ids) == (first.pk, [])  # stopped before the id it lacks
    monkeypatch.setattr(services, "SEAL_WAIT_SECONDS", 30)
    threading.Timer(0.5, release.set).start()  # the job commits while the next seal waits for it
    block = audit_seal(grace_seconds=0)
    worker.join(timeout=60)
    assert block is not None
    assert (block.first_event_id, block.last_event_id, block.skipped_ids) == (job_event[0].pk, later.pk, [])
    assert block.event_count == 2
    report = chain_verify()
    assert (report.ok, report.events) == (True, 3)
