"""Pages of permits: their life after issue (endorsement, change, replacement, reissue, cancellation, lapsed)."""

from __future__ import annotations

from django.urls import URLPattern

urls: list[URLPattern] = []
