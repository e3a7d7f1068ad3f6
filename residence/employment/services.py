"""Evidence a clerk has seen, and employers' reports of hires and separations (`evidence_<verb>`,
`employment_<verb>`).

Each service checks the actor's right and scope, the values, then writes and records its audit event in one
transaction; a refusal changes nothing. An employer's report is due within the locality's days (the rules'
`employment_report_due`, YT: 3 days); one entered after that is flagged late (`employment_report_late`). A hire
names the worker by ID number: a person not on record is created, as a declaration of arrival does; one on record
gets the name and phone the report gives updated, with their history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.audit.services import event_record
from residence.core.errors import NotFound, ValidationError
from residence.core.rules import locality
from residence.core.text import clean_text
from residence.employment.models import Employment, Evidence, EvidenceKind, SchoolLevel
from residence.people.identity import clean_name, protect
from residence.people.models import Person
from residence.people.selectors import person_get_for_user
from residence.people.services import PersonItems, person_build, person_items_update
from residence.places.models import Obligor, ObligorKind
from residence_rules import evaluate

HIRE, SEPARATION = "hire", "separation"
_HOUSING = {EvidenceKind.LEASE, EvidenceKind.HOME_OWNERSHIP, EvidenceKind.EMPLOYER_DORMITORY}


# --- evidence ----------------------------------------------------------------------------------------------
def evidence_record(*, actor: User, person_id: int, kind: str, started_on: dt.date, document: str,
                    ended_on: dt.date | None = None, safety_compliant: bool = False, school_level: str = "",
                    full_time: bool = False) -> Evidence:
    """A clerk (or administrator) enters a piece of evidence seen for a person of their area: its kind, the dates it
    covers (open-ended when it has no end), the document seen. Refused: a kind the system does not know, a record
    starting in the future, one ending before it starts, a school enrolment without its level, no document."""
    if not can(actor, Capability.EVIDENCE_RECORD):
        raise NotFound(_("No such person."))
    person = person_get_for_user(user=actor, person_id=person_id)
    if kind not in EvidenceKind.values:
        raise ValidationError(_("Choose the kind of evidence."), code="kind", field="kind")
    today = timezone.localdate()
    if started_on > today:
        raise ValidationError(_("The evidence starts in the future: record it once it is in force."),
                              code="future", field="started_on")
    if ended_on is not None and ended_on < started_on:
        raise ValidationError(_("The evidence ends before it starts."), code="ended_before_started",
                              field="ended_on")
    if kind == EvidenceKind.SCHOOL_ENROLMENT:
        if school_level not in SchoolLevel.values:
            raise ValidationError(_("Say which school: primary, secondary, vocational or university."),
                                  code="school_level", field="school_level")
    else:
        school_level, full_time = "", False
    if kind not in _HOUSING:
        safety_compliant = False
    document = clean_text(document, "document", length=200)
    if not document:
        raise ValidationError(_("Name the document seen (its title and number)."), code="document", field="document")
    with transaction.atomic():
        evidence = Evidence.objects.create(
            person=person, kind=kind, started_on=started_on, ended_on=ended_on, document=document,
            safety_compliant=safety_compliant, school_level=school_level, full_time=full_time, entered_by=actor,
            entered_at=timezone.now())
        event_record(actor=actor, action="employment.evidence.recorded", subject_type="person",
                     subject_id=person.pk, data={"evidence": evidence.pk, "kind": kind})
    return evidence


def evidence_withdraw(*, actor: User, evidence_id: int, reason: str) -> Evidence:
    """A record entered in error is withdrawn (never deleted): it no longer counts for eligibility."""
    if not can(actor, Capability.EVIDENCE_RECORD) or not 1 <= evidence_id <= 2**62:
        raise NotFound(_("No such evidence."))
    reason = clean_text(reason, "reason", length=200)
    if not reason:
        raise ValidationError(_("Say why the evidence is withdrawn."), code="reason", field="reason")
    with transaction.atomic():
        evidence = Evidence.objects.select_for_update().filter(pk=evidence_id).first()
        if evidence is None:
            raise NotFound(_("No such evidence."))
        person_get_for_user(user=actor, person_id=evidence.person_id)  # out of scope: not found
        if evidence.withdrawn_at is not None:
            raise ValidationError(_("This evidence was withdrawn already."), code="withdrawn", field="evidence")
        evidence.withdrawn_at = timezone.now()
        evidence.save(update_fields=["withdrawn_at"])
        event_record(actor=actor, action="employment.evidence.withdrawn", subject_type="person",
                     subject_id=evidence.person_id, data={"evidence": evidence.pk, "kind": evidence.kind,
                                                          "reason": reason})
    return evidence


# --- employers' reports ------------------------------------------------------------------------------------
def reports_due(event: str, dates: Sequence[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, bool]]:
    """For each (day of the hire or separation, day entered): when the report was due and whether it came late, by
    the locality's rules; one engine call for the whole batch."""
    if not dates:
        return []
    situations = [{"employment_event": event, "employment_event_date": happened,
                   "employment_reported_date": entered} for happened, entered in dates]
    as_of = max(entered for _h, entered in dates)
    result = evaluate(["employment_report_due", "employment_report_late"], situations, as_of, locality())
    return [(result.value("employment_report_due", i), bool(result.value("employment_report_late", i)))
            for i in range(len(dates))]


def employer_of(actor: User) -> Obligor:
    """The employer whose account `actor` is (with the right to report); else "not found"."""
    if not can(actor, Capability.EMPLOYMENT_REPORT):
        raise NotFound(_("No such employer."))
    obligor = Obligor.objects.filter(account_id=actor.pk, kind=ObligorKind.EMPLOYER).first()
    if obligor is None:
        raise NotFound(_("No such employer."))
    return obligor


def employment_report_hire(*, actor: User, id_number: str, name: str, hired_on: dt.date,
                           phone: str = "") -> Employment:
    """The employer reports a hire: an open employment for the worker (created on record when new). Refused: a hire
    in the future, a worker already employed by this employer (one open employment per person and employer)."""
    employer = employer_of(actor)
    today = timezone.localdate()
    if hired_on > today:
        raise ValidationError(_("The hire date is in the future: report it once the worker has started."),
                              code="future", field="hired_on")
    ident = protect(id_number=id_number, phone=phone)
    items = PersonItems(name=clean_name(name), phone=phone).checked()
    if hired_on < ident.id_number.birth_date:
        raise ValidationError(_("The hire date is before the worker's birth date."), code="before_birth",
                              field="hired_on")
    [(due, late)] = reports_due(HIRE, [(hired_on, today)])
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(id_number_index=ident.id_number_index).first()
        if person is None:
            person = person_build(ident=ident, name=items.name)
            person.save()
            event_record(actor=actor, action="person.created", subject_type="person", subject_id=person.pk)
        else:
            person_items_update(actor=actor, person=person, items=items, source="employment.hire.reported")
        try:
            with transaction.atomic():
                employment = Employment.objects.create(
                    employer=employer, person=person, hired_on=hired_on, hire_reported_at=timezone.now(),
                    hire_due_on=due, hire_late=late, reported_by=actor)
        except IntegrityError:
            raise ValidationError(_("This worker is already employed by you: report the separation first."),
                                  code="already_employed", field="id_number") from None
        event_record(actor=actor, action="employment.hire.reported", subject_type="person", subject_id=person.pk,
                     data={"employment": employment.pk, "employer": employer.pk, "late": late,
                           "channel": "web"})
    return employment


def employment_report_separation(*, actor: User, employment_id: int, separated_on: dt.date) -> Employment:
    """The employer reports that a worker has left: the employment is closed. Refused: a date in the future or
    before the hire, an employment closed already or not the employer's."""
    employer = employer_of(actor)
    today = timezone.localdate()
    if separated_on > today:
        raise ValidationError(_("The date of leaving is in the future: report it once the worker has left."),
                              code="future", field="separated_on")
    with transaction.atomic():
        employment = Employment.objects.select_for_update().filter(pk=employment_id, employer=employer).first() \
            if 1 <= employment_id <= 2**62 else None
        if employment is None:
            raise NotFound(_("No such employment."))
        if employment.separated_on is not None:
            raise ValidationError(_("This worker's separation was reported already."), code="separated",
                                  field="separated_on")
        if separated_on < employment.hired_on:
            raise ValidationError(_("The date of leaving is before the hire (%(hired)s).")
                                  % {"hired": employment.hired_on.isoformat()}, code="before_hire",
                                  field="separated_on")
        [(due, late)] = reports_due(SEPARATION, [(separated_on, today)])
        employment.separated_on, employment.separation_reported_at = separated_on, timezone.now()
        employment.separation_due_on, employment.separation_late = due, late
        employment.save(update_fields=["separated_on", "separation_reported_at", "separation_due_on",
                                       "separation_late"])
        event_record(actor=actor, action="employment.separation.reported", subject_type="person",
                     subject_id=employment.person_id, data={"employment": employment.pk, "employer": employer.pk,
                                                            "late": late, "channel": "web"})
    return employment
