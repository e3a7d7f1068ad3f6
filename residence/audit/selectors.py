"""Reading the audit trail, and verifying its chain."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import QuerySet

from residence.audit.models import Block, Event
from residence.audit.services import GENESIS, block_hash, event_digest


def trail_scope(*, viewer: object) -> QuerySet[Event]:
    """The events a manager or administrator may browse: everything for an account at the top of the
    jurisdiction tree; otherwise the actions of accounts bound inside the viewer's own area (system events and
    residents' own actions are for the top). Places and accounts sit above audit, so their models are looked up
    by name."""
    jurisdiction = apps.get_model("places", "Jurisdiction")
    own = jurisdiction.objects.filter(code=getattr(viewer, "jurisdiction_code", "")).values("path", "parent_id").first()
    if own is None:
        return Event.objects.none()
    if own["parent_id"] is None:
        return Event.objects.all()
    codes = jurisdiction.objects.filter(path__startswith=own["path"]).values("code")
    actors = apps.get_model("accounts", "User").objects.filter(jurisdiction_code__in=codes).values("pk")
    return Event.objects.filter(actor_id__in=actors)


def event_list(
    *, scope: QuerySet[Event] | None = None, subject_type: str = "", subject_id: str = "", actor_label: str = "",
    action: str = "", before_id: int | None = None, limit: int = 50,
) -> list[Event]:
    """Newest first, keyset-paginated by id, within `scope` (default: every event)."""
    qs: QuerySet[Event] = Event.objects.all() if scope is None else scope
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
    if subject_id:
        qs = qs.filter(subject_id=subject_id)
    if actor_label:
        qs = qs.filter(actor_label=actor_label)
    if action:
        qs = qs.filter(action__startswith=action)
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    return list(qs.order_by("-id")[:limit])


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    blocks: int
    events: int
    unsealed: int
    broken_block: int | None = None
    reason: str = ""


def chain_verify() -> VerifyReport:
    """Walk every block in order; report the first broken link (hash, count or previous-hash mismatch)."""
    prev = GENESIS
    blocks = 0
    events = 0
    for block in Block.objects.order_by("seq").iterator(chunk_size=200):
        expected_seq = blocks + 1
        if block.seq != expected_seq:
            return VerifyReport(False, blocks, events, _unsealed(), expected_seq, f"block {expected_seq} is missing")
        if block.prev_hash != prev:
            return VerifyReport(False, blocks, events, _unsealed(), block.seq, "previous-hash link does not match")
        rows = list(Event.objects.filter(block_seq=block.seq).order_by("id"))
        if len(rows) != block.event_count:
            return VerifyReport(
                False, blocks, events, _unsealed(), block.seq,
                f"holds {len(rows)} events, sealed with {block.event_count}",
            )
        if block_hash(prev, [event_digest(e) for e in rows]) != block.hash:
            return VerifyReport(False, blocks, events, _unsealed(), block.seq, "an event was altered (hash mismatch)")
        prev = block.hash
        blocks += 1
        events += len(rows)
    return VerifyReport(True, blocks, events, _unsealed())


def _unsealed() -> int:
    return Event.objects.filter(block_seq__isnull=True).count()
