"""Pages of permits: applications: the resident's, the counter's and the reviewer's pages.

A resident applies on their phone (`apply/`) after seeing whether they appear eligible; a clerk or grid worker files
an application for a person from the person page (`person/<id>/apply/`, also a section of that page); the clerk
accepts at the counter (`counter/`), the reviewer decides (`review/`). Every page calls the services and scoped
selectors; a refusal is shown as the service words it, a record out of scope is "not found".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.core.errors import DomainError, NotFound, PermissionDenied
from residence.core.forms import form_error
from residence.eligibility.models import Assessment, Purpose
from residence.eligibility.selectors import assessment_explain
from residence.eligibility.services import ELIGIBILITY_OUTPUTS, assessments_run
from residence.people.models import Person
from residence.people.selectors import person_own, person_registrations, person_shown, person_view, persons_shown
from residence.permits.forms import AcceptForm, ApplyForm, FileForm, NoteForm, ProvideForm, points_taking_applications
from residence.permits.models import ApplicationStatus, Basis, Material, PermitApplication
from residence.permits.selectors import (
    acceptance_queue,
    application_get_for_user,
    application_overdue,
    application_steps,
    applications_of_person,
    applications_own,
    material_words,
    review_queue,
)
from residence.permits.services import (
    application_accept,
    application_approve,
    application_missing,
    application_provide_information,
    application_refuse,
    application_request_information,
    application_start_review,
    application_submit,
    application_withdraw,
)
from residence.permits.workflow import OPEN, Status, Transition, allowed

S = Status


# --- what the pages show -------------------------------------------------------------------------------------
def _lang() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "zh"


@dataclass(frozen=True)
class StepShown:
    key: str
    label: str
    icon: str
    state: str  # done, current, todo, attention (information requested), stopped (refused, withdrawn)


# the application's way, one picture each; a refusal or a withdrawal stops it where it stood
_WAY = ((S.SUBMITTED, "send"), (S.ACCEPTED, "stamp"), (S.IN_REVIEW, "search"), (S.APPROVED, "check"),
        (S.IN_PRODUCTION, "card"), (S.READY, "box"), (S.ISSUED, "hand"))
_LABELS = dict(ApplicationStatus.choices)


def step_bar(application: PermitApplication, steps: list[Any]) -> list[StepShown]:
    """The application's status as a row of steps: those behind it done, its own current (or stopped)."""
    status = S(application.status)
    order = [s for s, _icon in _WAY]
    stop_label = ""
    if status == S.INFORMATION_REQUESTED:
        at, state = order.index(S.IN_REVIEW), "attention"
        stop_label = str(_LABELS[S.INFORMATION_REQUESTED])
    elif status == S.REFUSED:
        at, state, stop_label = order.index(S.APPROVED), "stopped", str(_LABELS[S.REFUSED])
    elif status == S.WITHDRAWN:
        before = next((s.source for s in reversed(steps) if s.transition == Transition.WITHDRAW), S.SUBMITTED)
        reached = S.IN_REVIEW if before == S.INFORMATION_REQUESTED else S(before)
        at, state, stop_label = order.index(reached), "stopped", str(_LABELS[S.WITHDRAWN])
    else:
        at, state = order.index(status), "done" if status == S.ISSUED else "current"
    shown = []
    for i, (key, icon) in enumerate(_WAY):
        if i < at:
            shown.append(StepShown(key, str(_LABELS[key]), icon, "done"))
        elif i == at:
            picture = {"stopped": "stop", "attention": "ask"}.get(state, icon)
            shown.append(StepShown(key, stop_label or str(_LABELS[key]), picture, state))
        else:
            shown.append(StepShown(key, str(_LABELS[key]), icon, "todo"))
    return shown


_HEAD = re.compile(r"^(?P<name>\S+)(?: = (?P<value>.*?))?\s{2}\((?P<label>.*)\)(?:\s{2}\[(?P<tag>\w+)\])?$")
_NOTE_KINDS = (("because: ", "because"), ("parameter ", "parameter"), ("source: ", "source"))


@dataclass
class Node:
    """One value of the engine's explanation: what it is (label, value, the rules' name for it), its reasons
    (because, the parameters with their sources), and the values it came from (children)."""

    name: str
    value: str
    label: str
    tag: str  # given, default, or "" for a value worked out
    notes: list[tuple[str, str]]
    children: list[Node]
    seen: bool = False  # explained higher up ("see above")


def _node(head: str) -> Node:
    found = _HEAD.match(head)
    if found is None:
        return Node(head, "", "", "", [], [])
    label = found["label"]
    seen = label == "see above"
    return Node(found["name"], found["value"] or "", "" if seen else label, found["tag"] or "", [], [], seen)


def explanation_tree(text: str) -> tuple[str, list[Node]]:
    """The explanation `assessment_explain` writes as an indented tree, as nested nodes for a nested list: a line
    starting with "- " is a value, the lines below it indented further are its reasons, its inputs its children."""
    header: list[str] = []
    roots: list[Node] = []
    stack: list[tuple[int, Node]] = []
    labels: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if body.startswith("- "):
            node = _node(body[2:])
            if node.seen:  # named where it was first explained
                node.label = labels.get(node.name, "")
            else:
                labels.setdefault(node.name, node.label)
            while stack and stack[-1][0] >= indent:
                stack.pop()
            (stack[-1][1].children if stack else roots).append(node)
            stack.append((indent, node))
        elif stack:
            kind = next(((k, body[len(p):]) for p, k in _NOTE_KINDS if body.startswith(p)), ("", body))
            stack[-1][1].notes.append(kind)
        else:
            header.append(body)
    return " ".join(header), roots


def _explained(assessment: Assessment | None) -> tuple[str, list[Node]]:
    if assessment is None:
        return "", []
    return explanation_tree(assessment_explain(assessment=assessment, lang=_lang()))


@dataclass(frozen=True)
class Eligibility:
    """A first check from the records, in plain words, before applying."""

    eligible: bool
    continuous_days: int
    basis: str
    missing: str
    register_only: bool


def _eligibility(user: User, person: Person) -> Eligibility | None:
    found = assessments_run(person_ids=[person.pk], as_of=timezone.localdate(), purpose=Purpose.CHECK, actor=user,
                            outputs=ELIGIBILITY_OUTPUTS, store=False)
    if not found:
        return None
    out = found[0].outputs
    blocking = out.get("blocking_reason") or ""
    words = blocking.describe(_lang()) if hasattr(blocking, "describe") else str(blocking)
    return Eligibility(eligible=bool(out["eligible"]), continuous_days=int(out.get("continuous_days") or 0),
                       basis=str(dict(Basis.choices).get(out.get("eligibility_basis") or "", "")),
                       missing=words, register_only=bool(out.get("register_only")))


def _current_area(user: User, person: Person) -> str:
    """The area of the person's registration in force that the user may see ("" when there is none)."""
    for r in person_registrations(user=user, person=person):
        if r.ended_on is None and r.status != "cancelled":
            return str(r.area_path)
    return ""


def _materials_shown(codes: list[str]) -> list[str]:
    """Materials in words, in the order of the list of materials (ID card, photo, proofs), as a clerk checks them."""
    order = {code: i for i, code in enumerate(Material.values)}
    return material_words(sorted(codes, key=lambda c: order.get(c, len(order))))


def _days_overdue(application: PermitApplication, today: dt.date) -> int:
    if application.due_on is None or not application_overdue(application, today):
        return 0
    return (today - application.due_on).days


def _application(request: HttpRequest, application_id: int) -> PermitApplication:
    try:
        return application_get_for_user(user=request.user, application_id=application_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None


def _may_act(user: User, application: PermitApplication) -> bool:
    """The applicant, the person, or the acceptance point may provide information and withdraw."""
    return (can(user, Capability.APPLICATION_ACCEPT) or (user.person_id is not None
                                                          and application.person_id == user.person_id)
            or application.applicant_account_id == user.pk)


WITHDRAWABLE = frozenset({S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW, S.INFORMATION_REQUESTED})


# --- the resident ----------------------------------------------------------------------------------------------
@login_required(login_url="me:login")
def apply(request: HttpRequest) -> HttpResponse:
    """A resident on their phone: whether they appear eligible, then where, on which condition, with what."""
    user: User = request.user  # type: ignore[assignment]
    if not can(user, Capability.RECORD_OWN):
        raise Http404
    try:
        person = person_own(user=user)
    except NotFound:
        raise Http404 from None
    open_now = next((a for a in applications_own(user=user) if a.status in OPEN and a.person_id == person.pk), None)
    area = _current_area(user, person)
    points = points_taking_applications(area) if area else []
    form = ApplyForm(request.POST or None, points=points)
    if request.method == "POST" and open_now is None and form.is_valid():
        d = form.cleaned_data
        try:
            application = application_submit(actor=user, point_code=d["point"], claimed_basis=d["claimed_basis"],
                                             materials=d["materials"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Your application was submitted. Bring your documents to %(point)s: it "
                                        "counts as accepted once they have been seen.") % {
                "point": application.acceptance_point.name})
            return redirect("permits:application", application.pk)
    return render(request, "permits/apply.html", {
        "form": form, "eligibility": _eligibility(user, person), "open_now": open_now, "registered": bool(area),
        "points": points,
    }, status=400 if form.errors else 200)


@login_required
def application(request: HttpRequest, application_id: int) -> HttpResponse:
    """One application, for the person, its applicant or staff of its area: the status as steps, everything still
    missing, the deadline once accepted, its history; providing information when asked, withdrawing; the clerk's
    acceptance."""
    app = _application(request, application_id)
    return _application_page(request, app)


def _application_page(request: HttpRequest, app: PermitApplication, *, accept_form: AcceptForm | None = None,
                      status: int = 200) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    own = user.person_id is not None and app.person_id == user.person_id
    shown = None
    if user.kind != "resident":  # a staff member reading the person: recorded with its purpose
        try:
            shown = person_shown(user=user, person=person_view(user=user, person_id=app.person_id,
                                                               purpose="permit application"))
        except NotFound:
            raise Http404 from None
    steps = application_steps(application=app)
    may_act = _may_act(user, app)
    clerk = can(user, Capability.APPLICATION_ACCEPT) and app.status == S.SUBMITTED
    if clerk and accept_form is None:
        accept_form = AcceptForm(initial={"materials": list(app.materials)})
    today = timezone.localdate()
    return render(request, "permits/application.html", {
        "app": app, "own": own, "person": shown, "bar": step_bar(app, steps), "steps": steps,
        "missing": _materials_shown(application_missing(app)) if app.status in (S.SUBMITTED,) else [],
        "materials": _materials_shown(list(app.materials)),
        "provide_form": ProvideForm() if may_act and app.status == S.INFORMATION_REQUESTED else None,
        "withdraw_form": NoteForm() if may_act and app.status in WITHDRAWABLE else None,
        "accept_form": accept_form if clerk else None,
        "days_overdue": _days_overdue(app, today), "paused": app.status == S.INFORMATION_REQUESTED,
        "can_review": can(user, Capability.APPLICATION_REVIEW),
    }, status=status)


def _acted(request: HttpRequest, application_id: int, act: Any, done: str, back: str = "permits:application"
           ) -> HttpResponse:
    """Run a service; a refusal (someone else acted first, a step the workflow does not allow, a note missing) is
    said on the page it came from, a record out of reach is "not found"."""
    try:
        act()
    except (NotFound, PermissionDenied):
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back, application_id)


@login_required
@require_POST
def provide(request: HttpRequest, application_id: int) -> HttpResponse:
    form = ProvideForm(request.POST)
    if not form.is_valid():
        raise Http404
    d = form.cleaned_data
    return _acted(request, application_id, lambda: application_provide_information(
        actor=request.user, application_id=application_id, note=d["note"],  # type: ignore[arg-type]
        materials=d["materials"]), _("Thank you: the review goes on, and the deadline moves by the days it waited."))


@login_required
@require_POST
def withdraw(request: HttpRequest, application_id: int) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():
        raise Http404
    return _acted(request, application_id, lambda: application_withdraw(
        actor=request.user, application_id=application_id,  # type: ignore[arg-type]
        note=form.cleaned_data["note"]), _("The application was withdrawn."))


# --- the counter ---------------------------------------------------------------------------------------------
@login_required
@require_POST
def accept(request: HttpRequest, application_id: int) -> HttpResponse:
    """The clerk has seen the documents: accepted, or every material still missing named at once."""
    if not can(request.user, Capability.APPLICATION_ACCEPT):
        raise Http404
    form = AcceptForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        app = application_accept(actor=request.user, application_id=application_id,  # type: ignore[arg-type]
                                 materials=form.cleaned_data["materials"])
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        current = _application(request, application_id)
        if exc.code == "missing_materials":
            form_error(form, exc)
            return _application_page(request, current, accept_form=form, status=400)
        messages.error(request, exc.message)
        return redirect("permits:application", application_id)
    messages.success(request, _("Accepted. The permit is due by %(due)s.") % {"due": f"{app.due_on:%Y-%m-%d}"})
    return redirect("permits:application", application_id)


@login_required
def counter(request: HttpRequest) -> HttpResponse:
    """The clerk's queue at their acceptance point: applications to accept, those waiting for information, cards
    ready to collect; oldest first."""
    user: User = request.user  # type: ignore[assignment]
    if not can(user, Capability.APPLICATION_ACCEPT):
        raise Http404
    rows = acceptance_queue(user=user)
    shown = {p.id: p for p in persons_shown(user=user, persons=list({a.person_id: a.person for a in rows}.values()))}
    groups = [(key, _LABELS[key], [(a, shown[a.person_id]) for a in rows if a.status == key])
              for key in (S.SUBMITTED, S.INFORMATION_REQUESTED, S.READY)]
    return render(request, "permits/counter.html", {"groups": groups, "point": user.acceptance_point_code})


@login_required
def person_file(request: HttpRequest, person_id: int) -> HttpResponse:
    """A clerk at the counter or a grid worker at the door files an application for a person of their area: the
    person, a guardian (under 16) or a close relative (elderly or disabled and unable to come) applies."""
    user: User = request.user  # type: ignore[assignment]
    if not can(user, Capability.APPLICATION_FILE):
        raise Http404
    try:
        person = person_view(user=user, person_id=person_id, purpose="permit application filed")
    except NotFound:
        raise Http404 from None
    form = _file_form(user, person, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            app = application_submit(
                actor=user, person_id=person.pk, point_code=d.get("point") or "", relation=d["relation"],
                applicant_name=d["applicant_name"], unable_to_attend=d["unable_to_attend"],
                claimed_basis=d["claimed_basis"], materials=d["materials"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The application for %(name)s was submitted.") % {"name": person.name})
            return redirect("permits:application", app.pk)
    return render(request, "permits/file.html", {"form": form, "person": person_shown(user=user, person=person),
                                                 "fixed_point": user.acceptance_point_code},
                  status=400 if form.errors else 200)


def _file_form(user: User, person: Person, data: Any = None) -> FileForm:
    fixed = bool(user.acceptance_point_code and can(user, Capability.APPLICATION_ACCEPT))
    area = "" if fixed else _current_area(user, person)
    return FileForm(data, points=points_taking_applications(area) if area else [], fixed_point=fixed,
                    auto_id="pf_%s")


def permit_section(request: HttpRequest, user: User, person: Person, own: bool) -> str:
    """The person's residence permit applications, a section of the person's pages (people.sections): on the
    resident's /me/, their application's status or the way to apply; on the staff page, the applications and the
    form to file one."""
    if own:
        apps = [a for a in applications_own(user=user) if a.person_id == person.pk]
        return render_to_string("permits/_section.html", {"own": True, "apps": apps[:3],
                                                          "open": any(a.status in OPEN for a in apps)},
                                request=request)
    apps = applications_of_person(user=user, person_id=person.pk)
    files = can(user, Capability.APPLICATION_FILE) and not any(a.status in OPEN for a in apps)
    return render_to_string("permits/_section.html", {
        "own": False, "apps": apps, "person": person,
        "file_form": _file_form(user, person) if files else None,
        "fixed_point": user.acceptance_point_code if files else "",
    }, request=request)


# --- the review ------------------------------------------------------------------------------------------------
@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """The reviewer's queue: the overdue first (in red, with the days), then by deadline; paused ones say so."""
    user: User = request.user  # type: ignore[assignment]
    if not can(user, Capability.APPLICATION_REVIEW):
        raise Http404
    today = timezone.localdate()
    rows = review_queue(user=user, today=today)
    shown = {p.id: p for p in persons_shown(user=user, persons=list({a.person_id: a.person for a in rows}.values()))}
    return render(request, "permits/review_queue.html", {
        "rows": [(a, shown[a.person_id], _days_overdue(a, today)) for a in rows]})


_ACTIONS = {
    "start": (Transition.START_REVIEW, gettext_lazy("Review started.")),
    "approve": (Transition.APPROVE, gettext_lazy("Approved: the card goes to production.")),
    "refuse": (Transition.REFUSE, gettext_lazy("Refused; the applicant is told the reason.")),
    "request": (Transition.REQUEST_INFORMATION, gettext_lazy("Information requested; the deadline is paused.")),
}


def _reviewed(request: HttpRequest, application_id: int) -> PermitApplication:
    if not can(request.user, Capability.APPLICATION_REVIEW):
        raise Http404
    return _application(request, application_id)


@login_required
def review(request: HttpRequest, application_id: int) -> HttpResponse:
    """The reviewer's page: the person (masked), the application, the materials, the rules' explanation as a
    nested list, and the buttons the workflow allows now."""
    user: User = request.user  # type: ignore[assignment]
    app = _reviewed(request, application_id)
    try:
        person = person_view(user=user, person_id=app.person_id, purpose="permit application review")
    except NotFound:
        raise Http404 from None
    header, tree = _explained(app.assessment)
    open_now = {t.value for t in allowed(app.status)}
    steps = application_steps(application=app)
    today = timezone.localdate()
    return render(request, "permits/review.html", {
        "app": app, "person": person_shown(user=user, person=person), "steps": steps, "bar": step_bar(app, steps),
        "materials": _materials_shown(list(app.materials)), "missing": _materials_shown(application_missing(app)),
        "header": header, "tree": tree, "assessment": app.assessment,
        "basis_label": dict(Basis.choices).get(app.assessment.basis, "") if app.assessment else "",
        "actions": {name for name, (t, _done) in _ACTIONS.items() if t in open_now},
        "days_overdue": _days_overdue(app, today), "paused": app.status == S.INFORMATION_REQUESTED,
    })


@login_required
@require_POST
def review_act(request: HttpRequest, application_id: int, action: str) -> HttpResponse:
    if action not in _ACTIONS or not can(request.user, Capability.APPLICATION_REVIEW):
        raise Http404
    form = NoteForm(request.POST)
    if not form.is_valid():
        raise Http404
    note = form.cleaned_data["note"]
    actor, pk = request.user, application_id
    act = {
        "start": lambda: application_start_review(actor=actor, application_id=pk),  # type: ignore[arg-type]
        "approve": lambda: application_approve(actor=actor, application_id=pk, note=note),  # type: ignore[arg-type]
        "refuse": lambda: application_refuse(actor=actor, application_id=pk, note=note),  # type: ignore[arg-type]
        "request": lambda: application_request_information(actor=actor, application_id=pk,  # type: ignore[arg-type]
                                                           note=note),
    }[action]
    return _acted(request, application_id, act, str(_ACTIONS[action][1]), back="permits:review")


urls: list[URLPattern] = [
    path("apply/", apply, name="apply"),
    path("applications/<int:application_id>/", application, name="application"),
    path("applications/<int:application_id>/provide/", provide, name="provide"),
    path("applications/<int:application_id>/withdraw/", withdraw, name="withdraw"),
    path("applications/<int:application_id>/accept/", accept, name="accept"),
    path("counter/", counter, name="counter"),
    path("person/<int:person_id>/apply/", person_file, name="person_file"),
    path("review/", review_list, name="review_queue"),
    path("review/<int:application_id>/", review, name="review"),
    path("review/<int:application_id>/<str:action>/", review_act, name="review_act"),
]
