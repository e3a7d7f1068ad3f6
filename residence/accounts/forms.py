from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import user_login_failed
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, match_token

from residence.accounts.roles import Kind
from residence.accounts.services import otp_enrolment_open


class LoginForm(AuthenticationForm):
    """Username + password, and the TOTP code when the account has a confirmed second factor.

    Each log-in page admits its own kinds of account: staff and obligors here, residents at /me/login/, department
    clients nowhere. Another kind's right password gets the wrong password's answer, and counts as a failure."""

    allowed_kinds = frozenset({Kind.STAFF, Kind.OBLIGOR})

    otp_token = forms.CharField(label=_("One-time code"), required=False, max_length=8,
                                help_text=_("Only if your account uses an authenticator app."),
                                widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if user.kind not in self.allowed_kinds:
            user_login_failed.send(sender=__name__, credentials={"username": user.get_username(), "reason": "door"},
                                   request=self.request)
            self.user_cache = None
            raise self.get_invalid_login_error()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        has_device = any(True for _d in devices_for_user(user, confirmed=True))
        if has_device:
            token = (cleaned.get("otp_token") or "").strip()
            # An empty code is a request for the code, not a wrong guess: it does not feed the device's throttle.
            device = match_token(user, token) if token else None
            if device is None:
                user_login_failed.send(sender=__name__, credentials={"username": user.get_username(), "reason": "otp"},
                                       request=self.request)
                raise forms.ValidationError(_("The one-time code is missing or wrong."), code="otp")
            self.otp_device = device
        elif settings.STAFF_REQUIRE_OTP and user.kind == Kind.STAFF and not otp_enrolment_open(user):
            raise forms.ValidationError(_("Staff accounts must set up an authenticator app first; ask your "
                                          "administrator."), code="otp_required")
        return cleaned


class OtpConfirmForm(forms.Form):
    """The first code from a newly set-up authenticator app; the service checks it."""

    token = forms.CharField(label=_("Code shown in the app"), max_length=16,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                          "autofocus": True}))


class OtpRemoveForm(forms.Form):
    """A current code from the app, to switch the second factor off."""

    token = forms.CharField(label=_("Current code from the app"), max_length=16,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
