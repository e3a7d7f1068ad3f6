from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SearchForm(forms.Form):
    q = forms.CharField(label=_("ID number, name, pinyin initials or phone"), max_length=40, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autofocus": True, "autocomplete": "off"}))


class UnmaskForm(forms.Form):
    purpose = forms.CharField(label=_("Purpose"), max_length=200,
                              help_text=_("Why you need the full numbers; this is recorded."))
