"""Writing audit events, and sealing them into the hash chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from residence.audit.models import Block, Event
from residence.core.middleware import current_request_id

GENESIS = "0" * 64


class Actor(Protocol):
    pk: Any

    def get_username(self) -> str: ...


def event_record(
    *,
    actor: Actor | None,
    action: str,
    subject_type: str = "",
    subject_id: object = "",
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one event. Call it inside the service's transaction so that it commits or rolls back with the change."""
    label = ""
    actor_id = None
    if actor is not None and getattr(actor, "pk", None) is not None:
        actor_id = int(actor.pk)
        label = actor.get_username()
    return Event.objects.create(
        occurred_at=timezone.now(),
        actor_id=actor_id,
        actor_label=label,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=data or {},
        request_id=current_request_id(),
    )


def event_digest(event: Event) -> str:
    """SHA-256 of the event's canonical JSON form (everything but its block number)."""
    occurred = event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    body = json.dumps(
        [
            event.pk,
            occurred,
            event.actor_id,
            event.actor_label,
            event.action,
            event.subject_type,
            event.subject_id,
            event.data,
            event.request_id,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def block_hash(prev_hash: str, digests: list[str]) -> str:
    h = hashlib.sha256(prev_hash.encode())
    for d in digests:
        h.update(d.encode())
    return h.hexdigest()


def audit_seal(*, grace_seconds: float | None = None, max_events: int = 50_000) -> Block | None:
    """Seal the unsealed events older than the grace period into the next block. Returns it, or None."""
    grace = settings.AUDIT_SEAL_GRACE_SECONDS if grace_seconds is None else grace_seconds
    cutoff = timezone.now() - dt.timedelta(seconds=grace)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [0x5EA1])
        events = list(
            Event.objects.filter(block_seq__isnull=True, occurred_at__lte=cutoff).order_by("id")[:max_events]
        )
        if not events:
            return None
        last = Block.objects.order_by("-seq").first()
        prev = last.hash if last else GENESIS
        seq = (last.seq + 1) if last else 1
        block = Block.objects.create(
            seq=seq,
            sealed_at=timezone.now(),
            event_count=len(events),
            first_event_id=events[0].pk,
            last_event_id=events[-1].pk,
            prev_hash=prev,
            hash=block_hash(prev, [event_digest(e) for e in events]),
        )
        Event.objects.filter(pk__in=[e.pk for e in events]).update(block_seq=seq)
    return block
