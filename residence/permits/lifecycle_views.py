"""Pages of permits: a permit's life after issue: endorsement, change, replacement, reissue, cancellation, the lapsed report."""

from __future__ import annotations

from django.urls import URLPattern

urls: list[URLPattern] = []
