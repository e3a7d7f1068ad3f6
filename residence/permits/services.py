"""Permit applications: submit, accept, review, decide, withdraw (`application_<verb>`).

Each service checks the actor's right and scope (`selectors.application_get_for_user`), the workflow
(`workflow.target`), writes, logs the step (`ApplicationStep`) and an audit event in the same transaction. A
transition is written as a conditional update (`WHERE status = <the status read>`), so that two clerks acting on one
application at once cannot both succeed: the second is told the application has moved on, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.audit.services import event_record
from residence.core.errors import NotFound, PermissionDenied, ValidationError
from residence.core.rules import locality
from residence.core.text import clean_text
from residence.eligibility.models import Assessment, Purpose
from residence.eligibility.services import ELIGIBILITY_OUTPUTS, assessments_run
from residence.people.selectors import person_get_for_user, person_own
from residence.permits.models import (
    ApplicationStep,
    Basis,
    Channel,
    Material,
    Permit,
    PermitApplication,
    PermitStatus,
    Relation,
)
from residence.permits.selectors import application_get_for_user, material_words
from residence.permits.workflow import OPEN, NotAllowed, Transition, audit_action, target
from residence.places.models import AcceptancePoint
from residence.registrations.models import Registration
from residence_rules import evaluate

APPLICATION_OUTPUTS = (*ELIGIBILITY_OUTPUTS, "applicant_accepted", "missing_materials")


# --- the rules, as the services ask them ------------------------------------------------------------------
def point_accepts(point: AcceptancePoint, service: str) -> bool:
    """Whether the point may take the service: its kind's default by the rules, narrowed by its own setting."""
    kind_ok = bool(evaluate(["point_may_accept"], [{"point_kind": point.kind, "service": service}],
                            timezone.localdate(), locality()).value("point_may_accept", 0))
    return kind_ok and (not point.services or service in point.services)


def issue_due_on(accepted_on: dt.date) -> dt.date:
    due = evaluate(["issue_due_date"], [{"accepted_date": accepted_on}], accepted_on, locality())
    return due.value("issue_due_date", 0)  # type: ignore[no-any-return]


def materials_checked(values: Iterable[str]) -> list[str]:
    """The materials named, each once and sorted; a ValidationError for one that is not on the list."""
    out = sorted(set(values))
    for m in out:
        if m not in Material.values:
            raise ValidationError(_("Unknown material: %(m)s.") % {"m": m}, code="material", field="materials")
    return out


def _missing_message(missing: list[str]) -> str:
    return _("Materials still missing (all of them): %(list)s.") % {"list": "、".join(material_words(missing))}


# --- writing a transition ------------------------------------------------------------------------------------
def application_move(application: PermitApplication, transition: Transition, *, actor: User, note: str = "",
                     **changes: Any) -> PermitApplication:
    """Move the application along the workflow, with `changes` to its fields, if nobody moved it meanwhile. The
    caller has checked the actor's right and scope (and holds the application's row lock)."""
    try:
        new = target(application.status, transition)
    except NotAllowed:
        raise ValidationError(
            _("This cannot be done to an application that is %(status)s.") % {
                "status": application.get_status_display()}, code="transition", field="status") from None
    source = application.status
    updated = PermitApplication.objects.filter(pk=application.pk, status=source).update(status=new, **changes)
    if not updated:
        raise ValidationError(_("Someone else has just acted on this application; reload it to see where it is."),
                              code="moved_on", field="status")
    for field, value in changes.items():
        setattr(application, field, value)
    application.status = new
    ApplicationStep.objects.create(application=application, transition=transition, source=source, target=new,
                                   actor=actor, at=timezone.now(), note=note)
    event_record(actor=actor, action=audit_action(transition), subject_type="person",
                 subject_id=application.person_id, data={"application": application.pk, "from": source, "to": new})
    return application


# --- submitting ------------------------------------------------------------------------------------------
def _point(code: str) -> AcceptancePoint:
    point = AcceptancePoint.objects.select_related("jurisdiction").filter(code=code).first()
    if point is None:
        raise ValidationError(_("Choose an acceptance point."), code="point", field="point")
    return point


def application_submit(*, actor: User, point_code: str, person_id: int | None = None,
                       relation: str = Relation.SELF, applicant_name: str = "", unable_to_attend: bool = False,
                       claimed_basis: str = Basis.NONE, materials: Iterable[str] = ()) -> PermitApplication:
    """A permit application: by the resident online (for themselves), by a grid worker on a resident's behalf
    (the applicant may be a close relative or guardian, named), or at a counter (the clerk's own point).

    Refused: a person who already holds a permit or has an application open; a point that may not take
    applications; an applicant the rules do not accept (someone else for a capable adult); a person with no
    registration in force. The materials still missing are listed all at once on the application's page."""
    if relation not in Relation.values:
        raise ValidationError(_("Say who applies."), code="relation", field="relation")
    if claimed_basis not in Basis.values:
        raise ValidationError(_("Choose the condition you rely on."), code="basis", field="claimed_basis")
    chosen = materials_checked(materials)
    applicant_name = clean_text(applicant_name, "applicant_name", length=50)
    if can(actor, Capability.APPLICATION_FILE):
        if person_id is None:
            raise ValidationError(_("Choose the person."), code="person", field="person")
        person = person_get_for_user(user=actor, person_id=person_id)
        if can(actor, Capability.APPLICATION_ACCEPT):  # counter staff take applications at their own point
            point_code = actor.acceptance_point_code or point_code
            channel = Channel.COUNTER
        else:
            channel = Channel.GRID_WORKER
    elif can(actor, Capability.RECORD_OWN) and actor.person_id is not None and person_id in (None, actor.person_id):
        person = person_own(user=actor)
        channel = Channel.ONLINE
        if relation != Relation.SELF:
            raise ValidationError(_("Online, residents apply for themselves; a guardian or relative applies at "
                                    "the counter or through the grid worker."), code="relation", field="relation")
    else:
        raise NotFound(_("No such person."))
    if channel != Channel.GRID_WORKER and relation == Relation.GRID_WORKER:
        raise ValidationError(_("Only a grid worker applies as a grid worker."), code="relation", field="relation")
    if relation in (Relation.GUARDIAN, Relation.CLOSE_RELATIVE) and not applicant_name:
        raise ValidationError(_("Name the guardian or relative who applies."), code="applicant_name",
                              field="applicant_name")
    point = _point(point_code)
    if not point_accepts(point, "application"):
        raise ValidationError(_("%(point)s does not take permit applications; choose a police station or another "
                                "point that does.") % {"point": point.name}, code="point", field="point")
    current = (Registration.objects.current().filter(person_id=person.pk).order_by("-started_on", "-pk")
               .values_list("area_path", flat=True).first())
    if current is None:
        raise ValidationError(_("There is no registration in force for this person: register the residence "
                                "first."), code="not_registered", field="person")
    if Permit.objects.filter(person_id=person.pk).exclude(status=PermitStatus.CANCELLED).exists():
        raise ValidationError(_("This person already holds a residence permit: endorse, change or replace it "
                                "instead."), code="has_permit", field="person")
    if PermitApplication.objects.filter(person_id=person.pk, status__in=OPEN).exists():
        raise ValidationError(_("This person already has an application in progress."), code="open_application",
                              field="person")
    today = timezone.localdate()
    extra = {person.pk: {"applicant_relation": relation, "unable_to_attend": unable_to_attend,
                         "materials": chosen, "claimed_basis": claimed_basis}}
    with transaction.atomic():
        assessment = assessments_run(person_ids=[person.pk], as_of=today, purpose=Purpose.APPLICATION, actor=actor,
                                     extra=extra, outputs=APPLICATION_OUTPUTS)[0]
        if not assessment.outputs["applicant_accepted"]:
            transaction.set_rollback(True)
            raise ValidationError(_("This applicant cannot apply for this person: only a guardian (under 16) or a "
                                    "close relative (elderly or disabled and unable to come) applies for someone "
                                    "else; an adult who can come applies in person."), code="applicant",
                                  field="relation")
        try:
            with transaction.atomic():
                application = PermitApplication.objects.create(
                    person=person, channel=channel, relation=relation, applicant_name=applicant_name,
                    applicant_account=actor, unable_to_attend=unable_to_attend, acceptance_point=point,
                    area_path=current, claimed_basis=claimed_basis, materials=chosen, submitted_at=timezone.now(),
                    assessment=assessment)
        except IntegrityError:  # a second submission raced the first
            raise ValidationError(_("This person already has an application in progress."),
                                  code="open_application", field="person") from None
        event_record(actor=actor, action="permit.application.submitted", subject_type="person",
                     subject_id=person.pk, data={"application": application.pk, "channel": channel,
                                                 "relation": relation, "point": point.code})
    return application


def application_missing(application: PermitApplication) -> list[str]:
    """The materials the application still lacks, by the rules (all of them, at once)."""
    if application.assessment is None:
        return []
    return list(application.assessment.outputs.get("missing_materials") or [])


# --- acceptance ------------------------------------------------------------------------------------------
def application_accept(*, actor: User, application_id: int, materials: Iterable[str]) -> PermitApplication:
    """The clerk at the application's acceptance point has seen the documents: the application is accepted and the
    issue deadline starts (15 days by the rules, extendable locally). Refused while materials are missing, naming
    all of them."""
    if not can(actor, Capability.APPLICATION_ACCEPT):
        raise NotFound(_("No such application."))
    seen = materials_checked(materials)
    with transaction.atomic():
        application = application_get_for_user(user=actor, application_id=application_id, lock=True)
        if actor.acceptance_point_code and application.acceptance_point.code != actor.acceptance_point_code:
            raise NotFound(_("No such application."))
        today = timezone.localdate()
        extra = {application.person_id: {"applicant_relation": application.relation,
                                          "unable_to_attend": application.unable_to_attend, "materials": seen,
                                          "claimed_basis": application.claimed_basis}}
        assessment = assessments_run(person_ids=[application.person_id], as_of=today, purpose=Purpose.APPLICATION,
                                     actor=actor, extra=extra, outputs=APPLICATION_OUTPUTS)[0]
        missing = list(assessment.outputs.get("missing_materials") or [])
        if missing:
            PermitApplication.objects.filter(pk=application.pk).update(materials=seen, assessment=assessment)
            application.materials, application.assessment = seen, assessment
            raise ValidationError(_missing_message(missing), code="missing_materials", field="materials")
        application_move(application, Transition.ACCEPT, actor=actor, materials=seen, assessment=assessment,
                         accepted_at=timezone.now(), due_on=issue_due_on(today))
    return application


# --- review ------------------------------------------------------------------------------------------------
def _reviewable(actor: User, application_id: int) -> PermitApplication:
    if not can(actor, Capability.APPLICATION_REVIEW):
        raise NotFound(_("No such application."))
    return application_get_for_user(user=actor, application_id=application_id, lock=True)


def application_start_review(*, actor: User, application_id: int) -> PermitApplication:
    with transaction.atomic():
        application = _reviewable(actor, application_id)
        return application_move(application, Transition.START_REVIEW, actor=actor)


def application_request_information(*, actor: User, application_id: int, note: str) -> PermitApplication:
    """The reviewer asks for more: the issue clock pauses until it is provided."""
    note = clean_text(note, "note", length=300)
    if not note:
        raise ValidationError(_("Say what information is needed."), code="note", field="note")
    with transaction.atomic():
        application = _reviewable(actor, application_id)
        return application_move(application, Transition.REQUEST_INFORMATION, actor=actor, note=note,
                                paused_at=timezone.now(), decision_note=note)


def application_provide_information(*, actor: User, application_id: int, note: str,
                                    materials: Iterable[str] = ()) -> PermitApplication:
    """The resident or the clerk provides what was asked: review resumes and the deadline moves by the days
    paused."""
    note = clean_text(note, "note", length=300)
    added = materials_checked(materials)
    with transaction.atomic():
        application = application_get_for_user(user=actor, application_id=application_id, lock=True)
        if not (can(actor, Capability.APPLICATION_ACCEPT) or application.person_id == actor.person_id
                or application.applicant_account_id == actor.pk):
            raise NotFound(_("No such application."))
        paused = application.paused_at
        days = (timezone.localdate() - timezone.localtime(paused).date()).days if paused else 0
        due = application.due_on + dt.timedelta(days=days) if application.due_on else None
        return application_move(application, Transition.PROVIDE_INFORMATION, actor=actor, note=note, paused_at=None,
                                due_on=due, materials=sorted(set(application.materials) | set(added)))


def _decide(application: PermitApplication, actor: User) -> Assessment:
    """The decision's assessment, with the engine's trace kept (what the decision relied on)."""
    extra = {application.person_id: {"applicant_relation": application.relation,
                                     "unable_to_attend": application.unable_to_attend,
                                     "materials": list(application.materials),
                                     "claimed_basis": application.claimed_basis}}
    return assessments_run(person_ids=[application.person_id], as_of=timezone.localdate(),
                           purpose=Purpose.DECISION, actor=actor, extra=extra, outputs=APPLICATION_OUTPUTS,
                           trace=True)[0]


def application_approve(*, actor: User, application_id: int, note: str = "") -> PermitApplication:
    """Approve: the rules must find the person eligible today (the decision keeps their trace)."""
    note = clean_text(note, "note", length=300)
    with transaction.atomic():
        application = _reviewable(actor, application_id)
        assessment = _decide(application, actor)
        if not assessment.eligible:
            raise ValidationError(_("The rules do not find this person eligible today; refuse the application, "
                                    "saying why, or ask for information."), code="not_eligible", field="status")
        return application_move(application, Transition.APPROVE, actor=actor, note=note, assessment=assessment,
                                decided_at=timezone.now(), decided_by=actor, decision_note=note)


def application_refuse(*, actor: User, application_id: int, note: str) -> PermitApplication:
    note = clean_text(note, "note", length=300)
    if not note:
        raise ValidationError(_("Say why the application is refused."), code="note", field="note")
    with transaction.atomic():
        application = _reviewable(actor, application_id)
        assessment = _decide(application, actor)
        return application_move(application, Transition.REFUSE, actor=actor, note=note, assessment=assessment,
                                decided_at=timezone.now(), decided_by=actor, decision_note=note)


def application_withdraw(*, actor: User, application_id: int, note: str = "") -> PermitApplication:
    """The applicant (or the clerk, at their request) withdraws an application not yet decided."""
    note = clean_text(note, "note", length=300)
    with transaction.atomic():
        application = application_get_for_user(user=actor, application_id=application_id, lock=True)
        if not (can(actor, Capability.APPLICATION_ACCEPT) or application.person_id == actor.person_id
                or application.applicant_account_id == actor.pk):
            raise PermissionDenied(_("Only the applicant or the acceptance point withdraws an application."))
        return application_move(application, Transition.WITHDRAW, actor=actor, note=note)

