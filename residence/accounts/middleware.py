"""When the second factor is required, a staff session not verified by a code (one that logged in during its
enrolment window) reaches only the enrolment page, log-out and the language switch until the app is set up."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from residence.accounts.roles import Kind


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
