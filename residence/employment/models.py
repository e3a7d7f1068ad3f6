"""Evidence behind a permit decision, and employers' reports of hires and separations.

`Evidence` is what a clerk saw (a lease, a labour contract, months of social insurance…): its kind, the dates it
covers, the document seen and who entered it. `Employment` is an employer's report of a hire and, later, of the
separation, each with the day it was entered and whether that was within the locality's deadline (YT: 3 days).
Both feed eligibility (`residence.eligibility.situations`) and dormancy; neither is ever deleted (a record entered
in error is withdrawn, with the time).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from residence.people.models import Person
from residence.places.models import Obligor


class EvidenceKind(models.TextChoices):
    LEASE = "lease", _("Lease")
    LABOUR_CONTRACT = "labour_contract", _("Labour contract")
    AGRICULTURAL_CONTRACT = "agricultural_contract", _("Agricultural contract")
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    SOCIAL_INSURANCE = "social_insurance", _("Social insurance")
    SCHOOL_ENROLMENT = "school_enrolment", _("School enrolment")
    HOME_OWNERSHIP = "home_ownership", _("Home ownership")
    EMPLOYER_DORMITORY = "employer_dormitory", _("Employer dormitory")
    TALENT_SCHEME = "talent_scheme", _("Talent scheme")
    INVESTMENT_SCHEME = "investment_scheme", _("Investment scheme")


class SchoolLevel(models.TextChoices):
    """The rules' school levels (`residence_rules` enum school_level, "none" left out)."""

    PRIMARY = "primary", _("Primary school")
    SECONDARY = "secondary", _("Secondary school")
    VOCATIONAL = "vocational", _("Vocational school")
    UNIVERSITY = "university", _("University")


class EvidenceQuerySet(models.QuerySet["Evidence"]):
    def standing(self) -> EvidenceQuerySet:
        return self.filter(withdrawn_at__isnull=True)


class Evidence(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=24, choices=EvidenceKind.choices)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("to"), null=True, blank=True)  # open: still in force
    document = models.CharField(_("document seen"), max_length=200)
    # housing: the home or dormitory meets the safety rules (the rules ask it of some kinds of housing)
    safety_compliant = models.BooleanField(_("meets safety rules"), default=False)
    school_level = models.CharField(_("school"), max_length=12, choices=SchoolLevel.choices, blank=True)
    full_time = models.BooleanField(_("full time"), default=False)
    employer = models.ForeignKey(Obligor, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    entered_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+",
                                   db_index=False)
    entered_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["person", "kind"], name="evidence_person_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_on}"


class Employment(models.Model):
    """One person's employment with one employer, as the employer reported it."""

    employer = models.ForeignKey(Obligor, on_delete=models.PROTECT, related_name="employments")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="employments")
    hired_on = models.DateField(_("hired on"))
    hire_reported_at = models.DateTimeField(_("hire entered"))
    hire_due_on = models.DateField(_("hire to be entered by"))
    hire_late = models.BooleanField(_("hire entered late"), default=False)
    separated_on = models.DateField(_("left on"), null=True, blank=True)
    separation_reported_at = models.DateTimeField(_("separation entered"), null=True, blank=True)
    separation_due_on = models.DateField(_("separation to be entered by"), null=True, blank=True)
    separation_late = models.BooleanField(_("separation entered late"), default=False)
    reported_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+",
                                    db_index=False)

    class Meta:
        indexes = [models.Index(fields=["person", "separated_on"], name="employment_person_end")]
        constraints = [
            # one open employment per person and employer: a second hire report is a mistake, not a second job
            models.UniqueConstraint(fields=["employer", "person"], condition=models.Q(separated_on__isnull=True),
                                    name="employment_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.employer_id}:{self.person_id} {self.hired_on}"
