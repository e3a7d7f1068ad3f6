"""Creating accounts and API clients. Each writes an audit event in its transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import unicodedata
from functools import cache

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.apps import apps
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from residence.accounts.models import ApiClient, ApiToken, PasswordCode, User
from residence.accounts.roles import (
    AREA_KINDS,
    GRANTS,
    OBLIGOR_ROLES,
    STAFF_ROLES,
    Capability,
    Kind,
    Role,
    can,
    grantable_roles,
    role_rank,
)
from residence.audit.services import event_record
from residence.core import ratelimit
from residence.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from residence.core.lean import cols, prepared

logger = logging.getLogger(__name__)


def user_create(
    *, actor: User | None, username: str, password: str, role: str, jurisdiction_code: str = "",
    display_name: str = "", check_password: bool = True, person_id: int | None = None,
) -> User:
    if role not in Role.values:
        raise ValidationError(f"unknown role {role!r}", field="role")
    kind = Kind.STAFF if role in STAFF_ROLES else Kind.OBLIGOR if role in OBLIGOR_ROLES else Kind.RESIDENT
    if kind == Kind.STAFF:
        _require_jurisdiction(jurisdiction_code)
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"user {username!r} already exists", field="username")
    if check_password:
        validate_password(password)
    with transaction.atomic():
        user = User(
            username=username, role=role, kind=kind, jurisdiction_code=jurisdiction_code,
            display_name=display_name, is_staff=(role == Role.ADMIN), is_superuser=(role == Role.ADMIN),
            person_id=person_id if kind == Kind.RESIDENT else None,
            otp_enrol_until=_enrol_window() if kind == Kind.STAFF else None,
        )
        user.set_password(password)
        user.save()
        event_record(actor=actor, action="account.user.created", subject_type="user", subject_id=user.pk,
                     data={"role": role, "jurisdiction": jurisdiction_code})
    return user


def _require_jurisdiction(code: str) -> None:
    """An area-bound account needs the code of a jurisdiction that exists (places sit above accounts, hence
    the model is looked up by name)."""
    if not code:
        raise ValidationError("this account needs a jurisdiction code", field="jurisdiction_code")
    if not apps.get_model("places", "Jurisdiction").objects.filter(code=code).exists():
        raise ValidationError(f"no jurisdiction has the code {code!r}", field="jurisdiction_code")


def api_client_create(*, actor: User | None, name: str, scopes: list[str], jurisdiction_code: str,
                      days: int | None = None) -> str:
    """Create a department client bound to a jurisdiction, with a token holding the capabilities `scopes` names
    (a subset of what the department role may hold); return the token, which is shown once."""
    name = name.strip()
    if not name:
        raise ValidationError("a department client needs a name", field="name")
    scopes = _token_scopes(Role.DEPARTMENT, scopes)
    _require_jurisdiction(jurisdiction_code)
    if ApiClient.objects.filter(name=name).exists():
        raise ValidationError(f"department client {name!r} already exists", field="name")
    with transaction.atomic():
        account = User(username=f"dept:{name}"[:150], kind=Kind.DEPARTMENT, role=Role.DEPARTMENT,
                       jurisdiction_code=jurisdiction_code, display_name=name)
        account.set_unusable_password()  # a client never logs in to the web UI
        account.save()
        client = ApiClient.objects.create(name=name, account=account)
        event_record(actor=actor, action="account.api_client.created", subject_type="api_client",
                     subject_id=client.pk, data={"scopes": scopes, "jurisdiction": jurisdiction_code})
        _token, secret = token_issue(actor=actor, owner=account, scopes=scopes, days=days)
    return secret


# API tokens: one model for every system that calls the API as an account (a department client now, an obligor's
# integrator later). A token is `res_<prefix>_<secret>`; the prefix names it, only the SHA-256 of the whole is kept.

TOKEN_KINDS = frozenset({Kind.DEPARTMENT, Kind.OBLIGOR})
TOKEN_USE_RESOLUTION = dt.timedelta(minutes=1)  # last use is written at most this often


def _token_scopes(role: str, scopes: list[str]) -> list[str]:
    allowed = {str(c) for c in GRANTS.get(role, frozenset())}  # type: ignore[call-overload]
    unknown = sorted(set(scopes) - allowed)
    if unknown or not scopes:
        raise ValidationError(f"scopes must be some of {', '.join(sorted(allowed))}; "
                              f"got {', '.join(unknown) or 'none'}", field="scopes")
    return sorted(set(scopes))


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_days(days: int | None) -> int:
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= 3 * 365:
        raise ValidationError("a token is valid for 1 to 1095 days", field="days")
    return days


def token_issue(*, actor: User | None, owner: User, scopes: list[str], days: int | None = None
                ) -> tuple[ApiToken, str]:
    """A new token acting as `owner`, holding `scopes` (some of what the owner's role may do), valid for `days`
    (API_TOKEN_DAYS by default). Returns the token row and the token itself, which is not kept."""
    if owner.kind not in TOKEN_KINDS:
        raise ValidationError(f"accounts of kind {owner.kind!r} do not get API tokens", field="owner")
    scopes = _token_scopes(owner.role, scopes)
    lifetime = _token_days(days)
    prefix = secrets.token_hex(4)
    secret = f"res_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(owner=owner, prefix=prefix, digest=_token_digest(secret), scopes=scopes,
                                        expires_at=timezone.now() + dt.timedelta(days=lifetime))
        event_record(actor=actor, action="account.token.issued", subject_type="user", subject_id=owner.pk,
                     data={"token": prefix, "scopes": scopes, "days": lifetime})
    return token, secret


def _token_live(prefix: str) -> ApiToken:
    token = (ApiToken.objects.select_for_update().select_related("owner")
             .filter(prefix=prefix, revoked_at__isnull=True, expires_at__gt=timezone.now()).first())
    if token is None:
        raise NotFound(f"no live token has the prefix {prefix!r}")
    return token


def token_rotate(*, actor: User | None, prefix: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Replace a live token by a new one with the same owner and scopes; the old one is revoked at once."""
    with transaction.atomic():
        old = _token_live(prefix)
        new, secret = token_issue(actor=actor, owner=old.owner, scopes=old.scopes, days=days)
        ApiToken.objects.filter(pk=old.pk).update(revoked_at=timezone.now(), replaced_by=new)
        event_record(actor=actor, action="account.token.rotated", subject_type="user", subject_id=old.owner_id,
                     data={"token": old.prefix, "replaced_by": new.prefix})
    return new, secret


def token_revoke(*, actor: User | None, prefix: str, reason: str) -> ApiToken:
    """Revoke a live token for a stated reason; it is refused from the next request on."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("state the reason for revoking the token", field="reason")
    with transaction.atomic():
        token = _token_live(prefix)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        event_record(actor=actor, action="account.token.revoked", subject_type="user", subject_id=token.owner_id,
                     data={"token": token.prefix, "reason": reason[:200]})
    return token


def api_token_authenticate(secret: str) -> User | None:
    """The acting account of the live token `secret`, carrying the token's scopes (read by roles.can) and the
    token (`api_token`); None for an unknown, expired or revoked token or an inactive owner. Records the last use,
    with at most one write a minute per token.

    Every request reads the token afresh (a revocation holds from the next request on), in one statement written
    once per process (core.lean): compiling the ORM's query cost more than running it."""
    now = timezone.now()
    token_cols, owner_cols = cols(ApiToken, "t"), cols(User, "u")
    with connection.cursor() as cur:
        cur.execute(_token_sql(token_cols.sql, owner_cols.sql), [_token_digest(secret), now])
        row = cur.fetchone()
    if row is None:
        return None
    token = token_cols.build(row)
    account = token.owner = owner_cols.build(row, len(token_cols))
    if token.last_used_at is None or token.last_used_at <= now - TOKEN_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOKEN_USE_RESOLUTION)).update(last_used_at=now)
    account.api_scopes = frozenset(token.scopes)  # type: ignore[attr-defined]
    account.api_token = token  # type: ignore[attr-defined]
    return account


@cache
def _token_sql(token_columns: str, owner_columns: str) -> str:
    """A live token of an active account that is not a disabled department client's, with its account."""
    q = connection.ops.quote_name
    return prepared(f"SELECT {token_columns}, {owner_columns} FROM {q(ApiToken._meta.db_table)} t "
            f"JOIN {q(User._meta.db_table)} u ON u.{q('id')} = t.{q('owner_id')} "
            f"WHERE t.{q('digest')} = %s AND t.{q('revoked_at')} IS NULL AND t.{q('expires_at')} > %s "
            f"AND u.{q('is_active')} AND NOT EXISTS (SELECT 1 FROM {q(ApiClient._meta.db_table)} c "
            f"WHERE c.{q('account_id')} = u.{q('id')} AND NOT c.{q('is_active')})")


# Second factor (TOTP). A staff member enrols an authenticator app on their own: the secret is shown once the
# device exists, and the device counts for log-in only after a correct code has confirmed it. When the second
# factor is required, a staff account without one may log in with its password during its enrolment window only,
# and such a session reaches nothing but the enrolment page (accounts.middleware).

def _enrol_window() -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=settings.OTP_ENROL_HOURS)


def otp_enrolment_open(user: User) -> bool:
    """Whether the staff member may still log in without a code to set up their authenticator app."""
    return user.otp_enrol_until is not None and user.otp_enrol_until > timezone.now()


def _require_staff(user: User) -> None:
    if user.kind != Kind.STAFF:
        raise PermissionDenied(_("Only staff accounts use an authenticator app."))


def _clean_otp_token(token: str, *, digits: int) -> str:
    """The code as the app shows it: full-width digits (from a Chinese input method) made plain, and any spaces or
    dashes typed between the digit groups removed."""
    cleaned = "".join(ch for ch in unicodedata.normalize("NFKC", token or "") if ch not in " -\t")
    if not (len(cleaned) == digits and cleaned.isascii() and cleaned.isdigit()):
        raise ValidationError(_("Enter the %(digits)d-digit code that the app shows.") % {"digits": digits},
                              code="format", field="token")
    return cleaned


def _wrong_otp_code() -> ValidationError:
    return ValidationError(_("This code is wrong, expired or already used. Enter the code the app shows now, or wait "
                             "for the next one."), code="wrong_code", field="token")


def _require_verify_allowed(device: TOTPDevice) -> None:
    """After a wrong code django-otp makes the device wait (1, 2, 4 … seconds); say so rather than "wrong"."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return
    until = (info or {}).get("locked_until")
    seconds = max(1, int((until - timezone.now()).total_seconds() + 0.999)) if until else 1
    raise ValidationError(ngettext("Too many wrong codes. Wait %(seconds)d second and try again.",
                                   "Too many wrong codes. Wait %(seconds)d seconds and try again.",
                                   seconds) % {"seconds": seconds}, code="throttled", field="token")


def otp_device_confirmed(*, user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if any (the oldest, should there be several)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def otp_device_prepare(*, user: User) -> TOTPDevice:
    """The unconfirmed device whose secret the user is to load into their app: the pending one if there is one,
    else a new one with a fresh random key. Refused once the user has a confirmed device."""
    _require_staff(user)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one pending device, even on a double load
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ValidationError(_("An authenticator app is already set up for this account."), code="enrolled")
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
            event_record(actor=user, action="account.otp.enrolment_started", subject_type="user",
                         subject_id=user.pk)
    return device


def otp_device_confirm(*, user: User, token: str) -> TOTPDevice:
    """Confirm the pending device with a code from the app; from then on log-in asks for a code.

    A wrong code leaves the device unconfirmed and counts towards its throttle (which is why the check runs
    outside the failing transaction)."""
    _require_staff(user)
    verified = False
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ValidationError(_("An authenticator app is already set up for this account."), code="enrolled")
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            raise NotFound(_("No authenticator app is being set up. Open the page again to start."))
        cleaned = _clean_otp_token(token, digits=device.digits)
        _require_verify_allowed(device)
        verified = device.verify_token(cleaned)  # saves the throttle count, or last_t and the drift
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            User.objects.filter(pk=user.pk).update(otp_enrol_until=None)
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            event_record(actor=user, action="account.otp.enrolled", subject_type="user", subject_id=user.pk,
                         data={"device": device.pk})
    if not verified:
        raise _wrong_otp_code()
    return device


def otp_device_remove(*, user: User, token: str) -> None:
    """Remove the user's authenticator app, on a current code from it (so that an open session alone cannot
    switch the second factor off)."""
    _require_staff(user)
    removed: TOTPDevice | None = None
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"))
        if not devices:
            raise NotFound(_("No authenticator app is set up for this account."))
        cleaned = _clean_otp_token(token, digits=devices[0].digits)
        for device in devices:
            _require_verify_allowed(device)
        removed = next((d for d in devices if d.verify_token(cleaned)), None)
        if removed is not None:
            device_id = removed.pk
            removed.delete()
            event_record(actor=user, action="account.otp.removed", subject_type="user", subject_id=user.pk,
                         data={"device": device_id})
    if removed is None:
        raise _wrong_otp_code()


def otp_device_reset(*, actor: User | None, username: str, reason: str) -> int:
    """An administrator removes a staff member's authenticator apps (a lost or replaced phone), for a stated
    reason, and opens their enrolment window again: they log in with the password and set up the new phone at
    /accounts/otp/. Returns how many apps were removed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("State the reason for removing the authenticator app."), field="reason")
    user = User.objects.filter(username=username, kind=Kind.STAFF).first()
    if user is None:
        raise NotFound(_("No staff account has this user name."))
    if actor is not None:  # in the UI; the command line (actor None) stands outside any area
        _require_administers(actor, user)
    with transaction.atomic():
        removed, _kinds = TOTPDevice.objects.filter(user=user).delete()
        User.objects.filter(pk=user.pk).update(otp_enrol_until=_enrol_window())
        event_record(actor=actor, action="account.otp.reset", subject_type="user", subject_id=user.pk,
                     data={"devices": removed, "reason": reason[:200]})
    return removed


# Locking. Exact look-ups (an ID number or a phone typed in full) that find nobody are how someone tries candidate
# numbers against the database: each account, and each department client through its account, may have
# FAILED_LOOKUPS_PER_DAY of them in a day; the one that reaches the limit locks the account, and an alert goes on
# the audit trail. A locked account cannot log in, search or use its token until an administrator unlocks it.

FAILED_LOOKUPS = "account.failed_lookups"  # the shared limiter's scope
_DAY = 24 * 3600
LOCK_FAILED_LOOKUPS = "failed_lookups"


class AccountLocked(DomainError):
    code = "account_locked"


def _lookup_key(user: User) -> str:
    return f"user:{user.pk}"


def account_failed_lookup(*, user: User) -> int:
    """Count one exact look-up by `user` that found nobody; return the day's count. At the limit the account is
    locked and AccountLocked is raised (the count and the lock are committed before the caller sees it)."""
    limit = settings.FAILED_LOOKUPS_PER_DAY
    try:
        count = ratelimit.hit(FAILED_LOOKUPS, _lookup_key(user), limit=limit, per=_DAY)
    except ratelimit.RateLimited:
        count = limit + 1
    if count >= limit:
        account_lock(user=user, reason=LOCK_FAILED_LOOKUPS, data={"failed_lookups": min(count, limit)})
        raise AccountLocked(_("This account has been locked after %(n)d searches by ID number or phone that found "
                              "nobody today. An administrator must unlock it.") % {"n": limit})
    return count


def account_lock(*, user: User, reason: str, data: dict[str, object] | None = None) -> bool:
    """Lock an account (is_active off, with when and why) and record the alert; False if it was locked already."""
    with transaction.atomic():
        locked = User.objects.filter(pk=user.pk, is_active=True).update(
            is_active=False, locked_at=timezone.now(), locked_reason=reason[:40])
        if locked:
            event_record(actor=user, action="account.locked", subject_type="user", subject_id=user.pk,
                         data={"reason": reason, **(data or {})})
    user.is_active = False
    if locked:
        logger.warning("account %s locked: %s", user.pk, reason)
    return bool(locked)


def login_locked_out(usernames: list[str]) -> set[str]:
    """Which of `usernames` the log-in lockout (django-axes: AXES_FAILURE_LIMIT wrong passwords) holds now."""
    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    return set(AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=since,
                                            failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
               .values_list("username", flat=True))


def account_unlock(*, actor: User | None, username: str, reason: str) -> User:
    """An administrator unlocks an account that a lock switched off (too many searches that found nobody) or that
    the log-in lockout holds (too many wrong passwords), for a stated reason; the day's count of failed look-ups
    and the failed log-ins start again. A deliberate deactivation is undone by `staff_account_reactivate`."""
    reason = _reason(reason, _("State the reason for unlocking the account."))
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(_("No account has this user name."))
    if actor is not None:
        _require_administers(actor, user)
    held = bool(login_locked_out([username]))
    if user.locked_at is None and not held:
        raise ValidationError(_("This account is not locked."), code="not_locked", field="username")
    with transaction.atomic():
        if user.locked_at is not None:
            User.objects.filter(pk=user.pk).update(is_active=True, locked_at=None, locked_reason="")
        ratelimit.clear(FAILED_LOOKUPS, _lookup_key(user))
        failed_logins = sum(AccessAttempt.objects.filter(username=username).values_list(
            "failures_since_start", flat=True))
        axes_reset(username=username)
        event_record(actor=actor, action="account.unlocked", subject_type="user", subject_id=user.pk,
                     data={"was": user.locked_reason or "failed_logins", "reason": reason[:200],
                           **({"failed_logins": failed_logins} if failed_logins else {})})
    user.refresh_from_db()
    return user


def _reason(reason: str, missing: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(missing, field="reason")
    return reason


# Administration: what an administrator or a district manager does to the staff accounts of their area, in the UI
# (/manage/accounts/). `_require_administers` holds the rules: the account lies inside the actor's area (its
# jurisdiction's path starts with the actor's), and its role is not ranked above the actor's (roles.ROLE_RANK).
# Anything else is answered as not found, as out of scope is everywhere.

def _area_paths(codes: list[str]) -> dict[str, str]:
    jurisdiction = apps.get_model("places", "Jurisdiction")
    return dict(jurisdiction.objects.filter(code__in=codes).values_list("code", "path"))


def area_path(actor: User) -> str | None:
    """The materialised path of an area-bound account's jurisdiction (None for others, or an unknown code)."""
    if actor.kind not in AREA_KINDS or not actor.jurisdiction_code:
        return None
    return _area_paths([actor.jurisdiction_code]).get(actor.jurisdiction_code)


def area_contains(actor: User, jurisdiction_code: str) -> bool:
    """Whether the jurisdiction of `jurisdiction_code` exists and lies inside the actor's own area."""
    own = area_path(actor)
    target = _area_paths([jurisdiction_code]).get(jurisdiction_code) if jurisdiction_code else None
    return own is not None and target is not None and target.startswith(own)


def _require_administers(actor: User, target: User, *, capability: Capability = Capability.ACCOUNT_MANAGE) -> None:
    """Refuse, as not found, unless `actor` holds `capability`, `target` is bound inside the actor's area and
    its role is not ranked above the actor's."""
    if not (can(actor, capability) and area_contains(actor, target.jurisdiction_code)
            and role_rank(target.role) <= role_rank(actor.role)):
        raise NotFound(_("No account has this user name."))


def _require_area(actor: User, jurisdiction_code: str, capability: Capability) -> None:
    """For a new account or client: the area typed must lie inside the actor's (one answer for an unknown code
    and one outside, so that the form does not tell which codes exist elsewhere)."""
    if not can(actor, capability):
        raise PermissionDenied(_("You may not do this."))
    if not area_contains(actor, (jurisdiction_code or "").strip()):
        raise ValidationError(_("No area inside yours has the code %(code)s.") % {"code": jurisdiction_code[:32]},
                              field="jurisdiction_code")


_USERNAME = UnicodeUsernameValidator()


def account_fields_check(*, username: str, password: str, display_name: str = "") -> None:
    """The checks of a new log-in account, with messages for the form: a user name of letters, digits and
    @ . + - _ (at most 150) that nobody has, a display name without control characters, a password that passes
    AUTH_PASSWORD_VALIDATORS (for this user name)."""
    if not username:
        raise ValidationError(_("Enter a user name."), field="username")
    try:
        _USERNAME(username)
    except DjangoValidationError:
        raise ValidationError(_("A user name has at most 150 letters, digits and @ . + - _ only."),
                              field="username") from None
    if len(username) > 150 or username.startswith("dept:"):
        raise ValidationError(_("A user name has at most 150 letters, digits and @ . + - _ only."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("The user name %(name)s is taken.") % {"name": username}, field="username")
    if any(unicodedata.category(ch).startswith("C") or ch in "<>" for ch in display_name) or len(display_name) > 100:
        raise ValidationError(_("A name has at most 100 characters, without < > or control characters."),
                              field="display_name")
    try:
        validate_password(password, user=User(username=username, display_name=display_name))
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(str(m) for m in exc.messages), field="password") from None


def staff_account_create(*, actor: User, username: str, password: str, role: str, jurisdiction_code: str,
                         display_name: str = "") -> User:
    """A staff account bound to a jurisdiction inside the actor's area, with a role the actor may give."""
    username, display_name = (username or "").strip(), " ".join((display_name or "").split())
    jurisdiction_code = (jurisdiction_code or "").strip()
    _require_area(actor, jurisdiction_code, Capability.ACCOUNT_MANAGE)
    if role not in grantable_roles(actor):
        raise ValidationError(_("You may not give this role."), field="role")
    account_fields_check(username=username, password=password, display_name=display_name)
    return user_create(actor=actor, username=username, password=password, role=role,
                       jurisdiction_code=jurisdiction_code, display_name=display_name, check_password=False)


def staff_account_get(*, actor: User, username: str) -> User:
    """A staff account the actor administers; NotFound otherwise."""
    user = User.objects.filter(username=username, kind=Kind.STAFF).first()
    if user is None:
        raise NotFound(_("No account has this user name."))
    _require_administers(actor, user)
    return user


def staff_account_deactivate(*, actor: User, username: str, reason: str) -> User:
    """Switch a staff account off (a member who left): it can no longer log in, and its sessions end."""
    reason = _reason(reason, _("State the reason for deactivating the account."))
    user = staff_account_get(actor=actor, username=username)
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account."), field="username")
    with transaction.atomic():
        if not User.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
            raise ValidationError(_("This account is already deactivated."), field="username")
        event_record(actor=actor, action="account.user.deactivated", subject_type="user", subject_id=user.pk,
                     data={"reason": reason[:200]})
    user.refresh_from_db()
    return user


def staff_account_reactivate(*, actor: User, username: str, reason: str) -> User:
    """Switch a deactivated staff account on again (a locked one is unlocked instead, with `account_unlock`)."""
    reason = _reason(reason, _("State the reason for reactivating the account."))
    user = staff_account_get(actor=actor, username=username)
    if user.locked_at is not None:
        raise ValidationError(_("This account is locked: unlock it instead."), field="username")
    with transaction.atomic():
        if not User.objects.filter(pk=user.pk, is_active=False).update(is_active=True):
            raise ValidationError(_("This account is active."), field="username")
        event_record(actor=actor, action="account.user.reactivated", subject_type="user", subject_id=user.pk,
                     data={"reason": reason[:200]})
    user.refresh_from_db()
    return user


# A new password through a one-time code: the administrator issues it for a staff member (shown once, only its
# SHA-256 kept), tells it to them, and they set a new password with it at /accounts/password/ within
# PASSWORD_CODE_HOURS. A code is used once; issuing another ends the earlier ones.

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from a note
RESET_TRIES_SCOPE = "account.password_code"  # the limiter's scope: tries an hour per user name
PASSWORD_CODE_TRIES_PER_HOUR = 10


def _password_code_digest(code: str) -> str:
    cleaned = "".join(ch for ch in unicodedata.normalize("NFKC", code or "").upper() if ch not in " -\t")
    return hashlib.sha256(f"password-code:{cleaned}".encode()).hexdigest()


def password_code_issue(*, actor: User, username: str) -> tuple[str, dt.datetime]:
    """A new one-time code for the staff member `username`; returns it (shown once) and when it expires."""
    user = staff_account_get(actor=actor, username=username)
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _i in range(12))
    code = "-".join(raw[i:i + 4] for i in range(0, 12, 4))
    now = timezone.now()
    expires = now + dt.timedelta(hours=settings.PASSWORD_CODE_HOURS)
    with transaction.atomic():
        ended = PasswordCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now)
        PasswordCode.objects.create(user=user, digest=_password_code_digest(code), issued_by=actor,
                                    expires_at=expires)
        event_record(actor=actor, action="account.password_code.issued", subject_type="user", subject_id=user.pk,
                     data={"hours": settings.PASSWORD_CODE_HOURS, "ended_codes": ended})
    return code, expires


def password_code_use(*, username: str, code: str, password: str) -> User:
    """Set a staff member's new password with the one-time code an administrator gave them. A wrong pair of user
    name and code, a used code and an expired one are each refused with their own message (only the right code
    tells used from expired); PASSWORD_CODE_TRIES_PER_HOUR tries an hour per user name."""
    username = (username or "").strip()
    ratelimit.hit(RESET_TRIES_SCOPE, username.lower()[:150], limit=PASSWORD_CODE_TRIES_PER_HOUR, per=3600)
    found = (PasswordCode.objects.select_related("user")
             .filter(digest=_password_code_digest(code), user__username=username, user__kind=Kind.STAFF).first())
    now = timezone.now()
    if found is None:
        raise ValidationError(_("The user name or the code is wrong."), code="wrong_code", field="code")
    if found.used_at is not None:
        raise ValidationError(_("This code has already been used. Ask your administrator for a new one."),
                              code="used", field="code")
    if found.expires_at <= now:
        raise ValidationError(_("This code has expired: a code is valid for %(hours)d hours. Ask your administrator "
                                "for a new one.") % {"hours": settings.PASSWORD_CODE_HOURS},
                              code="expired", field="code")
    user = found.user
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(str(m) for m in exc.messages), field="password") from None
    with transaction.atomic():
        if not PasswordCode.objects.filter(pk=found.pk, used_at__isnull=True).update(used_at=now):
            raise ValidationError(_("This code has already been used. Ask your administrator for a new one."),
                                  code="used", field="code")
        user.set_password(password)
        user.save(update_fields=["password"])
        event_record(actor=user, action="account.password_code.used", subject_type="user", subject_id=user.pk,
                     data={"issued_by": found.issued_by_id})
    return user


# Department clients in the UI (/manage/clients/): the administrator's, inside their area.

def api_client_get(*, actor: User, client_id: int) -> ApiClient:
    client = ApiClient.objects.select_related("account").filter(pk=client_id).first()
    if client is None or not (can(actor, Capability.CLIENT_MANAGE)
                              and area_contains(actor, client.account.jurisdiction_code)):
        raise NotFound(_("No such department client."))
    return client


def api_client_create_for(*, actor: User, name: str, scopes: list[str], jurisdiction_code: str,
                          days: int | None = None) -> str:
    """`api_client_create` for a client inside the actor's area, with the checks worded for the form."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100 or any(unicodedata.category(ch).startswith("C") or ch in "<>" for ch in name):
        raise ValidationError(_("A name has at most 100 characters, without < > or control characters."),
                              field="name")
    _require_area(actor, jurisdiction_code, Capability.CLIENT_MANAGE)
    if ApiClient.objects.filter(name=name).exists():
        raise ValidationError(_("A department client named %(name)s exists already.") % {"name": name},
                              field="name")
    allowed = {str(c) for c in GRANTS[Role.DEPARTMENT]}
    if not scopes or set(scopes) - allowed:
        raise ValidationError(_("Choose what the client may do."), field="scopes")
    return api_client_create(actor=actor, name=name, scopes=scopes, jurisdiction_code=jurisdiction_code.strip(),
                             days=days)


def _client_live_token(client: ApiClient) -> ApiToken:
    token = (ApiToken.objects.filter(owner=client.account, revoked_at__isnull=True, expires_at__gt=timezone.now())
             .order_by("-created_at", "-pk").first())
    if token is None:
        raise ValidationError(_("This client has no valid token."), field="token")
    return token


def api_client_token_rotate(*, actor: User, client_id: int) -> str:
    """A new token for the client in place of its current one (revoked at once); returns it, shown once."""
    client = api_client_get(actor=actor, client_id=client_id)
    _token, secret = token_rotate(actor=actor, prefix=_client_live_token(client).prefix)
    return secret


def api_client_token_revoke(*, actor: User, client_id: int, reason: str) -> ApiToken:
    client = api_client_get(actor=actor, client_id=client_id)
    reason = _reason(reason, _("State the reason for revoking the token."))
    return token_revoke(actor=actor, prefix=_client_live_token(client).prefix, reason=reason)
