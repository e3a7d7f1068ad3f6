"""Reads of accounts: for administrators' commands and pages (scoped to the actor), and names for the audit
trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from residence.accounts.models import ApiClient, ApiToken, User
from residence.accounts.roles import ROLE_RANK, Capability, Kind, can, role_rank
from residence.accounts.services import area_path, login_locked_out, staff_account_get


def api_tokens_list(*, owner_username: str | None = None, include_dead: bool = False) -> QuerySet[ApiToken]:
    """API tokens, newest first, with their owner: live ones only unless `include_dead` (expired, revoked)."""
    tokens = ApiToken.objects.select_related("owner").order_by("-created_at", "-pk")
    if owner_username:
        tokens = tokens.filter(owner__username=owner_username)
    if not include_dead:
        tokens = tokens.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
    return tokens


def _within(path: str) -> QuerySet[Any]:
    """The codes of the jurisdictions at and below `path` (a subquery; places sit above accounts)."""
    return apps.get_model("places", "Jurisdiction").objects.filter(path__startswith=path).values("code")


@dataclass
class StaffRow:
    user: User
    area_name: str
    locked: bool  # locked after failed look-ups, or held by the log-in lockout


def staff_accounts_for(*, actor: User, q: str = "", limit: int = 200) -> tuple[list[StaffRow], int]:
    """The staff accounts the actor administers (inside their area, not ranked above them), by user name; a
    user-name or display-name prefix `q` narrows them. Returns the first `limit` rows and the count."""
    path = area_path(actor) if can(actor, Capability.ACCOUNT_MANAGE) else None
    if path is None:
        return [], 0
    users = (User.objects.filter(kind=Kind.STAFF, jurisdiction_code__in=_within(path))
             .exclude(role__in=[r for r in ROLE_RANK if role_rank(r) > role_rank(actor.role)]))
    q = q.strip()[:150]
    if q:
        users = users.filter(Q(username__istartswith=q) | Q(display_name__istartswith=q))
    total = users.count()
    shown = list(users.order_by("username")[:limit])
    names = dict(apps.get_model("places", "Jurisdiction").objects.filter(
        code__in={u.jurisdiction_code for u in shown}).values_list("code", "name"))
    held = login_locked_out([u.username for u in shown])
    return [StaffRow(u, names.get(u.jurisdiction_code, ""), u.locked_at is not None or u.username in held)
            for u in shown], total


def staff_account_facts(*, actor: User, username: str) -> StaffRow:
    """One staff account the actor administers, with its area's name and whether it is locked (NotFound else)."""
    user = staff_account_get(actor=actor, username=username)
    name = apps.get_model("places", "Jurisdiction").objects.filter(code=user.jurisdiction_code).values_list(
        "name", flat=True).first() or ""
    return StaffRow(user, name, user.locked_at is not None or bool(login_locked_out([user.username])))


def otp_devices_count(*, user: User) -> int:
    return TOTPDevice.objects.filter(user=user, confirmed=True).count()


@dataclass
class ClientRow:
    client: ApiClient
    area_name: str
    token: ApiToken | None  # the live one

    @property
    def scope_labels(self) -> list[str]:
        return [str(SCOPE_LABELS.get(s, s)) for s in (self.token.scopes if self.token else [])]


SCOPE_LABELS = {"person.search": _("search persons"), "person.view": _("open a person's record"),
                "permit.verify": _("verify e-permits, with the district and endorsement")}


def api_clients_for(*, actor: User) -> list[ClientRow]:
    """The department clients bound inside the actor's area, by name, with their live token."""
    path = area_path(actor) if can(actor, Capability.CLIENT_MANAGE) else None
    if path is None:
        return []
    clients = list(ApiClient.objects.select_related("account").filter(
        account__jurisdiction_code__in=_within(path)).order_by("name"))
    live: dict[int, ApiToken] = {}
    for token in (ApiToken.objects.filter(owner__in=[c.account_id for c in clients], revoked_at__isnull=True,
                                          expires_at__gt=timezone.now()).order_by("created_at", "pk")):
        live[token.owner_id] = token  # the newest wins
    names = dict(apps.get_model("places", "Jurisdiction").objects.filter(
        code__in={c.account.jurisdiction_code for c in clients}).values_list("code", "name"))
    return [ClientRow(c, names.get(c.account.jurisdiction_code, ""), live.get(c.account_id)) for c in clients]
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
