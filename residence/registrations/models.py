"""Residence registrations: the minimal form (person, unit, class, from, to) that scope follows.

The registration work extends this model (declarations, obligors, deadlines) rather than replacing it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from residence.people.models import Person
from residence.places.models import Unit


class PlaceClass(models.TextChoices):
    LONG_TERM = "long_term", _("Long-term place")
    INSTANT = "instant", _("Instant place")


class Registration(models.Model):
    # indexed by registration_person_end below (person first), so no index of its own
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="registrations", db_index=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="registrations")
    place_class = models.CharField(_("place class"), max_length=16, choices=PlaceClass.choices,
                                   default=PlaceClass.LONG_TERM)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("to"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["person", "ended_on"], name="registration_person_end")]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.unit_id} {self.started_on}–{self.ended_on or ''}"
