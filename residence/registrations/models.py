"""Residence registrations: the minimal form (person, unit, class, from, to) that scope follows.

The registration work extends this model (declarations, obligors, deadlines) rather than replacing it.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from residence.core.fields import BytewiseCharField
from residence.people.models import Person
from residence.places.models import Unit


class PlaceClass(models.TextChoices):
    LONG_TERM = "long_term", _("Long-term place")
    INSTANT = "instant", _("Instant place")


class DeclaredBy(models.TextChoices):
    OBLIGOR = "obligor", _("Declaration obligor")
    RESIDENT = "resident", _("Resident")
    STAFF = "staff", _("Staff")
    GRID_WORKER = "grid_worker", _("Grid worker")


class Registration(models.Model):
    # indexed by registration_person_end below (person first), so no index of its own
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="registrations", db_index=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="registrations")
    place_class = models.CharField(_("place class"), max_length=16, choices=PlaceClass.choices,
                                   default=PlaceClass.LONG_TERM)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("to"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The unit's area down to its grid (the grid's materialised path, "/440300/440308/…/"), stamped on every write
    # by registrations.services.registration_area_path, so that scope is a prefix match on this column alone.
    area_path = BytewiseCharField(max_length=255, editable=False)
    # The declaration (empty for records imported before declarations were kept): who, how, when, by when.
    # (database defaults, so that the bulk writers' COPY and INSERTs need not name these columns)
    declared_by = models.CharField(_("declared by"), max_length=16, choices=DeclaredBy.choices, blank=True,
                                   db_default="")
    declared_by_account = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="+", db_index=False)
    channel = models.CharField(_("channel"), max_length=10, blank=True, db_default="")  # stays.models.Channel's
    declared_at = models.DateTimeField(_("declared"), null=True, blank=True)
    due_at = models.DateTimeField(_("declaration due"), null=True, blank=True)
    late = models.BooleanField(_("declared late"), db_default=False)
    departure_declared_at = models.DateTimeField(_("departure declared"), null=True, blank=True)
    departure_late = models.BooleanField(_("departure declared late"), db_default=False)

    class Meta:
        indexes = [
            models.Index(fields=["person", "ended_on"], name="registration_person_end"),
            models.Index(fields=["area_path", "ended_on", "person"], name="registration_area_path"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.unit_id} {self.started_on}–{self.ended_on or ''}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Every ORM write stamps the area path (bulk paths call the services themselves)."""
        from residence.registrations.services import registration_area_path, registration_written

        self.area_path = registration_area_path(self.unit)
        super().save(*args, **kwargs)
        registration_written(person_ids=[self.person_id])
