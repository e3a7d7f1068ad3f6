from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class TrailFilterForm(forms.Form):
    subject_type = forms.ChoiceField(label=_("Subject"), required=False, choices=[
        ("", _("Any")), ("person", _("Person")), ("user", _("Account")), ("building", _("Address")),
    ])
    subject_id = forms.CharField(label=_("Subject number"), required=False, max_length=64)
    actor = forms.CharField(label=_("Actor (user name)"), required=False, max_length=150)
    action = forms.CharField(label=_("Action starts with"), required=False, max_length=100)
    before = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
