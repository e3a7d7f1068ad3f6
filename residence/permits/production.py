"""Production and issue of residence permit cards: batches for the card centre (制证中心), the once-only reveal of a
batch's full ID numbers, cards ready at their acceptance points, and the issue at the counter or by mail.

    approved ──batch_create──▶ in production ──batch_ready──▶ ready ──permit_issue──▶ issued (a Permit)

Each write goes through the workflow (`services.application_move`: a conditional update, a step, an audit event per
application) and records its own audit event in the same transaction.

**Permit number** (居住证编号), 19 digits: the county code of the area the application was made in (6), the year the
card was made (4, the batch's year), the application's number (8, zero-padded; more digits past 99,999,999) and a
Luhn check digit (1), e.g. 440308 2026 00001234 7 → "4403082026000012347". Unique (the application's number is,
and one application makes at most one permit), known when the card is made, so the card centre prints it (and its QR
code) before the card is issued, and stable: the county and year are those printed on the card. Nineteen digits,
never eighteen, so it is never taken for an ID number.
A replaced or reissued card keeps the number (`Permit.card_seq` counts the cards).

**Receipt number** (a counter issue): "R", the issue date (8), the application's number (8): one receipt per
issue, e.g. "R2026031500001234".

**Full ID numbers** leave the database for a batch once: `batch_reveal` answers the manifest with the full numbers
(the card centre's file) and marks the batch revealed; a second reveal is refused. Every other download of the
manifest or the print sheet shows them masked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.audit.services import event_record
from residence.core.errors import NotFound, ValidationError
from residence.core.rules import locality
from residence.core.text import clean_text
from residence.people.identity import redact_numbers, reveal_id_number
from residence.permits.models import Delivery, Permit, PermitApplication, PermitEvent, ProductionBatch
from residence.permits.selectors import application_get_for_user, applications_visible
from residence.permits.services import application_move
from residence.permits.workflow import Status, Transition
from residence.places.models import AcceptancePoint
from residence.registrations.models import Registration
from residence_rules import evaluate

BATCH_MAX = 500  # cards in one batch: one print run of the card centre
BATCHES_SHOWN = 50


# --- numbers ------------------------------------------------------------------------------------------------
def luhn_digit(digits: str) -> str:
    """The Luhn check digit of `digits` (catches any single wrong digit and most swaps of neighbours)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # the rightmost digit of the payload is doubled (the check digit will stand right of it)
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def permit_number(*, county_code: str, year: int, application_id: int) -> str:
    """See the module's docstring."""
    body = f"{county_code[:6]:0>6}{year:04d}{application_id:08d}"
    return body + luhn_digit(body)


def permit_number_valid(number: str) -> bool:
    return number.isdigit() and len(number) >= 19 and luhn_digit(number[:-1]) == number[-1]


def receipt_number(*, issued_on: dt.date, application_id: int) -> str:
    return f"R{issued_on:%Y%m%d}{application_id:08d}"


def county_of(area_path: str) -> str:
    """The county (district) code of a materialised path: the component below the city."""
    parts = [p for p in area_path.split("/") if p]
    return parts[1] if len(parts) > 1 else (parts[0] if parts else "000000")


def application_permit_number(application: PermitApplication, batch: ProductionBatch) -> str:
    made = timezone.localtime(batch.created_at).year
    return permit_number(county_code=county_of(application.area_path), year=made, application_id=application.pk)


# --- what a card says ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Card:
    """One card as the card centre makes it (Nat Art. 4), with where it goes to be collected."""

    application_id: int
    person_id: int
    number: str
    name: str
    sex: str
    ethnicity: str
    birth_date: dt.date
    id_number: str  # masked, unless the batch's reveal answered it
    hukou_address: str
    residence_address: str
    issuing_authority: str
    point_code: str
    point_name: str
    status: str
    has_photo: bool


def issuing_authority(point: AcceptancePoint) -> str:
    """The police station that issues the cards of `point`: the point itself when it is one, else the police
    station of the nearest area above it (its street's, then its district's)."""
    if point.kind == "police_station":
        return point.name
    path = point.jurisdiction.path
    parts = [p for p in path.split("/") if p]
    prefixes = ["/" + "/".join(parts[:i]) + "/" for i in range(len(parts), 1, -1)]
    stations = list(AcceptancePoint.objects.filter(
        kind="police_station", jurisdiction__path__startswith=prefixes[-1] if prefixes else path)
        .select_related("jurisdiction").order_by("code"))
    for prefix in prefixes:  # the nearest first: the same area, its parent …, then any station of the district
        for s in stations:
            if s.jurisdiction.path == prefix:
                return s.name
    return stations[0].name if stations else point.name


def _residences(person_ids: Iterable[int]) -> dict[int, Registration]:
    """Each person's current registration (the latest started), with its unit."""
    found: dict[int, Registration] = {}
    for r in (Registration.objects.current().filter(person_id__in=list(person_ids))
              .select_related("unit__building").order_by("person_id", "-started_on", "-pk")):
        found.setdefault(r.person_id, r)
    return found


def _cards(applications: list[PermitApplication], batch: ProductionBatch) -> list[Card]:
    residences = _residences(a.person_id for a in applications)
    authorities: dict[int, str] = {}
    cards = []
    for a in applications:
        p = a.person
        reg = residences.get(a.person_id)
        point = a.acceptance_point
        if point.pk not in authorities:
            authorities[point.pk] = issuing_authority(point)
        cards.append(Card(
            application_id=a.pk, person_id=p.pk, number=application_permit_number(a, batch), name=p.name,
            sex=p.get_sex_display(), ethnicity=p.get_ethnicity_display(), birth_date=p.birth_date,
            id_number=p.id_number_masked, hukou_address=p.hukou_address,
            residence_address=str(reg.unit) if reg is not None else "", issuing_authority=authorities[point.pk],
            point_code=point.code, point_name=point.name, status=a.get_status_display(), has_photo=bool(p.photo)))
    return cards


def _batch_applications(batch: ProductionBatch) -> list[PermitApplication]:
    return list(batch.applications.select_related("person", "acceptance_point__jurisdiction")
                .order_by("acceptance_point__code", "pk"))


# --- reads -------------------------------------------------------------------------------------------------
def production_queue(*, user: User, limit: int = BATCH_MAX) -> list[PermitApplication]:
    """Approved applications of the production centre's area waiting for a batch, the longest decided first. The
    listing is a recorded read."""
    if not can(user, Capability.PERMIT_PRODUCE):
        return []
    rows = list(applications_visible(user).filter(status=Status.APPROVED).order_by("decided_at", "pk")[:limit])
    event_record(actor=user, action="permit.production.listed", data={"results": len(rows)})
    return rows


@dataclass(frozen=True)
class BatchRow:
    batch: ProductionBatch
    cards: int
    in_production: int
    ready: int
    issued: int


def batches_for_user(*, user: User, limit: int = BATCHES_SHOWN) -> list[BatchRow]:
    """The batches of the production centre's area, newest first, with how many of their cards are where."""
    if not can(user, Capability.PERMIT_PRODUCE):
        return []
    visible = applications_visible(user).exclude(batch__isnull=True)
    counts = (visible.values("batch_id").annotate(
        cards=Count("pk"), in_production=Count("pk", filter=Q(status=Status.IN_PRODUCTION)),
        ready=Count("pk", filter=Q(status=Status.READY)), issued=Count("pk", filter=Q(status=Status.ISSUED)))
              .order_by("-batch_id")[:limit])
    rows = {c["batch_id"]: c for c in counts}
    batches = ProductionBatch.objects.in_bulk(list(rows))
    return [BatchRow(batches[b], rows[b]["cards"], rows[b]["in_production"], rows[b]["ready"], rows[b]["issued"])
            for b in rows]


def batch_get_for_user(*, user: User, batch_id: int, lock: bool = False) -> ProductionBatch:
    """A batch whose cards are of the production centre's area; any other: "not found"."""
    if not can(user, Capability.PERMIT_PRODUCE) or not 1 <= batch_id <= 2**62:
        raise NotFound(_("No such batch."))
    if not applications_visible(user).filter(batch_id=batch_id).exists():
        raise NotFound(_("No such batch."))
    found = ProductionBatch.objects.filter(pk=batch_id)
    if lock:
        found = found.select_for_update()
    batch = found.first()
    if batch is None:
        raise NotFound(_("No such batch."))
    return batch


def batch_cards(*, user: User, batch_id: int, file: str) -> tuple[ProductionBatch, list[Card]]:
    """The cards of a batch (ID numbers masked) for a file the production centre downloads: a recorded read."""
    batch = batch_get_for_user(user=user, batch_id=batch_id)
    cards = _cards(_batch_applications(batch), batch)
    event_record(actor=user, action="permit.batch.downloaded", subject_type="production_batch",
                 subject_id=str(batch), data={"file": file, "count": len(cards)})
    return batch, cards


# --- writes ------------------------------------------------------------------------------------------------
def batch_create(*, actor: User, application_ids: Iterable[int] | None = None) -> ProductionBatch:
    """A production batch of approved applications of the actor's area: the ones named, or (None) every approved
    one, the longest decided first, up to BATCH_MAX. Each moves to "in production". Refused, changing nothing: an
    application not approved (named), one outside the area ("not found"), nothing to batch, too many."""
    if not can(actor, Capability.PERMIT_PRODUCE):
        raise NotFound(_("No such application."))
    with transaction.atomic():
        visible = applications_visible(actor)
        if application_ids is None:
            ids = list(visible.filter(status=Status.APPROVED).order_by("decided_at", "pk")
                       .values_list("pk", flat=True)[:BATCH_MAX])
        else:
            ids = sorted({int(i) for i in application_ids})
            if len(ids) > BATCH_MAX:
                raise ValidationError(_("At most %(n)d cards go in one batch.") % {"n": BATCH_MAX},
                                      code="too_many", field="applications")
        if not ids:
            raise ValidationError(_("There is no approved application to put in a batch."), code="empty",
                                  field="applications")
        applications = list(visible.filter(pk__in=ids).select_for_update(of=("self",)).order_by("pk"))
        if len(applications) != len(ids):
            raise NotFound(_("No such application."))
        wrong = [a for a in applications if a.status != Status.APPROVED]
        if wrong:
            raise ValidationError(_("Only approved applications go into production; not: %(list)s.") % {
                "list": "、".join(f"{a} ({a.get_status_display()})" for a in wrong)}, code="transition",
                field="applications")
        batch = ProductionBatch.objects.create(created_at=timezone.now(), created_by=actor)
        for a in applications:
            application_move(a, Transition.PRODUCE, actor=actor, note=str(batch), batch=batch)
        event_record(actor=actor, action="permit.batch.created", subject_type="production_batch",
                     subject_id=str(batch), data={"count": len(applications)})
    return batch


def batch_reveal(*, actor: User, batch_id: int, purpose: str) -> tuple[ProductionBatch, list[Card]]:
    """The full ID numbers of the batch's cards, once, for the card centre (logged as a reveal naming the batch and
    how many). A second reveal is refused."""
    purpose = redact_numbers(clean_text(purpose, "purpose", length=200))
    if not purpose:
        raise ValidationError(_("State the purpose of revealing the full numbers."), code="purpose", field="purpose")
    with transaction.atomic():
        batch = batch_get_for_user(user=actor, batch_id=batch_id, lock=True)
        if batch.revealed_at is not None:
            raise ValidationError(_("The full ID numbers of this batch were revealed on %(at)s; they are revealed "
                                    "only once.") % {"at": f"{timezone.localtime(batch.revealed_at):%Y-%m-%d %H:%M}"},
                                  code="revealed", field="purpose")
        now = timezone.now()
        if not ProductionBatch.objects.filter(pk=batch.pk, revealed_at__isnull=True).update(revealed_at=now):
            raise ValidationError(_("The full ID numbers of this batch were just revealed; they are revealed only "
                                    "once."), code="revealed", field="purpose")
        batch.revealed_at = now
        applications = _batch_applications(batch)
        full = {a.person_id: reveal_id_number(a.person.id_number_enc) for a in applications}
        cards = [replace(c, id_number=full[c.person_id]) for c in _cards(applications, batch)]
        event_record(actor=actor, action="permit.batch.revealed", subject_type="production_batch",
                     subject_id=str(batch), data={"count": len(cards), "purpose": purpose})
    return batch, cards


def batch_ready(*, actor: User, batch_id: int) -> ProductionBatch:
    """The batch's cards are made: each moves to "ready" at its acceptance point. Refused when none is in
    production any more (the batch was marked ready already)."""
    with transaction.atomic():
        batch = batch_get_for_user(user=actor, batch_id=batch_id, lock=True)
        applications = list(batch.applications.filter(status=Status.IN_PRODUCTION)
                            .select_for_update(of=("self",)).order_by("pk"))
        if batch.ready_at is not None or not applications:
            raise ValidationError(_("The cards of this batch are ready already."), code="transition",
                                  field="status")
        now = timezone.now()
        for a in applications:
            application_move(a, Transition.MAKE_READY, actor=actor, note=str(batch))
        ProductionBatch.objects.filter(pk=batch.pk).update(ready_at=now)
        batch.ready_at = now
        event_record(actor=actor, action="permit.batch.ready", subject_type="production_batch",
                     subject_id=str(batch), data={"count": len(applications)})
    return batch


def _issuable(actor: User, application_id: int, *, lock: bool = False) -> PermitApplication:
    """A ready application at the clerk's own acceptance point (another point's, or another area's: not found)."""
    if not can(actor, Capability.APPLICATION_ACCEPT):
        raise NotFound(_("No such application."))
    application = application_get_for_user(user=actor, application_id=application_id, lock=lock)
    if actor.acceptance_point_code and application.acceptance_point.code != actor.acceptance_point_code:
        raise NotFound(_("No such application."))
    return application


def issue_page(*, user: User, application_id: int) -> tuple[PermitApplication, Card | None, Permit | None]:
    """The clerk's issue page: the application, the card as made (masked) and, once issued, the permit. The read of
    the person is recorded."""
    application = _issuable(user, application_id)
    card = _cards([application], application.batch)[0] if application.batch is not None else None
    permit = Permit.objects.filter(application=application).first()
    event_record(actor=user, action="person.record.viewed", subject_type="person", subject_id=application.person_id,
                 data={"purpose": "permit.issue", "application": application.pk})
    return application, card, permit


def issue_timing(*, due_on: dt.date | None, issued_on: dt.date) -> tuple[str, bool]:
    """The rules' issue status (on time / late) and whether it is late, against the application's deadline (moved
    on by any pause)."""
    if due_on is None:
        return "on_time", False
    result = evaluate(["issue_status", "issue_late"], [{"issued_date": issued_on, "issue_due_date": due_on}],
                      issued_on, locality(), overrides=["issue_due_date"])
    return str(result.value("issue_status", 0)), bool(result.value("issue_late", 0))


def endorsement_due(anchor_on: dt.date) -> dt.date:
    due = evaluate(["endorsement_due_date"], [{"permit_anchor_date": anchor_on, "endorsed_years": 0}], anchor_on,
                   locality())
    return due.value("endorsement_due_date", 0)  # type: ignore[no-any-return]


def permit_issue(*, actor: User, application_id: int, delivery: str, tracking_number: str = "") -> Permit:
    """The clerk at the application's acceptance point hands the ready card over (a receipt number) or mails it (a
    tracking number): the application is issued and the `Permit` made (Nat Art. 4), with its first endorsement
    due by the rules, and whether the issue came late against the application's deadline recorded."""
    if delivery not in Delivery.values:
        raise ValidationError(_("Choose how the card is delivered."), code="delivery", field="delivery")
    tracking_number = clean_text(tracking_number, "tracking_number", length=40)
    if delivery == Delivery.MAIL and not tracking_number:
        raise ValidationError(_("A mailed card needs the tracking number."), code="tracking_number",
                              field="tracking_number")
    if delivery == Delivery.COUNTER:
        tracking_number = ""
    with transaction.atomic():
        application = _issuable(actor, application_id, lock=True)
        if application.status != Status.READY or application.batch is None:
            raise ValidationError(_("Only a card that is ready is issued; this application is %(status)s.") % {
                "status": application.get_status_display()}, code="transition", field="status")
        residence = _residences([application.person_id]).get(application.person_id)
        if residence is None:
            raise ValidationError(_("There is no registration in force for this person: the permit needs a "
                                    "residence address. Register the residence first."), code="not_registered",
                                  field="person")
        today = timezone.localdate()
        now = timezone.now()
        status, late = issue_timing(due_on=application.due_on, issued_on=today)
        receipt = receipt_number(issued_on=today, application_id=application.pk) \
            if delivery == Delivery.COUNTER else ""
        number = application_permit_number(application, application.batch)
        point = application.acceptance_point
        application_move(application, Transition.ISSUE, actor=actor, note=receipt or tracking_number,
                         delivery=delivery, tracking_number=tracking_number, receipt_number=receipt)
        permit = Permit.objects.create(
            number=number, person_id=application.person_id, application=application, issued_on=today,
            anchor_on=today, endorsement_due_on=endorsement_due(today),
            issuing_authority=issuing_authority(point), acceptance_point=point, area_path=residence.area_path,
            residence_address=str(residence.unit), status_changed_at=now, created_at=now)
        PermitEvent.objects.create(permit=permit, kind=PermitEvent.Kind.ISSUED, at=now, actor=actor, data={
            "delivery": delivery, "receipt_number": receipt, "tracking_number": tracking_number,
            "issue_status": status, "issue_late": late,
            "due_on": application.due_on.isoformat() if application.due_on else None})
        event_record(actor=actor, action="permit.card.issued", subject_type="person",
                     subject_id=application.person_id, data={
                         "permit": number, "delivery": delivery, "issue_status": status,
                         "receipt_number": receipt, "tracking_number": tracking_number})
    return permit


def receipt_view(*, user: User, application_id: int) -> tuple[PermitApplication, Permit]:
    """The issue receipt of an issued application at the clerk's point (a recorded read)."""
    application = _issuable(user, application_id)
    permit = Permit.objects.filter(application=application).first()
    if permit is None:
        raise NotFound(_("No such permit."))
    event_record(actor=user, action="person.record.viewed", subject_type="person", subject_id=application.person_id,
                 data={"purpose": "permit.receipt", "application": application.pk})
    return application, permit
