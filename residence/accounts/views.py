from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from residence.accounts.forms import LoginForm, OtpConfirmForm, OtpRemoveForm
from residence.accounts.models import User
from residence.accounts.roles import Kind
from residence.accounts.services import otp_device_confirm, otp_device_confirmed, otp_device_prepare, otp_device_remove
from residence.core.errors import DomainError


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        device = getattr(form, "otp_device", None)
        if device is not None:
            otp_login(self.request, device)
        return response


class LogoutView(auth_views.LogoutView):
    next_page = "accounts:login"


@never_cache  # the page shows a secret key: no copy in any cache or in the browser's history
@login_required
def otp(request: HttpRequest) -> HttpResponse:
    """Set up (enrol) or remove the authenticator app that gives a staff account its second factor.

    The two forms name their action, so that a form left open in another tab cannot do the other thing."""
    user = request.user
    if not isinstance(user, User) or user.kind != Kind.STAFF:
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    if request.method == "POST" and action not in {"confirm", "remove"}:
        return HttpResponse(status=400)
    confirm_form = OtpConfirmForm(request.POST if action == "confirm" else None)
    remove_form = OtpRemoveForm(request.POST if action == "remove" else None)
    form = confirm_form if action == "confirm" else remove_form
    if action and form.is_valid():
        try:
            if action == "confirm":
                device = otp_device_confirm(user=user, token=form.cleaned_data["token"])
                otp_login(request, device)  # the code just given also verifies this session
                messages.success(request, _("The authenticator app is set up. From now on, log-in asks for its "
                                            "code."))
            else:
                otp_device_remove(user=user, token=form.cleaned_data["token"])
                messages.success(request, _("The authenticator app has been removed. Log-in no longer asks for a "
                                            "code."))
            return redirect("accounts:otp")
        except DomainError as exc:
            if exc.field not in form.fields:  # not about the code typed: set up or removed meanwhile in another tab
                messages.error(request, exc.message)
                return redirect("accounts:otp")
            form.add_error(exc.field, exc.message)

    context: dict[str, Any] = {"require_otp": settings.STAFF_REQUIRE_OTP}
    enrolled = otp_device_confirmed(user=user)
    if enrolled is not None:
        context.update(enrolled=enrolled, form=remove_form)
    else:
        try:
            pending = otp_device_prepare(user=user)
        except DomainError as exc:  # set up meanwhile in another tab
            messages.error(request, exc.message)
            return redirect("accounts:otp")
        context.update(pending=pending, form=confirm_form, qr_svg=_qr_svg(pending),
                       secret_groups=_secret_groups(pending))
    return render(request, "accounts/otp.html", context, status=400 if form.errors else 200)


def _secret_groups(device: TOTPDevice) -> list[str]:
    """The key in base32, as authenticator apps take it by hand, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return [secret[i:i + 4] for i in range(0, len(secret), 4)]


def _qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as a QR code, drawn here as inline SVG (no script, no outside service)."""
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", svgclass="otp-qr", omitsize=True,
                        title=_("QR code for the authenticator app"))  # a viewBox: the page's CSS sizes it
    return mark_safe(svg)  # noqa: S308  # segno escapes the title; the rest is its own path markup
