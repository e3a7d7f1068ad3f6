"""Append-only audit events, sealed into signed, hash-chained blocks.

Writers only INSERT events (no lock, no read of the chain), so concurrent services never wait on one another. Each
event carries an HMAC tag under the audit key (kept outside the database), computed before it is written, so an
event cannot be altered or forged even before it is sealed. `audit_seal` (run by the worker) later covers the next
range of event ids with a Block: its hash covers the previous block's hash and every event's digest, it lists the
ids of the range that no event holds (rolled-back transactions), and it is signed with the audit key's Ed25519 seed.
Sealing never updates an event; database triggers refuse UPDATE and DELETE of every audit row from its insert.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models


class EventQuerySet(models.QuerySet["Event"]):
    def in_block(self, seq: int) -> EventQuerySet:
        block = Block.objects.filter(seq=seq).values("first_event_id", "last_event_id").first()
        if block is None:
            return self.none()
        return self.filter(id__gte=block["first_event_id"], id__lte=block["last_event_id"])

    def unsealed(self) -> EventQuerySet:
        last = Block.objects.order_by("-seq").values_list("last_event_id", flat=True).first()
        return self.filter(id__gt=last) if last is not None else self.all()

    def filter(self, *args: Any, **kwargs: Any) -> EventQuerySet:
        """`block_seq=N` and `block_seq__isnull=…` read the block's id range: a block records its range, and
        sealing never writes to events."""
        qs: EventQuerySet = self
        if "block_seq" in kwargs:
            qs = qs.in_block(kwargs.pop("block_seq"))
        if "block_seq__isnull" in kwargs:
            unsealed = qs.unsealed()
            qs = unsealed if kwargs.pop("block_seq__isnull") else qs.exclude(pk__in=unsealed.values("pk"))
        return super(EventQuerySet, qs).filter(*args, **kwargs) if (args or kwargs) else qs


class Event(models.Model):
    occurred_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100, db_index=True)  # dotted, past tense: person.record.viewed
    subject_type = models.CharField(max_length=50, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True)
    key_id = models.CharField(max_length=8)  # which audit key made the tag
    tag = models.CharField(max_length=64)  # HMAC-SHA256 of the event's content under that key

    objects = EventQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id", "-id"], name="audit_event_subject")]

    def __str__(self) -> str:
        return f"{self.action} {self.subject_type}:{self.subject_id}"


class Block(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    sealed_at = models.DateTimeField()
    event_count = models.IntegerField()
    first_event_id = models.BigIntegerField()
    last_event_id = models.BigIntegerField()
    skipped_ids = models.JSONField(default=list, blank=True)  # ids in the range that no event held when sealed
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=8)
    signature = models.CharField(max_length=128)  # Ed25519 over the block's header

    def __str__(self) -> str:
        return f"block {self.seq}"
