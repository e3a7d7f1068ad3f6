from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from residence.people.choices import Education, Ethnicity, MaritalStatus
from residence.people.services import PersonItems
from residence.places.models import Unit
from residence.registrations.models import CancelReason, DoorCheck, ResidenceReason


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class IdNumberInput(forms.TextInput):
    """An ID number typed in: static/js/idnumber.js checks it as one types (length, birth date, check character)."""

    def __init__(self) -> None:
        super().__init__(attrs={"autocomplete": "off", "pattern": "[0-9]{17}[0-9Xx]", "data-idnumber": "",
                                "title": _("18 characters: 17 digits and a digit or X"), "inputmode": "text"})


class StayForm(forms.Form):
    """When and why: the arrival date, the expected departure and the reason for residence."""

    started_on = forms.DateField(label=_("Arrived on"), widget=forms.DateInput(attrs={"type": "date"}))
    expected_ended_on = forms.DateField(label=_("Expected departure"), required=False,
                                        widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(label=_("Reason for residence"), required=False,
                               choices=_blank(ResidenceReason.choices))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("started_on", timezone.localdate().isoformat())


class PersonItemsForm(StayForm):
    """Who: the ID number, name and the items the seeds name (HB: about 100 items; these are the usual ones)."""

    id_number = forms.CharField(label=_("ID number"), max_length=18, min_length=18, widget=IdNumberInput())
    name = forms.CharField(label=_("Name"), max_length=30)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), required=False, choices=_blank(Ethnicity.choices))
    education = forms.ChoiceField(label=_("Education"), required=False, choices=_blank(Education.choices))
    marital_status = forms.ChoiceField(label=_("Marital status"), required=False,
                                       choices=_blank(MaritalStatus.choices))
    occupation = forms.CharField(label=_("Occupation"), max_length=60, required=False)
    hukou_address = forms.CharField(label=_("Household-registration address"), max_length=200, required=False)

    field_order = ["id_number", "name", "phone", "started_on", "expected_ended_on", "reason", "ethnicity",
                   "education", "marital_status", "occupation", "hukou_address"]
    MORE = ("ethnicity", "education", "marital_status", "occupation", "hukou_address")  # folded away on a phone

    def items(self) -> PersonItems:
        d = self.cleaned_data
        return PersonItems(phone=d["phone"], ethnicity=d["ethnicity"], education=d["education"],
                           marital_status=d["marital_status"], occupation=d["occupation"],
                           hukou_address=d["hukou_address"])

    def main_fields(self) -> list[Any]:
        return [f for f in self if f.name not in self.MORE]

    def more_fields(self) -> list[Any]:
        return [f for f in self if f.name in self.MORE]


class ArrivalForm(PersonItemsForm):
    """A landlord's or employer's declaration of an arrival at one of its units."""

    unit = forms.ChoiceField(label=_("Room"))
    field_order = ["unit", *PersonItemsForm.field_order]

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field: forms.ChoiceField = self.fields["unit"]  # type: ignore[assignment]
        unit_field.choices = [(u.code, f"{u.building} {u.label}") for u in units]


class UnitArrivalForm(StayForm):
    """A clerk registers a person already on record (their page) at a unit of the area, by its code."""

    unit_code = forms.CharField(label=_("Unit code"), max_length=40,
                                help_text=_("On the door plate, or on the unit's page."))
    field_order = ["unit_code", "started_on", "expected_ended_on", "reason"]


class SelfDeclarationForm(StayForm):
    """A resident declares where they live now."""

    unit_code = forms.CharField(label=_("Unit code"), max_length=40,
                                help_text=_("On the door plate of your flat or room; your landlord can tell you."))
    field_order = ["unit_code", "started_on", "expected_ended_on", "reason"]


class DepartureForm(forms.Form):
    ended_on = forms.DateField(label=_("Left on"), widget=forms.DateInput(attrs={"type": "date"}))


class CorrectionForm(forms.Form):
    started_on = forms.DateField(label=_("Arrived on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ended_on = forms.DateField(label=_("Left on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    expected_ended_on = forms.DateField(label=_("Expected departure"), required=False,
                                        widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(label=_("Reason for residence"), required=False,
                               choices=_blank(ResidenceReason.choices))
    note = forms.CharField(label=_("Why the correction"), max_length=200)


class CancelForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why withdraw it"), choices=CancelReason.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class DoorCheckForm(forms.Form):
    outcome = forms.ChoiceField(choices=DoorCheck.Outcome.choices)
    ended_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(max_length=200, required=False)
