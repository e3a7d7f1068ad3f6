"""Pages of permits: applications: the resident's, the counter's and the reviewer's pages."""

from __future__ import annotations

from django.urls import URLPattern

urls: list[URLPattern] = []
