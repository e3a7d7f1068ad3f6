"""Forms of the evidence section (staff person page) and the employer's page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from residence.employment.models import EvidenceKind, SchoolLevel

_DATE = {"type": "date"}


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *EvidenceKind.choices])
    started_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs=_DATE))
    ended_on = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs=_DATE),
                               help_text=_("Leave empty when it has no end (an open-ended contract, a home owned)."))
    document = forms.CharField(label=_("Document seen"), max_length=200,
                               help_text=_("Its title and number, e.g. 劳动合同 HT-2025-001."))
    school_level = forms.ChoiceField(label=_("School"), required=False, choices=[("", "—"), *SchoolLevel.choices],
                                     help_text=_("For a school enrolment only."))
    full_time = forms.BooleanField(label=_("Full-time study"), required=False)
    safety_compliant = forms.BooleanField(label=_("Housing meets the safety rules"), required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why withdraw it"), max_length=200)


class HireForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=24)
    name = forms.CharField(label=_("Name"), max_length=30)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    hired_on = forms.DateField(label=_("Hired on"), widget=forms.DateInput(attrs=_DATE))


class SeparationForm(forms.Form):
    separated_on = forms.DateField(label=_("Left on"), widget=forms.DateInput(attrs=_DATE))
