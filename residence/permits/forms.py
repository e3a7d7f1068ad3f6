"""Forms of the application pages: a resident's application, one filed for a person (counter, grid worker), the
clerk's acceptance, and the notes of the review. The services check everything again; these only shape the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from residence.core.divisions import county_of
from residence.permits.models import Basis, Material, Relation
from residence.permits.services import point_accepts
from residence.places.models import AcceptancePoint

APPLICATION = "application"  # the service an acceptance point takes, in the rules' words (acceptance.point_services)


def points_taking_applications(area_path: str) -> list[AcceptancePoint]:
    """The acceptance points of the county of `area_path` (a registration's area) that take permit applications:
    by their kind's default in the rules, narrowed by their own setting (`services.point_accepts`)."""
    county = county_of(area_path)
    if not county:
        return []
    points = (AcceptancePoint.objects.select_related("jurisdiction")
              .filter(jurisdiction__path__contains=f"/{county}/").order_by("kind", "code"))
    return [p for p in points if point_accepts(p, APPLICATION)]


class Materials(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(choices=Material.choices, **kwargs)


class ApplyForm(forms.Form):
    """A resident applies for themselves: where they will show their documents, the condition they rely on and the
    materials they will bring."""

    point = forms.ChoiceField(label=_("Where you will show your documents"), widget=forms.RadioSelect,
                              error_messages={"required": _("Choose an acceptance point.")})
    claimed_basis = forms.ChoiceField(label=_("The condition you rely on"), choices=Basis.choices,
                                      initial=Basis.NONE, widget=forms.RadioSelect,
                                      help_text=_("If you are not sure, leave the first choice: the condition you "
                                                  "meet is used."))
    materials = Materials(label=_("Materials you will bring"),
                          help_text=_("Tick what you have; you are told at once everything still missing."))

    def __init__(self, *args: Any, points: list[AcceptancePoint], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ChoiceField = self.fields["point"]  # type: ignore[assignment]
        field.choices = [(p.code, f"{p.name}（{p.get_kind_display()}）") for p in points]
        if len(points) == 1:
            field.initial = points[0].code


class FileForm(ApplyForm):
    """An application filed for a person by a clerk at the counter or a grid worker: who applies (the person, a
    guardian or a close relative, named), whether the person can come, and, for a grid worker or a clerk not bound
    to a point, where the documents will be shown."""

    relation = forms.ChoiceField(label=_("Who applies"), widget=forms.RadioSelect, initial=Relation.SELF,
                                 choices=[(r, Relation(r).label) for r in (Relation.SELF, Relation.GUARDIAN,
                                                                           Relation.CLOSE_RELATIVE)])
    applicant_name = forms.CharField(label=_("Name of the guardian or relative"), max_length=50, required=False,
                                     help_text=_("Only when a guardian or close relative applies."))
    unable_to_attend = forms.BooleanField(label=_("Elderly or disabled, and cannot come in person"),
                                          required=False)
    field_order = ["relation", "applicant_name", "unable_to_attend", "point", "claimed_basis", "materials"]

    def __init__(self, *args: Any, points: list[AcceptancePoint], fixed_point: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, points=points, **kwargs)
        self.fields["point"].label = _("Acceptance point")
        self.fields["claimed_basis"].label = _("Condition relied on")
        self.fields["materials"].label = _("Materials handed in or to be brought")
        if fixed_point:  # a clerk bound to a point takes applications there (the service sets it)
            del self.fields["point"]


class AcceptForm(forms.Form):
    materials = Materials(label=_("Documents seen"))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ProvideForm(NoteForm):
    materials = Materials(label=_("Materials now provided"))
