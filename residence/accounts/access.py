"""Log-ins, failed log-ins, lockouts, log-outs and refused pages, recorded on the audit trail.

What is recorded: who (the account, when the user name typed is an existing account's), from which address, through
which door, and why a log-in failed, in words the trail shows. Never a password, and never the string typed as the
user name: at the residents' door that is an ID number, at the staff door it may be one typed by mistake; an
account's id stands for it when it names one, nothing when it does not.

Bounds: the records of failed log-ins cannot grow faster than the lockout lets them. django-axes locks an address
out after AXES_FAILURE_LIMIT failures (and a user name from an address); a failure during a lockout is not recorded
again (axes still counts it), so one address writes at most AXES_FAILURE_LIMIT failures and one lockout per cool-off.
Many addresses together write at most LOGIN_FAILURE_EVENTS_PER_MINUTE failures a minute across the site; past that,
one event says that the rest of the minute's are not recorded one by one. Refused pages come from logged-in accounts
only (anonymous requests are sent to the log-in page first), at most REFUSAL_EVENTS_PER_MINUTE per account.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from residence.accounts.models import User
from residence.audit.services import event_record
from residence.audit.subjects import subject_in_url, subject_type
from residence.core import ratelimit
from residence.core.proxy import client_address

_MINUTE = 60
LOGIN_FAILURES = "audit.login_failures"  # the shared limiter's scopes
REFUSALS = "audit.refusals"


def _door(request: HttpRequest | None) -> str:
    match = getattr(request, "resolver_match", None)
    return "resident" if match is not None and match.namespace == "me" else "staff"


def _address(request: HttpRequest | None) -> str:
    return client_address(request) if request is not None and hasattr(request, "META") else ""


def _under_cap(scope: str, key: str, limit: int) -> bool | None:
    """True while under the cap of this minute; None for the first event past it (the one that says so); False
    after that."""
    try:
        ratelimit.hit(scope, key, limit=limit, per=_MINUTE)
    except ratelimit.RateLimited:
        return None if ratelimit.peek(scope, key) == limit + 1 else False
    return True


def login_succeeded_record(*, request: HttpRequest | None, user: User) -> None:
    """A log-in (the log-in pages, and a resident logged in on opening an account). A log-in without a request
    (a test client's force_login, a command) has no address and no door, and is not recorded."""
    if request is None or not getattr(request, "resolver_match", None):
        return
    event_record(actor=user, action="account.login.succeeded", subject_type="user", subject_id=user.pk,
                 data={"door": _door(request), "address": _address(request)})


def login_failed_record(*, request: HttpRequest | None, credentials: dict[str, Any]) -> None:
    """A failed log-in, unless it is one more try during a lockout (see the module's docstring)."""
    if request is None:
        return
    failures = getattr(request, "axes_failures_since_start", None)
    if getattr(request, "axes_locked_out", False) and (failures is None or failures > _failure_limit()):
        return  # refused by the lockout, not by the password: the lockout was recorded when it began
    under = _under_cap(LOGIN_FAILURES, "site", settings.LOGIN_FAILURE_EVENTS_PER_MINUTE)
    if under is None:
        event_record(actor=None, action="account.login.failures_unrecorded",
                     data={"limit": settings.LOGIN_FAILURE_EVENTS_PER_MINUTE})
    if not under:
        return
    account = _account(credentials)
    reason = str(credentials.get("reason") or "password")
    if account is not None and not account.is_active and reason == "password":
        reason = "inactive"
    event_record(actor=None, action="account.login.failed", subject_type="user" if account else "",
                 subject_id=account.pk if account else "",
                 data={"door": _door(request), "address": _address(request), "reason": reason})


def lockout_record(*, request: HttpRequest | None, username: str | None) -> None:
    """Axes locked an address (or a user name from it) out: recorded when the lockout begins, not again for each
    try it refuses."""
    if request is None or getattr(request, "axes_failures_since_start", None) != _failure_limit():
        return
    account = _account({"username": username})
    event_record(actor=None, action="account.login.locked_out", subject_type="user" if account else "",
                 subject_id=account.pk if account else "",
                 data={"door": _door(request), "address": _address(request), "failures": _failure_limit(),
                       "minutes": round(float(settings.AXES_COOLOFF_TIME) * 60)})


def logout_record(*, request: HttpRequest | None, user: Any) -> None:
    if request is None or not isinstance(user, User) or not getattr(request, "resolver_match", None):
        return
    event_record(actor=user, action="account.logged_out", subject_type="user", subject_id=user.pk,
                 data={"door": "resident" if user.kind == "resident" else "staff"})


def access_refused_record(*, request: HttpRequest, out_of_scope: bool) -> None:
    """A logged-in account was refused a page: out of its scope (a scoped selector found nothing) or not for its
    role. Recorded with the page's pattern (/people/<int:person_id>/, never the address bar's text or query) and
    the subject the URL names, when that subject exists (so that a number typed into the address bar, an ID
    number say, is never kept)."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    if not isinstance(user, User) or not user.is_authenticated or match is None:
        return
    under = _under_cap(REFUSALS, f"user:{user.pk}", settings.REFUSAL_EVENTS_PER_MINUTE)
    if under is None:
        event_record(actor=user, action="access.refusals_unrecorded",
                     data={"limit": settings.REFUSAL_EVENTS_PER_MINUTE})
    if not under:
        return
    kind, sid = subject_in_url(match.kwargs) or ("", "")
    registered = subject_type(kind)
    if registered is not None and not registered.exists(sid):
        sid = ""
    event_record(actor=user, action="access.refused", subject_type=kind, subject_id=sid,
                 data={"page": "/" + match.route, "reason": "scope" if out_of_scope else "role"})


def _account(credentials: dict[str, Any]) -> User | None:
    name = credentials.get("username")
    if not isinstance(name, str) or not name or len(name) > 150:
        return None
    return User.objects.filter(username=name).only("pk", "is_active").first()


def _failure_limit() -> int:
    return int(settings.AXES_FAILURE_LIMIT)
