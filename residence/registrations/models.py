"""Residence registrations: the minimal form (person, unit, class, from, to) that scope follows.

The registration work extends this model (declarations, obligors, deadlines) rather than replacing it.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from residence.core.fields import BytewiseCharField
from residence.people.choices import ResidenceReason
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


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Registered")
    # declared by the resident themselves: waits for the obligor's confirmation or a clerk's check
    PENDING = "pending", _("Awaiting confirmation")
    CANCELLED = "cancelled", _("Withdrawn")


class CancelReason(models.TextChoices):
    """Why a registration was withdrawn: it should never have been made."""

    ERROR = "error", _("Declared in error")
    NEVER_ARRIVED = "never_arrived", _("The person never lived here")
    DUPLICATE = "duplicate", _("Declared twice")
    REFUSED = "refused", _("The obligor or a clerk did not confirm it")


class RegistrationQuerySet(models.QuerySet["Registration"]):
    def current(self) -> RegistrationQuerySet:
        """Registrations in force now: not ended, not withdrawn (those awaiting confirmation included)."""
        return self.filter(ended_on__isnull=True).exclude(status=RegistrationStatus.CANCELLED)

    def standing(self) -> RegistrationQuerySet:
        """Every registration that was not withdrawn: what a person's residence history is made of."""
        return self.exclude(status=RegistrationStatus.CANCELLED)


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
    departure_declared_by = models.CharField(_("departure declared by"), max_length=16, choices=DeclaredBy.choices,
                                             blank=True, db_default="")
    departure_channel = models.CharField(_("departure channel"), max_length=10, blank=True, db_default="")
    expected_ended_on = models.DateField(_("expected departure"), null=True, blank=True)
    reason = models.CharField(_("reason for residence"), max_length=10, choices=ResidenceReason.choices, blank=True,
                              db_default="")
    status = models.CharField(_("status"), max_length=10, choices=RegistrationStatus.choices,
                              db_default=RegistrationStatus.CONFIRMED)
    cancel_reason = models.CharField(_("reason withdrawn"), max_length=16, choices=CancelReason.choices, blank=True,
                                     db_default="")
    cancelled_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    objects = RegistrationQuerySet.as_manager()

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


class RegistrationRevision(models.Model):
    """One change to a registration after it was declared: a correction, a confirmation, a withdrawal or a check at
    the door, with who made it, why, and the values before and after. Written only by registrations.services."""

    class Kind(models.TextChoices):
        CORRECTED = "corrected", _("Corrected")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Withdrawn")
        DEPARTED = "departed", _("Departure recorded")
        VISITED = "visited", _("Checked at the door")

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="revisions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    by_role = models.CharField(max_length=20, blank=True)
    note = models.CharField(_("reason"), max_length=200, blank=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["registration", "at"], name="registration_revision_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.registration_id} at {self.at:%Y-%m-%d %H:%M}"


class DoorCheck(models.Model):
    """What a grid worker found at the door for one registration (HB, SZ: collection and verification on a phone)."""

    class Outcome(models.TextChoices):
        PRESENT = "present", _("Lives here")
        MOVED_OUT = "moved_out", _("Moved out")
        NOT_FOUND = "not_found", _("Not found")

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="door_checks")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    checked_at = models.DateTimeField()
    checked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", db_index=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["registration", "checked_at"], name="door_check_registration")]

    def __str__(self) -> str:
        return f"{self.outcome} {self.registration_id}"
