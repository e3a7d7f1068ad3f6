"""Reads of accounts for administrators' commands."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from residence.accounts.models import ApiToken


def api_tokens_list(*, owner_username: str | None = None, include_dead: bool = False) -> QuerySet[ApiToken]:
    """API tokens, newest first, with their owner: live ones only unless `include_dead` (expired, revoked)."""
    tokens = ApiToken.objects.select_related("owner").order_by("-created_at", "-pk")
    if owner_username:
        tokens = tokens.filter(owner__username=owner_username)
    if not include_dead:
        tokens = tokens.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
    return tokens
