"""The few tables that belong to no domain: the shared rate limiter's counters."""

from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """One fixed-window counter of `residence.core.ratelimit`. The key is a keyed digest of (scope, key),
    so no ID number or address is stored in clear; `expires_at` is seconds since the epoch."""

    key = models.CharField(max_length=64, primary_key=True)
    count = models.IntegerField()
    expires_at = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key[:12]}… = {self.count}"
