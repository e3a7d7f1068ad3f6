from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from residence.places.models import Unit


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class CheckInForm(forms.Form):
    """A front desk's check-in. The idempotency key is made when the form is shown, so that a double click or a
    resent form declares the guest once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    id_number = forms.CharField(label=_("ID number"), max_length=18, min_length=18,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "latin",
                                                              "pattern": "[0-9]{17}[0-9Xx]",
                                                              "title": _("18 characters: 17 digits and a digit or X")}))
    name = forms.CharField(label=_("Name"), max_length=30)
    unit = forms.ChoiceField(label=_("Room"))
    arrived_at = forms.DateTimeField(label=_("Arrived"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                     input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field: forms.ChoiceField = self.fields["unit"]  # type: ignore[assignment]
        unit_field.choices = [(u.code, f"{u.label} · {u.building}") for u in units]
        self.initial.setdefault("idempotency_key", str(uuid.uuid4()))
        self.initial.setdefault("arrived_at", _now_local())


class CheckOutForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)
