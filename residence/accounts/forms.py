from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import user_login_failed
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, match_token

from residence.accounts.roles import Kind
from residence.accounts.selectors import SCOPE_LABELS
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


# Administration (/manage/): the forms take the input; the services check it and word the refusals.

class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200,
                             help_text=_("Kept in the audit trail."))


class _NewPassword(forms.Form):
    """A form with a new password typed twice (password1, password2)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class StaffCreateForm(_NewPassword):
    username = forms.CharField(label=_("User name"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}))
    display_name = forms.CharField(label=_("Name"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("Role"))
    jurisdiction_code = forms.CharField(label=_("Jurisdiction code"), max_length=32,
                                        help_text=_("The area the account is bound to: yours or one below it."))
    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles  # type: ignore[attr-defined]


class PasswordCodeForm(_NewPassword):
    """A staff member sets a new password with the one-time code an administrator gave them."""

    username = forms.CharField(label=_("User name"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}))
    code = forms.CharField(label=_("One-time code from your administrator"), max_length=20,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}))
    password1 = forms.CharField(label=_("New password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("New password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class ClientCreateForm(forms.Form):
    name = forms.CharField(label=_("Department"), max_length=100)
    scopes = forms.MultipleChoiceField(label=_("May"), widget=forms.CheckboxSelectMultiple,
                                       choices=list(SCOPE_LABELS.items()))
    jurisdiction_code = forms.CharField(label=_("Jurisdiction code"), max_length=32,
                                        help_text=_("The area whose persons the client sees: yours or one below it."))
    days = forms.IntegerField(label=_("Token valid for (days)"), min_value=1, max_value=1095, initial=365)
