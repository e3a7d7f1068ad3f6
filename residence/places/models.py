"""Jurisdictions, acceptance points, standard addresses (buildings with door plates) and units."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from residence.core.fields import BytewiseCharField
from residence_rules.catalogue import ENUMS


class Level(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")


LEVEL_ORDER = [Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID]


class Jurisdiction(models.Model):
    """A node of city → district → street → community → grid.

    `code`: GB/T 2260 six digits to county level, the statistical division codes (9 and 12 digits) for streets and
    communities, and stable own codes (community code + 3 digits) for grids. `path` is the chain of codes from
    the root, "/"-separated and "/"-terminated, so that "everything below" is a prefix match.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, unique=True)
    official = models.BooleanField(_("official code"), default=True)

    def __str__(self) -> str:
        return self.name


_POINT_KIND_LABELS = {
    "police_station": _("Police station"),
    "community_service_agency": _("Community service agency"),
    "migrant_service_agency": _("Migrant-service agency"),
    "street_office": _("Street office"),
    "community_station": _("Community station"),
    "rental_station": _("Rental-housing management station"),
}
# the rules' list of kinds of acceptance point, with the words for each: one list for the rules and the database
AcceptancePointKind = models.TextChoices(  # type: ignore[misc,call-overload]
    "AcceptancePointKind", [(k.upper(), (k, _POINT_KIND_LABELS[k])) for k in ENUMS["point_kind"]])


class AcceptancePoint(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=AcceptancePointKind.choices)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="acceptance_points")
    # services this point may accept, narrower than its kind's (the rules' acceptance.point_services); empty: all
    # of them (SZ: some stations take registrations only, whatever their kind)
    services = models.JSONField(_("services accepted"), default=list, blank=True)

    def __str__(self) -> str:
        return self.name


class ObligorKind(models.TextChoices):
    LANDLORD = "landlord", _("Landlord")
    EMPLOYER = "employer", _("Employer with a dormitory")
    HOTEL = "hotel", _("Hotel")
    HOURLY_RENTAL = "hourly_rental", _("Hourly rental")


class Obligor(models.Model):
    """A declaration obligor (申报义务人): whoever must declare arrivals and departures at their premises."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ObligorKind.choices)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="obligor"
    )
    # The register's own number for the obligor (an import's key: rows with the same code are one obligor), and
    # the area that administers it (a district manager sees the obligors registered in their district).
    code = models.CharField(_("obligor code"), max_length=32, null=True, blank=True, unique=True)
    jurisdiction = models.ForeignKey(Jurisdiction, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="obligors")
    # a business phone for reminders by text message (not a person's: kept in clear, masked on screen)
    phone = models.CharField(_("business phone"), max_length=20, blank=True, db_default="")

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A standard address: one building with its door plate (门楼牌) and unique address code."""

    address_code = BytewiseCharField(_("address code"), max_length=32, unique=True)
    road = models.CharField(_("road"), max_length=100)
    door_plate = models.CharField(_("door plate"), max_length=50)
    name = models.CharField(_("building name"), max_length=100, blank=True)
    grid = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="buildings")

    def __str__(self) -> str:
        return Building.address_of(self.road, self.door_plate, self.name)

    @staticmethod
    def address_of(road: str, door_plate: str, name: str) -> str:
        """The building's address as `str(building)` gives it, from its columns: for hot reads that fetch them as
        values rather than instances."""
        return f"{road}{door_plate}{name}"


class UnitKind(models.TextChoices):
    FLAT = "flat", _("Flat")
    ROOM = "room", _("Room")
    DORMITORY = "dormitory", _("Dormitory room")
    HOTEL = "hotel", _("Hotel premises")


class SafetyGrade(models.TextChoices):
    A = "A", _("A (safe)")
    B = "B", _("B (needs attention)")
    C = "C", _("C (hazard)")


class Unit(models.Model):
    code = BytewiseCharField(_("unit code"), max_length=40, unique=True)
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    label = models.CharField(_("room"), max_length=50)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices, default=UnitKind.FLAT)
    is_rental = models.BooleanField(_("rental housing"), default=False)
    safety_grade = models.CharField(_("safety grade"), max_length=1, choices=SafetyGrade.choices, blank=True)
    obligor = models.ForeignKey(Obligor, null=True, blank=True, on_delete=models.SET_NULL, related_name="units")

    def __str__(self) -> str:
        return Unit.address_of(str(self.building), self.label)

    @staticmethod
    def address_of(building: str, label: str) -> str:
        """The unit's address as `str(unit)` gives it, from its building's address (`Building.address_of`) and its
        label."""
        return f"{building} {label}"


class Reminder(models.Model):
    """A reminder sent to a declaration obligor by a daily job (registrations.reminders): at most one of a kind a
    day, shown on its pages and texted to its business phone when it has one."""

    class Kind(models.TextChoices):
        DEPARTURES_OVERDUE = "departures", _("Departures overdue")

    obligor = models.ForeignKey(Obligor, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    day = models.DateField()
    count = models.PositiveIntegerField()  # how many were overdue when it was sent
    texted = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["obligor", "kind", "day"], name="reminder_once_a_day")]

    def __str__(self) -> str:
        return f"{self.kind} {self.obligor_id} {self.day}"
