"""Receivers that put log-ins, failures, lockouts and log-outs on the audit trail (accounts.access records them).

Connected in AccountsConfig.ready(), after django-axes (an earlier app) has connected its own receivers, so that a
failure is seen here once axes has counted it and flagged a lockout on the request."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from residence.accounts import access


def _logged_in(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    access.login_succeeded_record(request=request, user=user)


def _login_failed(sender: Any, credentials: dict[str, Any] | None = None, request: Any = None, **kwargs: Any) -> None:
    access.login_failed_record(request=request, credentials=credentials or {})


def _locked_out(sender: Any, request: Any = None, username: str | None = None, **kwargs: Any) -> None:
    access.lockout_record(request=request, username=username)


def _logged_out(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    access.logout_record(request=request, user=user)


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="residence.audit.logged_in")
    user_login_failed.connect(_login_failed, dispatch_uid="residence.audit.login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="residence.audit.locked_out")
    user_logged_out.connect(_logged_out, dispatch_uid="residence.audit.logged_out")
