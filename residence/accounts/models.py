"""Accounts: staff bound to a jurisdiction, obligors bound to premises, residents, department API clients."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from residence.accounts.roles import Kind, Role


class User(AbstractUser):
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.STAFF)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CLERK)
    # Code of the jurisdiction (places.Jurisdiction.code) a staff account is bound to; a code rather than a
    # foreign key keeps accounts below places in the layers.
    jurisdiction_code = models.CharField(_("jurisdiction"), max_length=32, blank=True, db_index=True)
    # Counter staff (clerks) are bound to an acceptance point (places.AcceptancePoint.code) as well: they accept
    # and issue there, and only what that point may take.
    acceptance_point_code = models.CharField(_("acceptance point"), max_length=32, blank=True, db_default="")
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    # A resident account's own person (people.Person id): an id rather than a foreign key, for the same reason.
    person_id = models.BigIntegerField(null=True, blank=True, unique=True)
    # Until when a staff account without an authenticator app may still log in with its password alone to set one
    # up, when the second factor is required (a new account, or after an administrator removed a lost phone's).
    otp_enrol_until = models.DateTimeField(null=True, blank=True)
    # A locked account (is_active off) says when and why; only an administrator unlocks it (`residence unlock`).
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_reason = models.CharField(_("reason for the lock"), max_length=40, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.username


class ApiClient(models.Model):
    """Another department's system. It acts through its own account (kind "department", no password), so that
    scoped selectors and the audit trail treat it like any other actor; it authenticates with an ApiToken of that
    account, whose scopes are the capabilities it may use."""

    name = models.CharField(_("department"), max_length=100, unique=True)
    account = models.OneToOneField(User, on_delete=models.PROTECT, related_name="api_client")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token of a system that acts as `owner` (a department client's account now, an obligor's integrator
    later). The token is shown once; only its SHA-256 is stored, beside a short prefix that names it in lists and
    in the audit trail. It is refused once expired or revoked (a rotation revokes the old token)."""

    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Written at most once a minute (accounts.services.api_token_authenticate), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="replaces")

    def __str__(self) -> str:
        return self.prefix


class PasswordCode(models.Model):
    """A one-time code with which a staff member sets a new password (an administrator issued it and told it to
    them). Only the code's SHA-256 is kept; it is valid until `expires_at` and for one use. Issuing a new one ends
    the earlier ones."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_codes")
    digest = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for {self.user_id}"
