"""Refused pages go on the audit trail (RefusedAccessMiddleware, below).

When the second factor is required, a staff session not verified by a code (one that logged in during its
enrolment window) reaches only the enrolment page, log-out and the language switch until the app is set up."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from residence.accounts.access import access_refused_record
from residence.accounts.roles import Kind
from residence.core.errors import NotFound


class OtpEnrolmentMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (settings.STAFF_REQUIRE_OTP and user is not None and user.is_authenticated
                and getattr(user, "kind", "") == Kind.STAFF and not user.is_verified()):  # type: ignore[union-attr]
            allowed = (reverse("accounts:otp"), reverse("accounts:logout"), reverse("set_language"))
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                return redirect("accounts:otp")
        return self.get_response(request)


class RefusedAccessMiddleware:
    """Records on the audit trail each page a logged-in account is refused (accounts.access).

    A view answers a subject outside the account's scope, and a page its role may not open, as "not found" (Http404;
    PermissionDenied for a 403): the one place that sees every such answer with the page's URL pattern is here. A
    refusal is "out of scope" when a scoped selector's NotFound led to it (the view raised Http404 from it), and
    "not for the role" otherwise. Core, where NotFound lives, may not import audit; this layer may."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, Http404 | DjangoPermissionDenied):
            access_refused_record(request=request, out_of_scope=isinstance(exception.__context__, NotFound))
