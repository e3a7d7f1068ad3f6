from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from residence.audit.actions import KINDS
from residence.audit.selectors import TrailFilters

PERIODS = [("", _("Any time")), ("today", _("Today")), ("yesterday", _("Yesterday")),
           ("week", _("The last 7 days")), ("dates", _("Dates below"))]


class DateInput(forms.DateInput):
    input_type = "date"


class TrailFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("When"), required=False, choices=PERIODS)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("Any")), *((k, label) for k, (label, _a) in KINDS.items())])
    actor = forms.CharField(label=_("Actor (user name or name)"), required=False, max_length=150)
    subject_type = forms.ChoiceField(label=_("Subject"), required=False, choices=[
        ("", _("Any")), ("person", _("Person")), ("user", _("Account")), ("building", _("Address")),
    ])
    subject_id = forms.CharField(label=_("Subject number"), required=False, max_length=64)
    action = forms.CharField(label=_("Action starts with"), required=False, max_length=100)
    before = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    MAIN = ("period", "date_from", "date_to", "kind", "actor")  # the rest folds away ("More filters")

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MAIN]

    def more_fields(self) -> list[forms.BoundField]:
        return [f for f in self.visible_fields() if f.name not in self.MAIN]

    def more_used(self) -> bool:
        return any(f.value() or f.errors for f in self.more_fields())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> TrailFilters:
        """The filters of a valid form; a period overrides the dates typed."""
        c = self.cleaned_data
        today = timezone.localdate()
        start, end = c.get("date_from"), c.get("date_to")
        period = c.get("period")
        if period == "today":
            start = end = today
        elif period == "yesterday":
            start = end = today - dt.timedelta(days=1)
        elif period == "week":
            start, end = today - dt.timedelta(days=6), today
        return TrailFilters(
            date_from=start, date_to=end, kind=c.get("kind") or "", actor=(c.get("actor") or "").strip(),
            subject_type=c.get("subject_type") or "", subject_id=(c.get("subject_id") or "").strip(),
            action=(c.get("action") or "").strip(), before_id=c.get("before"))
