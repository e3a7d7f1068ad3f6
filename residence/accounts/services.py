"""Creating accounts and API clients. Each writes an audit event in its transaction."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from residence.accounts.models import ApiClient, User
from residence.accounts.roles import OBLIGOR_ROLES, STAFF_ROLES, Kind, Role
from residence.audit.services import event_record
from residence.core.errors import ValidationError


def user_create(
    *, actor: User | None, username: str, password: str, role: str, jurisdiction_code: str = "",
    display_name: str = "", check_password: bool = True,
) -> User:
    if role not in Role.values:
        raise ValidationError(f"unknown role {role!r}", field="role")
    kind = Kind.STAFF if role in STAFF_ROLES else Kind.OBLIGOR if role in OBLIGOR_ROLES else Kind.RESIDENT
    if kind == Kind.STAFF and not jurisdiction_code:
        raise ValidationError("a staff account needs a jurisdiction", field="jurisdiction_code")
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"user {username!r} already exists", field="username")
    if check_password:
        validate_password(password)
    with transaction.atomic():
        user = User(
            username=username, role=role, kind=kind, jurisdiction_code=jurisdiction_code,
            display_name=display_name, is_staff=(role == Role.ADMIN), is_superuser=(role == Role.ADMIN),
        )
        user.set_password(password)
        user.save()
        event_record(actor=actor, action="account.user.created", subject_type="user", subject_id=user.pk,
                     data={"role": role, "jurisdiction": jurisdiction_code})
    return user


def api_client_create(*, actor: User | None, name: str, scopes: list[str], jurisdiction_code: str = "") -> str:
    """Create a department client; return its token (shown once)."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        client = ApiClient.objects.create(
            name=name, scopes=scopes, jurisdiction_code=jurisdiction_code,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
        )
        event_record(actor=actor, action="account.api_client.created", subject_type="api_client",
                     subject_id=client.pk, data={"scopes": scopes})
    return token


def api_client_authenticate(token: str) -> ApiClient | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return ApiClient.objects.filter(token_hash=digest, is_active=True).first()
