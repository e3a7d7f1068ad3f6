"""Pages of permits: production batches for the card centre, and issuing the card."""

from __future__ import annotations

from django.urls import URLPattern

urls: list[URLPattern] = []
