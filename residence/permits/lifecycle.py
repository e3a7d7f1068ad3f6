"""A permit's life after issue: endorsement, change, replacement, reissue, cancellation (`permit_<verb>`), and the
scoped reads of permits the pages use.

Every number comes from the rules (`residence_rules`, through `evaluate` or `assessments_run`): when the
endorsement is due and its window opens, whether it is early, in time or late, from when residence years count
after a late one, when a change is late, what a card costs. Each service checks the actor's right and scope, locks
the permit, checks, writes the permit, a `PermitEvent` and an audit event in one transaction; a refusal changes
nothing. A cancelled permit refuses every later action.

Who sees a permit: staff of the area the holder lives in now (`Permit.area_path`, a prefix match like
registrations); the holder. The counter services need `permit.maintain` and, except cancellation, a clerk bound to
an acceptance point that may take the service (`acceptance.point_services` in the rules, narrowed by the point).
A change is also open to the counter of the holder's new place, which sees the person through their new
registration before the permit carries the new area ("换地登记").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import AREA_KINDS, Capability, can
from residence.audit.services import event_record
from residence.core.errors import NotFound, ValidationError
from residence.core.rules import locality
from residence.core.text import clean_text
from residence.eligibility.models import Purpose
from residence.eligibility.services import ELIGIBILITY_OUTPUTS, assessments_run
from residence.people.models import Person
from residence.people.selectors import person_get_for_user
from residence.permits.models import Permit, PermitEvent, PermitNotice, PermitStatus
from residence.permits.selectors import material_words
from residence.permits.services import materials_checked, point_accepts
from residence.places.models import AcceptancePoint, Jurisdiction, Level
from residence.places.selectors import jurisdiction_path_for_user
from residence.registrations.models import Registration
from residence_rules import evaluate

ENDORSEMENT_OUTPUTS = (*ELIGIBILITY_OUTPUTS, "missing_materials", "endorsement_due_date", "endorsement_window_start",
                       "endorsement_timing", "endorsement_allowed", "permit_status", "residence_years_from")


class CancelReason(models.TextChoices):
    HOUSEHOLD_REGISTRATION = "household_registration", gettext_lazy("Local household registration obtained")
    LEFT = "left", gettext_lazy("Left the area of the deployment")
    DEATH = "death", gettext_lazy("Death of the holder")
    FRAUD = "fraud", gettext_lazy("Obtained by fraud")


class ChangeKind(models.TextChoices):
    ADDRESS = "address", gettext_lazy("Residence address")
    WORKPLACE = "workplace", gettext_lazy("Workplace")


# --- the rules, as the permit's life asks them ------------------------------------------------------------
def endorsement_due(anchor_on: dt.date, endorsed_years: int) -> dt.date:
    """The next anniversary the endorsement is due on, counted from `anchor_on` with `endorsed_years` done."""
    result = evaluate(["endorsement_due_date"], [{"permit_anchor_date": anchor_on, "endorsed_years": endorsed_years}],
                      anchor_on, locality())
    return result.value("endorsement_due_date", 0)  # type: ignore[no-any-return]


def endorsement_window_opens(due_on: dt.date) -> dt.date:
    """The first day the endorsement due on `due_on` may be done."""
    result = evaluate(["endorsement_window_start"], {"endorsement_due_date": [due_on]}, due_on, locality(),
                      overrides=("endorsement_due_date",))
    return result.value("endorsement_window_start", 0)  # type: ignore[no-any-return]


def fee_due(service: str, on: dt.date | None = None) -> int:
    """The card fee for a service, in yuan (first issue and endorsement free; replacement and reissue charged)."""
    on = on or timezone.localdate()
    return int(evaluate(["fee_yuan"], [{"service": service}], on, locality()).value("fee_yuan", 0))


def _change_lateness(change_date: dt.date, reported: dt.date) -> tuple[dt.date, bool]:
    result = evaluate(["change_due_date", "change_late"],
                      [{"change_date": change_date, "change_reported_date": reported}], reported, locality())
    return result.value("change_due_date", 0), bool(result.value("change_late", 0))


# --- reads (scoped) ----------------------------------------------------------------------------------------------
def _visible(user: User) -> QuerySet[Permit]:
    every = Permit.objects.select_related("person", "acceptance_point")
    if getattr(user, "kind", None) in AREA_KINDS:
        path = jurisdiction_path_for_user(user)
        return every.filter(area_path__startswith=path) if path else every.none()
    if can(user, Capability.RECORD_OWN) and user.person_id is not None:
        return every.filter(person_id=user.person_id)
    return every.none()


def permit_get_for_user(*, user: User, permit_id: int) -> Permit:
    """A permit the user may see; anyone else: "not found"."""
    if not 1 <= permit_id <= 2**62:
        raise NotFound(_("No such permit."))
    permit = _visible(user).filter(pk=permit_id).first()
    if permit is None:
        raise NotFound(_("No such permit."))
    return permit


def permit_of_person(*, user: User, person: Person) -> Permit | None:
    """The person's permit as the user may see it: the standing one, else the latest cancelled; None if none."""
    return (_visible(user).filter(person_id=person.pk)
            .order_by(models.Case(models.When(status=PermitStatus.CANCELLED, then=1), default=0), "-created_at",
                      "-pk").first())


def permit_events(*, permit: Permit) -> list[PermitEvent]:
    return list(permit.events.select_related("actor").order_by("-at", "-pk"))


def permit_notices(*, permit: Permit, limit: int = 10) -> list[PermitNotice]:
    return list(permit.notices.order_by("-day", "-pk")[:limit])


@dataclass(frozen=True)
class Endorsement:
    """Where a permit stands with its endorsement today, in the rules' words."""

    due_on: dt.date
    opens_on: dt.date
    open_now: bool
    overdue: bool


def endorsement_of(permit: Permit, today: dt.date | None = None) -> Endorsement | None:
    if permit.status == PermitStatus.CANCELLED:
        return None
    today = today or timezone.localdate()
    opens = endorsement_window_opens(permit.endorsement_due_on)
    return Endorsement(due_on=permit.endorsement_due_on, opens_on=opens,
                       open_now=opens <= today <= permit.endorsement_due_on,
                       overdue=today > permit.endorsement_due_on)


def permit_for_counter(*, user: User, permit_id: int) -> Permit:
    """The permit a clerk acts on: one of their area, or one whose holder they see through a registration in their
    area (the holder moved here and the change is still to be recorded); anyone else: "not found"."""
    if not can(user, Capability.PERMIT_MAINTAIN) or not 1 <= permit_id <= 2**62:
        raise NotFound(_("No such permit."))
    permit = _visible(user).filter(pk=permit_id).first() or Permit.objects.select_related("person").filter(
        pk=permit_id).first()
    if permit is None:
        raise NotFound(_("No such permit."))
    if not permit.area_path.startswith(jurisdiction_path_for_user(user) or "\x00"):
        person_get_for_user(user=user, person_id=permit.person_id)  # NotFound when out of scope
    return permit


def permit_held_elsewhere(*, user: User, person: Person) -> Permit | None:
    """For a clerk: the standing permit of a person they see (through a registration in their area) that is recorded
    at another place, so that they can record the move ("换地登记"). None for anyone else."""
    if not can(user, Capability.PERMIT_MAINTAIN):
        return None
    return (Permit.objects.select_related("person").filter(person_id=person.pk)
            .exclude(status=PermitStatus.CANCELLED).first())


def permit_number_masked(number: str) -> str:
    """The permit number as screens show it: the first six and last four characters."""
    return number[:6] + "*" * max(len(number) - 10, 0) + number[-4:] if len(number) > 10 else number


@dataclass(frozen=True)
class LapsedRow:
    code: str
    name: str
    suspended: int
    overdue: int

    @property
    def total(self) -> int:
        return self.suspended + self.overdue


@dataclass(frozen=True)
class LapsedReport:
    area: Jurisdiction | None
    rows: list[LapsedRow]
    last_due: dt.date | None  # permits due on or before this day and not endorsed are overdue

    @property
    def suspended(self) -> int:
        return sum(r.suspended for r in self.rows)

    @property
    def overdue(self) -> int:
        return sum(r.overdue for r in self.rows)

    @property
    def most(self) -> int:
        return max((r.total for r in self.rows), default=0)


def lapsed_report(*, user: User, today: dt.date | None = None) -> LapsedReport:
    """The lapsed permits of the user's area (HB), per district or street below it: suspended, and past their due
    date without an endorsement (the daily job will suspend them).

    Fast at a million permits: the suspended are counted per area path with the area's paths listed, so that each is
    one tight range of the (area_path, status) index, read without the table; the overdue not yet suspended (those
    due since the job's last run: few) through the (status, due date) index. The counts per grid are rolled up to
    the areas just below the user's in Python."""
    from residence.permits.tasks import last_due_suspended

    if not can(user, Capability.PERMIT_LAPSED):
        raise NotFound(_("No such page."))
    path = jurisdiction_path_for_user(user)
    own = Jurisdiction.objects.filter(path=path).first() if path else None
    if own is None:
        return LapsedReport(area=None, rows=[], last_due=None)
    today = today or timezone.localdate()
    last = last_due_suspended(today)
    children = {j.code: j for j in Jurisdiction.objects.filter(parent=own).order_by("code")}
    counts: dict[str, list[int]] = {code: [0, 0] for code in children} if children else {own.code: [0, 0]}
    paths = list(Jurisdiction.objects.filter(path__startswith=own.path).values_list("path", flat=True))
    queries = [(0, Permit.objects.filter(area_path__in=paths, status=PermitStatus.SUSPENDED))]
    if last is not None:
        queries.append((1, Permit.objects.filter(status__in=[PermitStatus.VALID, PermitStatus.DORMANT],
                                                 endorsement_due_on__lte=last, area_path__startswith=own.path)))
    for column, query in queries:
        for area_path, n in query.values_list("area_path").annotate(n=models.Count("*")).order_by():
            code = area_path[len(own.path):].split("/", 1)[0] if children else own.code
            if code in counts:
                counts[code][column] += n
    names = {code: j.name for code, j in children.items()} if children else {own.code: own.name}
    rows = [LapsedRow(code=code, name=names[code], suspended=s, overdue=o) for code, (s, o) in counts.items()]
    rows.sort(key=lambda r: (-r.total, r.code))
    return LapsedReport(area=own, rows=rows, last_due=last)


# --- the counter ----------------------------------------------------------------------------------------------
def _counter(actor: User, permit_id: int, service: str | None, *, new_place: bool = False
             ) -> tuple[Permit, AcceptancePoint | None]:
    """The permit, locked, for a counter service: the actor's right, scope, point, and a permit not cancelled.
    Call inside a transaction."""
    if not can(actor, Capability.PERMIT_MAINTAIN) or not 1 <= permit_id <= 2**62:
        raise NotFound(_("No such permit."))
    found = _visible(actor).filter(pk=permit_id).select_for_update(of=("self",)).first()
    if found is None and new_place:  # the counter of the holder's new place sees them by their new registration
        found = Permit.objects.select_related("person", "acceptance_point").select_for_update(of=("self",)) \
            .filter(pk=permit_id).first()
        if found is not None:
            person_get_for_user(user=actor, person_id=found.person_id)  # NotFound when out of scope
    if found is None:
        raise NotFound(_("No such permit."))
    point = None
    if service is not None:
        point = AcceptancePoint.objects.filter(code=actor.acceptance_point_code).first() \
            if actor.acceptance_point_code else None
        if point is None:
            raise ValidationError(_("Only a clerk at an acceptance point does this: your account is bound to none."),
                                  code="point", field="point")
        if not point_accepts(point, service):
            raise ValidationError(_("%(point)s does not take this service; the holder goes to a police station or "
                                    "another point that does.") % {"point": point.name}, code="point",
                                  field="point")
    if found.status == PermitStatus.CANCELLED:
        raise ValidationError(_("This permit was cancelled on %(day)s: nothing more can be done with it.") % {
            "day": timezone.localtime(found.status_changed_at).date().isoformat()}, code="cancelled",
            field="status")
    return found, point


def _write(permit: Permit, actor: User, kind: str, action: str, data: dict[str, Any], **changes: Any) -> PermitEvent:
    now = timezone.now()
    if "status" in changes and changes["status"] != permit.status:
        changes["status_changed_at"] = now
    if changes:
        Permit.objects.filter(pk=permit.pk).update(**changes)
        for field, value in changes.items():
            setattr(permit, field, value)
    event = PermitEvent.objects.create(permit=permit, kind=kind, at=now, actor=actor, data=data)
    event_record(actor=actor, action=action, subject_type="person", subject_id=permit.person_id,
                 data={"permit": permit.number, **{k: v for k, v in data.items() if k in _AUDITED}})
    return event


_AUDITED = {"timing", "late", "kind", "fee_yuan", "receipt", "reason", "card", "moved_county", "due"}


def _reason_words(reason: Any) -> str:
    if isinstance(reason, dict):  # the rules' words in both languages
        key = "en" if (get_language() or "").startswith("en") else "zh"
        return str(reason.get(key) or reason.get("zh") or "")
    return str(reason or "")


def permit_endorse(*, actor: User, permit_id: int, materials: Iterable[str]) -> Permit:
    """Endorse the permit for another year (签注), free of charge: not before the window the rules open before the
    anniversary, the holder still eligible by a fresh assessment (kept with its trace), every material seen. A
    late endorsement restores a suspended permit and residence years count again from today (`anchor_on`).
    Refused, with every reason at once: too early, not eligible, materials missing; a cancelled permit."""
    seen = materials_checked(materials)
    with transaction.atomic():
        permit, point = _counter(actor, permit_id, "endorsement")
        today = timezone.localdate()
        extra = {permit.person_id: {"permit_anchor_date": permit.anchor_on, "endorsed_years": permit.endorsed_years,
                                    "endorsement_date": today, "materials": seen}}
        assessment = assessments_run(person_ids=[permit.person_id], as_of=today, purpose=Purpose.ENDORSEMENT,
                                     actor=actor, extra=extra, outputs=ENDORSEMENT_OUTPUTS, trace=True)[0]
        out = assessment.outputs
        problems: list[tuple[str, str]] = []
        if out["endorsement_timing"] == "early":
            problems.append(("early", _("it is too early: the endorsement due on %(due)s can be done from %(opens)s")
                             % {"due": out["endorsement_due_date"], "opens": out["endorsement_window_start"]}))
        if not assessment.eligible:
            why = _reason_words(out.get("blocking_reason"))
            problems.append(("not_eligible", _("the rules no longer find the holder eligible") +
                             (f" ({why})" if why else "")))
        if out["missing_materials"]:
            problems.append(("missing_materials", _("materials missing: %(list)s") % {
                "list": "、".join(material_words(out["missing_materials"]))}))
        if problems or not out["endorsement_allowed"]:
            raise ValidationError(_("Not endorsed: %(problems)s.") % {"problems": "; ".join(p for _c, p in problems)},
                                  code=problems[0][0] if problems else "not_allowed", field="materials")
        late = out["endorsement_timing"] == "late"
        anchor = dt.date.fromisoformat(out["residence_years_from"])
        years = 0 if anchor != permit.anchor_on else permit.endorsed_years + 1
        due = endorsement_due(anchor, years)
        data = {"assessment": assessment.pk, "timing": out["endorsement_timing"], "from": permit.status,
                "anchor_before": permit.anchor_on.isoformat(), "anchor": anchor.isoformat(),
                "due_before": permit.endorsement_due_on.isoformat(), "due": due.isoformat(),
                "point": point.code if point else "", "fee_yuan": fee_due("endorsement", today),
                "materials": seen}
        _write(permit, actor, PermitEvent.Kind.RESTORED if late else PermitEvent.Kind.ENDORSED,
               "permit.restored" if late else "permit.endorsed", data, status=PermitStatus.VALID, anchor_on=anchor,
               endorsed_years=years, endorsement_due_on=due)
    return permit


def _address(registration: Registration) -> str:
    b = registration.unit.building
    return f"{b.road}{b.door_plate}{b.name} {registration.unit.label}"


def _county(area_path: str) -> str:
    """The district (county) code among the area path's jurisdictions."""
    codes = [c for c in area_path.strip("/").split("/") if c]
    found = Jurisdiction.objects.filter(code__in=codes, level=Level.DISTRICT).values_list("code", flat=True).first()
    return found or (codes[1] if len(codes) > 1 else "")


def permit_change(*, actor: User, permit_id: int, kind: str, change_date: dt.date, workplace: str = "") -> Permit:
    """Record a change of residence address (from the holder's registration in force, which is recorded first) or of
    workplace; late when reported after the rules' days (the lateness is recorded, not refused). A move to another
    county of the deployment keeps the permit valid: it carries the new registration's area, so the next
    endorsement is done at the new place. Refused: a cancelled permit, a date in the future or before the issue,
    nothing changed, no registration in force."""
    if kind not in ChangeKind.values:
        raise ValidationError(_("Say what changed: the residence address or the workplace."), code="kind",
                              field="kind")
    workplace = clean_text(workplace, "workplace", length=100)
    today = timezone.localdate()
    if change_date > today:
        raise ValidationError(_("The change cannot be dated in the future."), code="future", field="change_date")
    with transaction.atomic():
        permit, point = _counter(actor, permit_id, "change", new_place=True)
        if change_date < permit.issued_on:
            raise ValidationError(_("The change cannot be dated before the permit was issued (%(day)s).") % {
                "day": permit.issued_on.isoformat()}, code="before_issue", field="change_date")
        changes: dict[str, Any]
        if kind == ChangeKind.ADDRESS:
            registration = (Registration.objects.current().filter(person_id=permit.person_id)
                            .select_related("unit__building").order_by("-started_on", "-pk").first())
            if registration is None:
                raise ValidationError(_("The holder has no registration in force: register the new residence "
                                        "first."), code="not_registered", field="kind")
            address = _address(registration)
            if address == permit.residence_address and registration.area_path == permit.area_path:
                raise ValidationError(_("The registration in force is the address the permit already carries: "
                                        "register the new residence first."), code="unchanged", field="kind")
            before, after = permit.residence_address, address
            changes = {"residence_address": address, "area_path": registration.area_path}
            county_before, county_after = _county(permit.area_path), _county(registration.area_path)
        else:
            if not workplace:
                raise ValidationError(_("Name the new workplace."), code="workplace", field="workplace")
            if workplace == permit.workplace:
                raise ValidationError(_("This is the workplace the permit already carries."), code="unchanged",
                                      field="workplace")
            before, after = permit.workplace, workplace
            changes = {"workplace": workplace}
            county_before = county_after = ""
        due, late = _change_lateness(change_date, today)
        data = {"kind": kind, "before": before, "after": after, "change_date": change_date.isoformat(),
                "due": due.isoformat(), "late": late, "moved_county": county_before != county_after,
                "county_before": county_before, "county_after": county_after,
                "point": point.code if point else ""}
        _write(permit, actor, PermitEvent.Kind.CHANGED, "permit.changed", data, **changes)
    return permit


def _card(actor: User, permit_id: int, service: str, kind: str, action: str, old_card: str) -> PermitEvent:
    with transaction.atomic():
        permit, point = _counter(actor, permit_id, service)
        today = timezone.localdate()
        card = permit.card_seq + 1
        receipt = f"{'HL' if service == 'replacement' else 'BL'}{today:%Y%m%d}{permit.pk:08d}{card:02d}"
        data = {"card_before": permit.card_seq, "card": card, "fee_yuan": fee_due(service, today),
                "receipt": receipt, "old_card": old_card, "point": point.code if point else ""}
        return _write(permit, actor, kind, action, data, card_seq=card)


def permit_replace(*, actor: User, permit_id: int, old_card_returned: bool) -> PermitEvent:
    """A new card for a damaged one (换领): the old card is handed back; the card fee is due (the rules), with a
    receipt number. Refused without the old card, and for a cancelled permit."""
    if not old_card_returned:
        raise ValidationError(_("A damaged card is replaced only when it is handed back; for a lost card, reissue."),
                              code="old_card", field="old_card_returned")
    return _card(actor, permit_id, "replacement", PermitEvent.Kind.REPLACED, "permit.card.replaced", "returned")


def permit_reissue(*, actor: User, permit_id: int) -> PermitEvent:
    """A new card for a lost one (补领): the old card is invalid at once (the card number goes up); the card fee is
    due, with a receipt number. Refused for a cancelled permit."""
    return _card(actor, permit_id, "reissue", PermitEvent.Kind.REISSUED, "permit.card.reissued", "invalid")


def permit_cancel(*, actor: User, permit_id: int, reason: str, note: str = "") -> Permit:
    """Cancel the permit for a reason (local household registration, left, death, fraud): it refuses every later
    action. Refused: no reason, a permit already cancelled."""
    if reason not in CancelReason.values:
        raise ValidationError(_("Choose the reason for the cancellation."), code="reason", field="reason")
    note = clean_text(note, "note", length=200)
    with transaction.atomic():
        permit, _point = _counter(actor, permit_id, None)
        _write(permit, actor, PermitEvent.Kind.CANCELLED, "permit.cancelled",
               {"reason": reason, "note": note, "from": permit.status}, status=PermitStatus.CANCELLED,
               cancel_reason=reason)
    return permit
