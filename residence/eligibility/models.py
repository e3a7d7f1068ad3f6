"""Assessments: what a permit decision relied on.

Each row keeps the situation the rules were given (inputs, as plain JSON), what they answered (outputs), the rules
version and locality, and the as-of date. Decisions (approve, refuse, endorse) keep the engine's whole trace too;
every other assessment is replayed on demand from its stored inputs and rules version (the engine is
deterministic), so a million assessments do not cost gigabytes.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from residence.people.models import Person


class Purpose(models.TextChoices):
    CHECK = "check", _("Eligibility check")
    APPLICATION = "application", _("Permit application")
    DECISION = "decision", _("Review decision")
    ENDORSEMENT = "endorsement", _("Endorsement")
    BATCH = "batch", _("Batch assessment")


class Assessment(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assessments", db_index=False)
    as_of = models.DateField(_("as of"))
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    locality = models.CharField(_("locality"), max_length=32)
    rules_version = models.CharField(_("rules version"), max_length=64)
    inputs = models.JSONField()
    outputs = models.JSONField()
    eligible = models.BooleanField(_("eligible"))
    basis = models.CharField(_("condition met"), max_length=12, blank=True)
    continuous_days = models.IntegerField(_("continuous days"), default=0)
    trace = models.JSONField(null=True, blank=True)  # decisions only
    created_at = models.DateTimeField()
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_index=False)

    class Meta:
        indexes = [models.Index(fields=["person", "-created_at"], name="assessment_person_latest")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.as_of} {self.purpose}"
