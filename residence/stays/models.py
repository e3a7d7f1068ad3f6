"""Stays at instant places (hotels, hourly and daily rentals): declarations of check-in and check-out.

The stay table is append-only: a check-in is one row, and what happens to the stay afterwards (its check-out, or
the system closing it because the guest checked in elsewhere) is another row naming the same `stay_id`, which is
the check-in row's id. Nothing is updated or deleted, so a declaration is never lost and the history is the table.
On PostgreSQL the table is partitioned by month of `declared_at` (see migrations/0002 and `partitions.py`); row
ids come from one sequence across the partitions.

Idempotency keys live in their own small, unpartitioned table, one row per (obligor, key), kept for
`STAY_KEY_DAYS`: a retry finds the first result there.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from residence.core.fields import BytewiseCharField
from residence.people.models import Person
from residence.places.models import Obligor, Unit


class StayEvent(models.TextChoices):
    CHECK_IN = "check_in", _("Checked in")
    CHECK_OUT = "check_out", _("Checked out")
    # closed by the system: the guest checked in elsewhere and this stay's check-out was never declared
    DEPARTURE_MISSING = "departure_missing", _("Departure not declared")


class Channel(models.TextChoices):
    API = "api", _("API")
    WEB = "web", _("Web")
    UPLOAD = "upload", _("Bulk upload")
    COUNTER = "counter", _("Counter")
    PHONE = "phone", _("Phone")


class Stay(models.Model):
    stay_id = models.BigIntegerField(_("stay number"))
    event = models.CharField(_("event"), max_length=20, choices=StayEvent.choices)
    obligor = models.ForeignKey(Obligor, on_delete=models.PROTECT, related_name="+", db_index=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", db_index=False)
    arrived_at = models.DateTimeField(_("arrived"))
    expected_departure = models.DateTimeField(_("expected departure"), null=True, blank=True)
    departed_at = models.DateTimeField(_("departed"), null=True, blank=True)
    declared_at = models.DateTimeField(_("declared"))
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                    db_index=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    due_at = models.DateTimeField(_("declaration due"))
    late = models.BooleanField(_("declared late"), default=False)
    # a check-in while another stay of the same person was open: that stay's number
    overlaps = models.BigIntegerField(_("overlapping stay"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    # the unit's area path when declared, so that scope is a prefix match without joins
    area_path = BytewiseCharField(max_length=255)

    class Meta:
        indexes = [
            models.Index(fields=["stay_id"], name="stay_stay_id"),
            models.Index(fields=["person", "arrived_at"], name="stay_person_arrived"),
            models.Index(fields=["obligor", "declared_at"], name="stay_obligor_declared"),
            models.Index(fields=["unit", "arrived_at"], name="stay_unit_arrived"),
            models.Index(fields=["area_path", "arrived_at"], name="stay_area_arrived"),
        ]

    def __str__(self) -> str:
        return f"stay {self.stay_id} {self.event}"


class StayKey(models.Model):
    """An idempotency key an obligor's system sent, with the digest of the item and the answer it got."""

    obligor = models.ForeignKey(Obligor, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=100)
    digest = models.CharField(max_length=64)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["obligor", "key"], name="stay_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="stay_key_created")]

    def __str__(self) -> str:
        return self.key
