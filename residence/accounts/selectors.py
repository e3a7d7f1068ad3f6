"""Reads of accounts: for administrators' commands, and names for the audit trail."""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.utils import timezone

from residence.accounts.models import ApiClient, ApiToken, User


def api_tokens_list(*, owner_username: str | None = None, include_dead: bool = False) -> QuerySet[ApiToken]:
    """API tokens, newest first, with their owner: live ones only unless `include_dead` (expired, revoked)."""
    tokens = ApiToken.objects.select_related("owner").order_by("-created_at", "-pk")
    if owner_username:
        tokens = tokens.filter(owner__username=owner_username)
    if not include_dead:
        tokens = tokens.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
    return tokens


def accounts_named(viewer: object, ids: list[str]) -> dict[str, str]:
    """Accounts as the audit trail names them: role and name ("受理员 张三"). Staff names are not personal data
    kept from managers; any viewer of the trail may read them."""
    pks = subject_pks(ids)
    return {str(u.pk): f"{u.get_role_display()} {u.display_name or u.username}"
            for u in User.objects.filter(pk__in=pks).only("pk", "role", "display_name", "username")}


def subject_pks(ids: list[str]) -> list[int]:
    """The subject ids (from events or URLs) that can be a row's primary key (a bigint)."""
    return [int(i) for i in ids if i.isdigit() and len(i) <= 18]


def row_exists(model: type[Model], sid: str) -> bool:
    """Whether `sid` (a subject id from a URL or an event) is the primary key of a row of `model`."""
    pks = subject_pks([sid])
    return bool(pks) and model._default_manager.filter(pk=pks[0]).exists()


def account_exists(sid: str) -> bool:
    return row_exists(User, sid)


def api_clients_named(viewer: object, ids: list[str]) -> dict[str, str]:
    pks = subject_pks(ids)
    return {str(pk): name for pk, name in ApiClient.objects.filter(pk__in=pks).values_list("pk", "name")}


def api_client_exists(sid: str) -> bool:
    return row_exists(ApiClient, sid)
