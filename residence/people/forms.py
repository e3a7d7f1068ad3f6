from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from residence.accounts.forms import LoginForm
from residence.accounts.roles import Kind
from residence.people.residents import resident_login_name


class SearchForm(forms.Form):
    q = forms.CharField(label=_("ID number, name, pinyin initials or phone"), max_length=40, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autofocus": True, "autocomplete": "off"}))
    # where the next page starts (the last row's key and record number) and its number: posted with the query by
    # the "next page" button, so that neither goes into a URL
    after_form = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)
    after_id = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False, widget=forms.HiddenInput)
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False, widget=forms.HiddenInput)


class UnmaskForm(forms.Form):
    purpose = forms.CharField(label=_("Purpose"), max_length=200,
                              help_text=_("Why you need the full numbers; this is recorded."))


class ResidentLoginForm(LoginForm):
    """Residents log in with their ID number; it becomes the account's derived user name before authenticating."""

    allowed_kinds = frozenset({Kind.RESIDENT})

    error_messages = {
        **LoginForm.error_messages,
        "invalid_login": _("The ID number or password is wrong. After repeated wrong tries the account is locked for "
                           "a while."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("ID number")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "maxlength": 18})
        del self.fields["otp_token"]  # residents have no second factor here

    def clean_username(self) -> str:
        return resident_login_name(self.cleaned_data.get("username") or "")


class ResidentPhoneForm(forms.Form):
    """Step 1 of opening an account or resetting its password."""

    id_number = forms.CharField(label=_("ID number"), max_length=18,
                                widget=forms.TextInput(attrs={"autocomplete": "username"}))
    phone = forms.CharField(label=_("Phone"), max_length=20,
                            help_text=_("The phone number given when your residence was registered. A code is sent "
                                        "to it."),
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))


class ResidentCodeForm(forms.Form):
    """Step 2: the texted code and the (new) password."""

    code = forms.CharField(label=_("Code from the text message"), max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(label=_("Password again"),
                                     widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return cleaned
