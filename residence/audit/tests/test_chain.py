from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from residence.audit.models import Block, Event
from residence.audit.selectors import chain_verify, event_list, trail_scope
from residence.audit.services import audit_seal, event_record

pytestmark = pytest.mark.django_db


TRIGGERS = {"postgresql": ["audit_event_sealed_update ON audit_event", "audit_event_sealed_delete ON audit_event",
                            "audit_block_change ON audit_block"],
            "sqlite": ["audit_event_sealed_update", "audit_event_sealed_delete", "audit_block_update",
                       "audit_block_delete"]}


@pytest.fixture
def tamper() -> None:
    """Drop the append-only triggers, as someone with DDL rights could; the test's rollback restores them."""
    with connection.cursor() as cur:
        for trigger in TRIGGERS[connection.vendor]:
            cur.execute(f"DROP TRIGGER {trigger}")


def fill(n: int) -> None:
    for i in range(n):
        event_record(actor=None, action="test.thing.done", subject_type="thing", subject_id=i, data={"i": i})


def test_sealed_rows_cannot_be_changed_or_deleted_through_the_database() -> None:
    fill(2)
    audit_seal(grace_seconds=0)
    fill(1)  # not sealed yet: the sealer may still set its block
    attempts = [lambda: Event.objects.filter(block_seq=1).update(data={"i": 999}),
                lambda: Event.objects.filter(block_seq=1).delete(),
                lambda: Block.objects.filter(seq=1).update(hash="f" * 64),
                lambda: Block.objects.filter(seq=1).delete()]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert audit_seal(grace_seconds=0) is not None
    assert chain_verify().ok
    assert chain_verify().events == 3


def test_events_are_sealed_into_chained_blocks() -> None:
    fill(3)
    b1 = audit_seal(grace_seconds=0)
    fill(2)
    b2 = audit_seal(grace_seconds=0)
    assert b1 is not None
    assert b2 is not None
    assert (b1.seq, b1.event_count, b2.seq, b2.event_count) == (1, 3, 2, 2)
    assert b2.prev_hash == b1.hash
    assert audit_seal(grace_seconds=0) is None
    assert chain_verify().ok
    assert chain_verify().events == 5


def test_grace_period_leaves_young_events_for_later() -> None:
    fill(2)
    assert audit_seal(grace_seconds=3600) is None
    assert Event.objects.filter(block_seq__isnull=True).count() == 2


def test_altered_event_is_detected_at_its_block(tamper) -> None:
    fill(2)
    audit_seal(grace_seconds=0)
    fill(2)
    audit_seal(grace_seconds=0)
    e = Event.objects.filter(block_seq=2).first()
    assert e is not None
    Event.objects.filter(pk=e.pk).update(data={"i": 999})
    report = chain_verify()
    assert (report.ok, report.broken_block, report.blocks) == (False, 2, 1)
    assert "altered" in report.reason


def test_deleted_event_is_detected(tamper) -> None:
    fill(3)
    audit_seal(grace_seconds=0)
    Event.objects.filter(block_seq=1).order_by("id").first().delete()  # type: ignore[union-attr]
    report = chain_verify()
    assert (report.ok, report.broken_block) == (False, 1)
    assert "sealed with 3" in report.reason


def test_rewritten_block_breaks_the_link_to_the_next(tamper) -> None:
    fill(1)
    audit_seal(grace_seconds=0)
    fill(1)
    audit_seal(grace_seconds=0)
    Block.objects.filter(seq=1).update(hash="f" * 64)
    report = chain_verify()
    assert (report.ok, report.broken_block) == (False, 1)


def test_verify_command_exits_non_zero_on_tampering(capsys, tamper) -> None:
    fill(2)
    call_command("audit", "seal", grace=0)
    call_command("audit", "verify")
    assert "OK: 1 blocks, 2 sealed events" in capsys.readouterr().out
    Event.objects.filter(block_seq=1).update(action="test.thing.undone")
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert "BROKEN at block 1" in capsys.readouterr().err


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
