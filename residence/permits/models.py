"""Permit applications, their steps, production batches, permits and what happened to each permit.

`PermitApplication` moves through `workflow.py`'s table; each move is an `ApplicationStep`. An approved application
goes into a `ProductionBatch` for the card centre and, when issued, becomes a `Permit`. A permit's later life
(endorsements, suspension, dormancy, changes, replacement, reissue, cancellation) is a `PermitEvent` each.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from residence.core.fields import BytewiseCharField
from residence.eligibility.models import Assessment
from residence.people.models import Person
from residence.permits.workflow import Status, Transition
from residence.places.models import AcceptancePoint

ApplicationStatus = models.TextChoices(  # type: ignore[misc,call-overload]
    "ApplicationStatus", [(s.name, (s.value, label)) for s, label in (
        (Status.SUBMITTED, _("Submitted")), (Status.ACCEPTED, _("Accepted")), (Status.IN_REVIEW, _("In review")),
        (Status.INFORMATION_REQUESTED, _("Information requested")), (Status.APPROVED, _("Approved")),
        (Status.REFUSED, _("Refused")), (Status.IN_PRODUCTION, _("In production")),
        (Status.READY, _("Ready to collect")), (Status.ISSUED, _("Issued")), (Status.WITHDRAWN, _("Withdrawn")))])

TransitionChoices = models.TextChoices(  # type: ignore[misc,call-overload]
    "TransitionChoices", [(t.name, (t.value, label)) for t, label in (
        (Transition.ACCEPT, _("accepted")), (Transition.START_REVIEW, _("review started")),
        (Transition.REQUEST_INFORMATION, _("information requested")),
        (Transition.PROVIDE_INFORMATION, _("information provided")), (Transition.APPROVE, _("approved")),
        (Transition.REFUSE, _("refused")), (Transition.PRODUCE, _("sent to production")),
        (Transition.MAKE_READY, _("card ready")), (Transition.ISSUE, _("issued")),
        (Transition.WITHDRAW, _("withdrawn")))])


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At the counter")
    GRID_WORKER = "grid_worker", _("By a grid worker")


class Relation(models.TextChoices):
    """Who applies, in the rules' words (`residence_rules` enum relation)."""

    SELF = "self", _("The person themselves")
    GUARDIAN = "guardian", _("Guardian")
    CLOSE_RELATIVE = "close_relative", _("Close relative")
    GRID_WORKER = "grid_worker", _("Grid worker")
    OTHER = "other", _("Someone else")


class Material(models.TextChoices):
    """Materials an application needs (`residence_rules` enum material)."""

    ID_CARD = "id_card", _("ID card")
    PHOTO = "photo", _("Photo")
    ADDRESS_PROOF = "address_proof", _("Proof of address")
    EMPLOYMENT_PROOF = "employment_proof", _("Proof of employment")
    HOUSING_PROOF = "housing_proof", _("Proof of housing")
    ENROLMENT_PROOF = "enrolment_proof", _("Proof of enrolment")
    SCHEME_CERTIFICATE = "scheme_certificate", _("Scheme certificate")


class Basis(models.TextChoices):
    """The condition an applicant relies on (`residence_rules` enum basis)."""

    NONE = "none", _("The first condition met")
    EMPLOYMENT = "employment", _("Stable employment")
    RESIDENCE = "residence", _("Stable residence")
    STUDY = "study", _("Continuous study")
    SCHEME = "scheme", _("Talent or investment scheme")


class Delivery(models.TextChoices):
    COUNTER = "counter", _("Collected at the counter")
    MAIL = "mail", _("Mailed")


class ProductionBatch(models.Model):
    """Cards made together by the card centre (制证中心)."""

    created_at = models.DateTimeField()
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", db_index=False)
    # when the full ID numbers of the batch were revealed for the card centre (once, logged as a reveal)
    revealed_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"PB{self.pk:06d}"


class PermitApplication(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="permit_applications")
    status = models.CharField(_("status"), max_length=24, choices=ApplicationStatus.choices,
                              default=Status.SUBMITTED)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    relation = models.CharField(_("who applies"), max_length=16, choices=Relation.choices, default=Relation.SELF)
    applicant_name = models.CharField(_("applicant"), max_length=50, blank=True)  # a relative's name
    applicant_account = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+", db_index=False)
    unable_to_attend = models.BooleanField(_("elderly or disabled and cannot come"), default=False)
    acceptance_point = models.ForeignKey(AcceptancePoint, on_delete=models.PROTECT, related_name="applications")
    # the area of the person's registration when they applied (reviewers' scope), like Registration.area_path
    area_path = BytewiseCharField(max_length=255)
    claimed_basis = models.CharField(_("condition relied on"), max_length=12, choices=Basis.choices,
                                     default=Basis.NONE)
    materials = models.JSONField(_("materials seen"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("submitted"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    due_on = models.DateField(_("to be issued by"), null=True, blank=True)  # moves on while paused
    paused_at = models.DateTimeField(null=True, blank=True)  # information requested since
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_index=False)
    decision_note = models.CharField(_("reason"), max_length=300, blank=True)
    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   db_index=False)
    batch = models.ForeignKey(ProductionBatch, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="applications")
    delivery = models.CharField(_("delivery"), max_length=8, choices=Delivery.choices, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=40, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "area_path"], name="application_queue"),
            models.Index(fields=["acceptance_point", "status"], name="application_point"),
            # the reviewer's queue (selectors.review_queue): the applications waiting for a decision, in deadline
            # order, so that an area's first page is read in order with no sort
            models.Index(fields=["due_on", "id"], name="application_reviewing_due",
                         condition=models.Q(status__in=["accepted", "in_review", "information_requested"])),
        ]
        constraints = [
            # one open application per person
            models.UniqueConstraint(fields=["person"], name="application_one_open", condition=models.Q(
                status__in=["submitted", "accepted", "in_review", "information_requested", "approved",
                            "in_production", "ready"])),
        ]

    def __str__(self) -> str:
        return f"SQ{self.pk:08d}"


class ApplicationStep(models.Model):
    application = models.ForeignKey(PermitApplication, on_delete=models.PROTECT, related_name="steps")
    transition = models.CharField(max_length=24, choices=TransitionChoices.choices)
    source = models.CharField(max_length=24, choices=ApplicationStatus.choices)
    target = models.CharField(max_length=24, choices=ApplicationStatus.choices)
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+",
                              db_index=False)
    at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.application_id} {self.transition}"


class PermitStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    SUSPENDED = "suspended", _("Suspended (not endorsed)")
    DORMANT = "dormant", _("Dormant")
    CANCELLED = "cancelled", _("Cancelled")


class Permit(models.Model):
    number = models.CharField(_("permit number"), max_length=24, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="permits")
    application = models.OneToOneField(PermitApplication, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="permit")
    status = models.CharField(_("status"), max_length=12, choices=PermitStatus.choices, default=PermitStatus.VALID)
    issued_on = models.DateField(_("issued on"))
    # residence years count from this day: the issue date, or the day of a late endorsement (Nat Art. 10)
    anchor_on = models.DateField(_("residence years count from"))
    endorsed_years = models.PositiveSmallIntegerField(_("years endorsed"), default=0)
    endorsement_due_on = models.DateField(_("next endorsement due"))
    issuing_authority = models.CharField(_("issuing authority"), max_length=100)
    acceptance_point = models.ForeignKey(AcceptancePoint, on_delete=models.PROTECT, related_name="permits")
    area_path = BytewiseCharField(max_length=255)  # where the holder lives now (scope)
    residence_address = models.CharField(_("residence address"), max_length=200)
    workplace = models.CharField(_("workplace"), max_length=100, blank=True)
    card_seq = models.PositiveSmallIntegerField(_("card"), default=1)  # a replacement or reissue makes card 2, 3…
    status_changed_at = models.DateTimeField()
    cancel_reason = models.CharField(_("reason for cancellation"), max_length=24, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["status", "endorsement_due_on"], name="permit_status_due"),
            models.Index(fields=["area_path", "status"], name="permit_area_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["person"], name="permit_one_standing",
                                    condition=~models.Q(status="cancelled")),
        ]

    def __str__(self) -> str:
        return self.number


class PermitEvent(models.Model):
    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued")
        ENDORSED = "endorsed", _("Endorsed")
        SUSPENDED = "suspended", _("Suspended")
        RESTORED = "restored", _("Restored by a late endorsement")
        DORMANT = "dormant", _("Became dormant")
        ACTIVATED = "activated", _("Woke up")
        CHANGED = "changed", _("Address or workplace changed")
        REPLACED = "replaced", _("Card replaced")
        REISSUED = "reissued", _("Card reissued")
        CANCELLED = "cancelled", _("Cancelled")

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+",
                              db_index=False)
    data = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.permit_id} {self.kind}"


class PermitNotice(models.Model):
    """What the holder is told about their permit by the daily job (permits.tasks): a reminder that the endorsement
    is due, or that a dormant permit woke up. Shown on the resident's own page, texted to the phone on record and
    e-mailed when their account has an address. At most one of a kind for a permit and a day (`day`: the endorsement
    due date reminded of, or the day it woke), so that the job run twice tells nobody twice."""

    class Kind(models.TextChoices):
        ENDORSEMENT_DUE = "endorsement_due", _("Endorsement due")
        ACTIVATED = "activated", _("Permit woke up")

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="notices", db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    day = models.DateField()
    texted = models.BooleanField(default=False)
    emailed = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["permit", "kind", "day"], name="permit_notice_once")]

    def __str__(self) -> str:
        return f"{self.permit_id} {self.kind} {self.day}"


class PermitCard(models.Model):
    """One card of a permit (`Permit.card_seq`), as its electronic token names it. Its id is the card's index in
    the published status list (two bits each: valid, revoked, suspended, dormant). Made the first time the card's
    token is signed (on the print sheet, or later for a card made before): `iat`, `exp` and the signing key are
    kept, so the card's token can be printed again, byte for byte. A card whose permit has a later card, or was
    cancelled, or was never issued, is revoked; a phone's token carries the current card's index."""

    permit_number = models.CharField(_("permit number"), max_length=24)
    seq = models.PositiveSmallIntegerField(_("card"))
    name_masked = models.CharField(max_length=8)  # as the token carries it
    key_id = models.CharField(max_length=16)  # the permit key that signed the card's token
    issued_at = models.DateTimeField()  # the token's iat
    expires_at = models.DateTimeField()  # the token's exp: as long as the card lasts

    class Meta:
        constraints = [models.UniqueConstraint(fields=["permit_number", "seq"], name="card_once")]

    def __str__(self) -> str:
        return f"{self.permit_number}/{self.seq}"


class StatusList(models.Model):
    """A signed status list as published (IETF OAuth Token Status List, a JWT): the latest row is what
    `/api/v1/permits/status-list` serves; a newer one is signed when it is older than the refresh period."""

    issued_at = models.DateTimeField(db_index=True)
    size = models.PositiveIntegerField()  # entries (the highest card index + 1)
    token = models.TextField()

    def __str__(self) -> str:
        return f"status list of {self.issued_at:%Y-%m-%d %H:%M:%S}"
