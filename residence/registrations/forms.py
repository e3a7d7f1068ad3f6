from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from residence.places.models import Unit


class ArrivalForm(forms.Form):
    """A landlord's or employer's declaration of an arrival."""

    unit = forms.ChoiceField(label=_("Room"))
    id_number = forms.CharField(label=_("ID number"), max_length=18, min_length=18, widget=forms.TextInput(
        attrs={"autocomplete": "off", "pattern": "[0-9]{17}[0-9Xx]",
               "title": _("18 characters: 17 digits and a digit or X")}))
    name = forms.CharField(label=_("Name"), max_length=30)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    started_on = forms.DateField(label=_("Arrived on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field: forms.ChoiceField = self.fields["unit"]  # type: ignore[assignment]
        unit_field.choices = [(u.code, f"{u.building} {u.label}") for u in units]
        self.initial.setdefault("started_on", timezone.localdate().isoformat())


class DepartureForm(forms.Form):
    ended_on = forms.DateField(label=_("Left on"), widget=forms.DateInput(attrs={"type": "date"}))
