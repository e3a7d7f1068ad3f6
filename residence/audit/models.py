"""Append-only audit events, sealed into hash-chained blocks.

Writers only INSERT events (no lock, no read of the chain), so concurrent services never wait on one another.
`audit_seal` (run by the worker) later groups unsealed events into a Block whose hash covers the previous block's
hash and every event's digest. Changing, deleting or re-assigning a sealed event breaks its block's hash or count.
"""

from __future__ import annotations

from django.db import models


class Event(models.Model):
    occurred_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100, db_index=True)  # dotted, past tense: person.record.viewed
    subject_type = models.CharField(max_length=50, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    block_seq = models.BigIntegerField(null=True, blank=True, db_index=True)

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
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"block {self.seq}"
