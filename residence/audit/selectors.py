"""Reading the audit trail, and verifying its chain."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from residence.audit.actions import ACTIONS, KINDS
from residence.audit.models import Block, Event
from residence.audit.services import (
    GENESIS,
    block_hash,
    block_header,
    event_digest,
    event_record,
    event_tag,
    verifying_key,
    witness_path,
)
from residence.audit.subjects import subject_type as subject_type_of
from residence.core.keys import keyring


def trail_scope(*, viewer: object) -> QuerySet[Event]:
    """The events a manager or administrator may browse: everything for an account at the top of the
    jurisdiction tree; otherwise the actions of accounts bound inside the viewer's own area, and what happened to
    those accounts (a failed log-in as one of them, a lockout): system events and residents' own actions are for
    the top. Places and accounts sit above audit, so their models are looked up by name."""
    jurisdiction = apps.get_model("places", "Jurisdiction")
    own = jurisdiction.objects.filter(code=getattr(viewer, "jurisdiction_code", "")).values("path", "parent_id").first()
    if own is None:
        return Event.objects.none()
    if own["parent_id"] is None:
        return Event.objects.all()
    codes = jurisdiction.objects.filter(path__startswith=own["path"]).values("code")
    accounts = apps.get_model("accounts", "User").objects.filter(jurisdiction_code__in=codes)
    as_subject = accounts.annotate(sid=Cast("pk", output_field=CharField())).values("sid")
    return Event.objects.filter(Q(actor_id__in=accounts.values("pk")) | Q(subject_type="user",
                                                                          subject_id__in=as_subject))


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
    return mark_sealed(list(qs.order_by("-id")[:limit]))


@dataclass(frozen=True)
class TrailFilters:
    """What a manager narrows the trail to. Dates are local calendar days, both included."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    kind: str = ""  # a key of actions.KINDS
    actor: str = ""  # a user name or an account's display name, as typed
    subject_type: str = ""
    subject_id: str = ""
    action: str = ""  # an action's prefix
    before_id: int | None = None


def _actor_ids(typed: str) -> list[int]:
    user = apps.get_model("accounts", "User")
    return list(user.objects.filter(Q(username=typed) | Q(display_name=typed)).values_list("pk", flat=True)[:20])


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def trail_read(*, viewer: Any, filters: TrailFilters, limit: int = 50) -> list[Event]:
    """A page of the trail as `viewer` may browse it (trail_scope), newest first, keyset-paginated by id; the
    browsing is itself recorded, with the filters used: an actor typed is kept as the account it named (nothing
    when it named none), a subject only when it exists (a number typed there is never kept)."""
    qs = trail_scope(viewer=viewer)
    actors = _actor_ids(filters.actor) if filters.actor else []
    if filters.actor:
        qs = qs.filter(actor_id__in=actors)
    if filters.date_from:
        qs = qs.filter(occurred_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(occurred_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.kind in KINDS:
        qs = qs.filter(action__in=KINDS[filters.kind][1])
    events = event_list(scope=qs, subject_type=filters.subject_type, subject_id=filters.subject_id,
                        action=filters.action, before_id=filters.before_id, limit=limit)
    known = subject_type_of(filters.subject_type)
    recorded: dict[str, Any] = {
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
        "kind": filters.kind, "actor": actors[0] if len(actors) == 1 else "",
        "actor_unknown": bool(filters.actor and not actors), "subject_type": filters.subject_type,
        "subject_id": filters.subject_id if known and filters.subject_id and known.exists(filters.subject_id) else "",
        "action": filters.action if filters.action in ACTIONS else "", "older": filters.before_id is not None,
    }
    event_record(actor=viewer, action="audit.trail.viewed",
                 data={"filters": {k: v for k, v in recorded.items() if v}, "shown": len(events)})
    return events


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    blocks: int
    events: int
    unsealed: int
    broken_block: int | None = None
    reason: str = ""
    event_id: int | None = None  # the first altered, missing or forged event, when one is named


def _tag_ok(event: Event) -> bool:
    try:
        key = keyring("audit").get(event.key_id)
    except ImproperlyConfigured:
        return False
    return hmac.compare_digest(event_tag(event, key), event.tag)


def _signature_ok(block: Block) -> bool:
    try:
        verifying_key(block.key_id).verify(bytes.fromhex(block.signature), block_header(block))
    except (ImproperlyConfigured, InvalidSignature, ValueError):
        return False
    return True


def _witness_head() -> dict[str, Any] | None:
    path = Path(witness_path())
    if not path.exists():
        return None
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else None


def chain_verify(*, max_unsealed_age: float | None = None) -> VerifyReport:
    """Check every block in order, every event's tag, the unsealed tail and the witness; report the first fault.

    Faults: a missing block, a broken previous-hash link, a block signature that does not verify under the audit
    key, an event altered or forged (its tag does not verify), missing (an id of the range neither held nor skipped)
    or added (an id the block skipped), a block whose events do not hash to it, a chain shorter than the witness
    says or a head that differs from it, an unsealed event with a bad tag, and unsealed events older than
    `max_unsealed_age` seconds (AUDIT_MAX_UNSEALED_SECONDS: a worker that stopped sealing is a fault)."""
    prev, blocks, events = GENESIS, 0, 0
    hashes: dict[int, str] = {}

    def broken(block: int | None, reason: str, event_id: int | None = None) -> VerifyReport:
        return VerifyReport(False, blocks, events, _unsealed(), block, reason, event_id)

    for block in Block.objects.order_by("seq").iterator(chunk_size=200):
        if block.seq != blocks + 1:
            return broken(blocks + 1, f"block {blocks + 1} is missing")
        if block.prev_hash != prev:
            return broken(block.seq, "previous-hash link does not match")
        if not _signature_ok(block):
            return broken(block.seq, "the block's signature does not verify (rewritten without the audit key)")
        rows = {e.pk: e for e in Event.objects.filter(id__gte=block.first_event_id, id__lte=block.last_event_id)}
        skipped = set(block.skipped_ids)
        for pk in range(block.first_event_id, block.last_event_id + 1):
            e = rows.get(pk)
            if e is None and pk not in skipped:
                return broken(block.seq, f"event {pk} is missing", pk)
            if e is not None and pk in skipped:
                return broken(block.seq, f"event {pk} was added after sealing", pk)
            if e is not None and not _tag_ok(e):
                return broken(block.seq, f"event {pk} was altered or forged (its tag does not verify)", pk)
        sealed = [rows[pk] for pk in sorted(rows)]
        if len(sealed) != block.event_count:
            return broken(block.seq, f"holds {len(sealed)} events, sealed with {block.event_count}")
        if block_hash(prev, [event_digest(e) for e in sealed]) != block.hash:
            return broken(block.seq, "an event was altered (hash mismatch)")
        prev = hashes[block.seq] = block.hash
        blocks += 1
        events += len(sealed)
    head = _witness_head()
    if head is None and blocks:
        return broken(None, f"no witness file at {witness_path()}: the chain's head cannot be checked")
    if head is not None:
        if head["seq"] > blocks:
            return broken(blocks + 1, f"the chain ends at block {blocks}, the witness has block {head['seq']}: "
                                      f"blocks were deleted from the tail")
        if hashes[head["seq"]] != head["hash"]:
            return broken(head["seq"], "block differs from the witness's record of it")
    for e in Event.objects.unsealed().order_by("id").iterator(chunk_size=2000):
        if not _tag_ok(e):
            return broken(None, f"unsealed event {e.pk} was altered or forged (its tag does not verify)", e.pk)
    limit = settings.AUDIT_MAX_UNSEALED_SECONDS if max_unsealed_age is None else max_unsealed_age
    oldest = Event.objects.unsealed().order_by("id").values_list("occurred_at", flat=True).first()
    if oldest is not None and (timezone.now() - oldest).total_seconds() > limit:
        return broken(None, f"{_unsealed()} events are unsealed, the oldest since {oldest:%Y-%m-%d %H:%M:%S}: "
                            f"is the worker running?")
    return VerifyReport(True, blocks, events, _unsealed())


def _unsealed() -> int:
    return Event.objects.unsealed().count()


def mark_sealed(events: list[Event]) -> list[Event]:
    """Set `block_seq` on each event for display: the block whose id range holds it, or None while unsealed."""
    if not events:
        return events
    ids = [e.pk for e in events]
    ranges = list(Block.objects.filter(last_event_id__gte=min(ids), first_event_id__lte=max(ids))
                  .values_list("seq", "first_event_id", "last_event_id"))
    for e in events:
        e.block_seq = next((seq for seq, lo, hi in ranges if lo <= e.pk <= hi), None)  # type: ignore[attr-defined]
    return events
