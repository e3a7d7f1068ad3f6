from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.core.errors import DomainError, NotFound
from residence.core.forms import form_error
from residence.core.jobs import job_create
from residence.core.uploads import table_import_page
from residence.people.models import Person
from residence.people.selectors import persons_shown
from residence.places.models import Obligor
from residence.places.selectors import (
    building_get_for_user,
    jurisdiction_ancestors,
    obligor_of,
    premises_units,
    unit_get_for_user,
    unit_list,
)
from residence.registrations.certificate import certificate_pdf
from residence.registrations.compliance import own_compliance_page
from residence.registrations.forms import (
    ArrivalForm,
    CancelForm,
    CorrectionForm,
    DepartureForm,
    DoorCheckForm,
    PersonItemsForm,
    SelfDeclarationForm,
    UnitArrivalForm,
)
from residence.registrations.imports import (
    COLUMNS,
    resident_import_commit,
    resident_import_example,
    resident_import_preview,
)
from residence.registrations.models import Registration
from residence.registrations.selectors import (
    obligor_history,
    obligor_pending,
    obligor_residents,
    pending_in_area,
    registration_certificate,
    registration_history,
    registration_view,
    residence_timeline,
    unit_residents,
)
from residence.registrations.services import (
    registration_cancel,
    registration_confirm,
    registration_correct,
    registration_declare_arrival,
    registration_declare_departure,
    registration_door_check,
    registration_record_arrival,
    registration_record_departure,
    registration_self_declare,
)
from residence.registrations.uploads import COLUMNS as DECLARATION_COLUMNS
from residence.registrations.uploads import (
    KIND,
    declarations_commit,
    declarations_done,
    declarations_example,
    declarations_preview,
)


@login_required
def resident_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview with per-row errors → confirm (see core.uploads)."""
    if not can(request.user, Capability.RESIDENT_IMPORT):
        raise Http404
    user = request.user
    return table_import_page(
        request, title=_("Import residents"), again="registrations:import", columns=COLUMNS,
        example=lambda: resident_import_example(actor=user),  # type: ignore[arg-type]
        check=lambda name, data: resident_import_preview(actor=user, filename=name, data=data),  # type: ignore[arg-type]
        commit=lambda name, data, mode: resident_import_commit(actor=user, filename=name,  # type: ignore[arg-type]
                                                               data=data, mode=mode),  # type: ignore[arg-type]
        done=lambda result: _("Imported %(n)d residents.") % {"n": len(result.valid)},
    )


@login_required
def building(request: HttpRequest, address_code: str) -> HttpResponse:
    """A building (standard address) in the user's area: its units and who lives there now, masked."""
    user = request.user
    try:
        b = building_get_for_user(user=user, address_code=address_code)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    units = list(unit_list(building=b))
    residents = unit_residents(user=user, units=units, subject=b.address_code)  # type: ignore[arg-type]
    return render(request, "places/building.html", {
        "building": b, "units": [(u, residents.get(u.pk, [])) for u in units],
        "crumbs": jurisdiction_ancestors(jurisdiction=b.grid, user=user),  # type: ignore[arg-type]
    })


@login_required
def unit(request: HttpRequest, unit_id: int) -> HttpResponse:
    """One unit in the user's area and who lives there now, masked; out of scope is "not found". A grid worker at
    the door (or a clerk) records what they find for each resident, and registers somebody new here."""
    user = request.user
    try:
        u = unit_get_for_user(user=user, unit_id=unit_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    records = can(user, Capability.REGISTRATION_RECORD)
    form = PersonItemsForm(request.POST if request.method == "POST" else None, auto_id="new_%s") if records else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            try:
                registration = registration_record_arrival(
                    actor=user, unit_id=u.pk, id_number=d["id_number"], name=d["name"],  # type: ignore[arg-type]
                    started_on=d["started_on"], items=form.items(), expected_ended_on=d["expected_ended_on"],
                    reason=d["reason"])
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _arrival_said(registration))
                return redirect("places:unit", u.pk)
    return render(request, "places/unit.html", {
        "unit": u, "building": u.building, "can_record": records, "arrival_form": form,
        "today": timezone.localdate().isoformat(),
        "residents": unit_residents(user=user, units=[u], subject=u.code).get(u.pk, []),  # type: ignore[arg-type]
        "crumbs": jurisdiction_ancestors(jurisdiction=u.building.grid, user=user),  # type: ignore[arg-type]
    }, status=400 if form is not None and form.errors else 200)


def _obligor(request: HttpRequest) -> Obligor:
    obligor = obligor_of(user=request.user)  # type: ignore[arg-type]
    if obligor is None:
        raise Http404
    return obligor


def _arrival_said(registration: Registration) -> str:
    said = _("Arrival declared: %(name)s at %(unit)s.") % {"name": registration.person.name,
                                                          "unit": registration.unit.label}
    if registration.late:
        said += " " + _("Declared late: it was due by %(due)s.") % {
            "due": f"{timezone.localtime(registration.due_at):%Y-%m-%d %H:%M}"}
    return said


@login_required
def residents_mine(request: HttpRequest) -> HttpResponse:
    """A landlord's or employer's residents: who is registered at its units now, declare an arrival (with the
    person's items), a departure; residents' own declarations to confirm; the recent history."""
    obligor = _obligor(request)
    units = premises_units(obligor=obligor)
    form = ArrivalForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration = registration_declare_arrival(
                actor=request.user, obligor=obligor, unit_code=data["unit"],  # type: ignore[arg-type]
                id_number=data["id_number"], name=data["name"], started_on=data["started_on"], items=form.items(),
                expected_ended_on=data["expected_ended_on"], reason=data["reason"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _arrival_said(registration))
            return redirect("registrations:mine")
    return render(request, "registrations/mine.html", {
        "obligor": obligor, "form": form, "units": units, "residents": obligor_residents(obligor=obligor),
        "pending": obligor_pending(obligor=obligor), "history": obligor_history(obligor=obligor),
        "today": timezone.localdate().isoformat(), **own_compliance_page(obligor=obligor)},
        status=400 if form.errors else 200)


@login_required
@require_POST
def departure(request: HttpRequest, registration_id: int) -> HttpResponse:
    """A departure: declared by the obligor of the unit, or recorded by a clerk or grid worker of the area."""
    form = DepartureForm(request.POST)
    back = request.POST.get("next") == "detail"
    if not form.is_valid():
        messages.error(request, _("Give the date the resident left."))
    else:
        try:
            obligor = obligor_of(user=request.user)  # type: ignore[arg-type]
            if obligor is not None:
                registration = registration_declare_departure(
                    actor=request.user, obligor=obligor, registration_id=registration_id,  # type: ignore[arg-type]
                    ended_on=form.cleaned_data["ended_on"])
            else:
                registration = registration_record_departure(
                    actor=request.user, registration_id=registration_id,  # type: ignore[arg-type]
                    ended_on=form.cleaned_data["ended_on"])
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Departure declared: %(name)s.") % {"name": registration.person.name})
    if back or obligor_of(user=request.user) is None:  # type: ignore[arg-type]
        return redirect("registrations:detail", registration_id)
    return redirect("registrations:mine")


def _duration(span: dt.timedelta) -> str:
    """A lateness in words: "3 days 4 hours", "5 hours"."""
    days, hours = span.days, span.seconds // 3600
    if days:
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days} + (
            " " + ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours} if hours else "")
    return ngettext("%(n)d hour", "%(n)d hours", max(hours, 1)) % {"n": max(hours, 1)}


def _registration(request: HttpRequest, registration_id: int) -> Registration:
    try:
        return registration_view(user=request.user, registration_id=registration_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None


@login_required
def detail(request: HttpRequest, registration_id: int) -> HttpResponse:
    """One registration for its obligor or the staff of its area: the declaration (who, how, when, by when, late by
    how long), its history, and the forms to correct, withdraw, confirm or end it."""
    registration = _registration(request, registration_id)
    revisions, checks = registration_history(registration=registration)
    late_by = ""
    if registration.late and registration.declared_at and registration.due_at:
        late_by = _duration(registration.declared_at - registration.due_at)
    return render(request, "registrations/detail.html", {
        "r": registration, "revisions": revisions, "checks": checks, "late_by": late_by,
        "correct_form": CorrectionForm(initial={"reason": registration.reason}), "cancel_form": CancelForm(),
        "today": timezone.localdate().isoformat(),
        "is_obligor": obligor_of(user=request.user) is not None,  # type: ignore[arg-type]
    })


def _act(request: HttpRequest, registration_id: int, act: Any, done: str) -> HttpResponse:
    try:
        act()
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("registrations:detail", registration_id)


@login_required
@require_POST
def correct(request: HttpRequest, registration_id: int) -> HttpResponse:
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the registration is corrected, and give valid dates."))
        return redirect("registrations:detail", registration_id)
    d = form.cleaned_data
    return _act(request, registration_id, lambda: registration_correct(
        actor=request.user, registration_id=registration_id, note=d["note"],  # type: ignore[arg-type]
        started_on=d["started_on"], ended_on=d["ended_on"], expected_ended_on=d["expected_ended_on"],
        reason=d["reason"] or None), _("The registration was corrected; the earlier values are kept below."))


@login_required
@require_POST
def cancel(request: HttpRequest, registration_id: int) -> HttpResponse:
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the registration is withdrawn."))
        return redirect("registrations:detail", registration_id)
    return _act(request, registration_id, lambda: registration_cancel(
        actor=request.user, registration_id=registration_id,  # type: ignore[arg-type]
        reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]), _("The registration was withdrawn."))


@login_required
@require_POST
def confirm(request: HttpRequest, registration_id: int) -> HttpResponse:
    return _act(request, registration_id, lambda: registration_confirm(
        actor=request.user, registration_id=registration_id),  # type: ignore[arg-type]
        _("The registration was confirmed."))


@login_required
@require_POST
def door_check(request: HttpRequest, registration_id: int) -> HttpResponse:
    """A grid worker at the door: the resident lives here, moved out, or was not found. Back to the unit."""
    form = DoorCheckForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        check = registration_door_check(actor=request.user, registration_id=registration_id,  # type: ignore[arg-type]
                                        outcome=form.cleaned_data["outcome"], ended_on=form.cleaned_data["ended_on"],
                                        note=form.cleaned_data["note"])
    except NotFound:
        raise Http404 from None
    except DomainError as exc:  # the registration is in the actor's area: its page says what stands
        messages.error(request, exc.message)
        return redirect("registrations:detail", registration_id)
    messages.success(request, _("Recorded: %(outcome)s.") % {"outcome": check.get_outcome_display()})
    return redirect("places:unit", check.registration.unit_id)


@login_required
@require_POST
def person_arrival(request: HttpRequest, person_id: int) -> HttpResponse:
    """A clerk at the counter registers a person already on record (from their page) at a unit of the area."""
    form = UnitArrivalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the unit code and the arrival date."))
        return redirect("people:detail", person_id)
    d = form.cleaned_data
    try:
        registration = registration_record_arrival(
            actor=request.user, person_id=person_id, unit_code=d["unit_code"],  # type: ignore[arg-type]
            started_on=d["started_on"], expected_ended_on=d["expected_ended_on"], reason=d["reason"])
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _arrival_said(registration))
    return redirect("people:detail", person_id)


@login_required
def pending(request: HttpRequest) -> HttpResponse:
    """A clerk's or grid worker's queue: residents' own declarations in their area that wait for a check. Opening a
    row is opening the registration (confirm or withdraw there)."""
    if not can(request.user, Capability.REGISTRATION_RECORD):
        raise Http404
    rows = pending_in_area(user=request.user)  # type: ignore[arg-type]
    shown = {p.id: p for p in persons_shown(user=request.user,  # type: ignore[arg-type]
                                            persons=list({r.person_id: r.person for r in rows}.values()))}
    return render(request, "registrations/pending.html", {"rows": [(r, shown[r.person_id]) for r in rows]})


@login_required(login_url="me:login")
def self_declare(request: HttpRequest) -> HttpResponse:
    """A resident declares where they live now, on their phone; it waits for the obligor's or a clerk's
    confirmation."""
    if not can(request.user, Capability.RECORD_OWN):
        raise Http404
    form = SelfDeclarationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            registration_self_declare(actor=request.user, unit_code=d["unit_code"], name="",  # type: ignore[arg-type]
                                      started_on=d["started_on"], expected_ended_on=d["expected_ended_on"],
                                      reason=d["reason"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Declared. It waits for your landlord's or a clerk's confirmation."))
            return redirect("me:record")
    return render(request, "registrations/self_declare.html", {"form": form},
                  status=400 if form.errors else 200)


def timeline_section(request: HttpRequest, user: User, person: Person, own: bool) -> str:
    """The person's residence timeline with its continuity, a section of the person's pages (people.sections)."""
    try:
        timeline = residence_timeline(user=user, person_id=person.pk)
    except NotFound:
        return ""
    return render_to_string("registrations/_timeline.html", {"timeline": timeline, "own": own}, request=request)


@login_required
def certificate(request: HttpRequest, registration_id: int) -> HttpResponse:
    """The registration certificate as a PDF, for the resident, the unit's obligor or staff in scope (else 404)."""
    try:
        cert = registration_certificate(user=request.user, registration_id=registration_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    response = HttpResponse(certificate_pdf(cert), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{cert.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response

@login_required
def residents_upload(request: HttpRequest) -> HttpResponse:
    """An obligor uploads its declarations (arrivals and departures) as a table: upload → preview → confirm; a
    large file is committed by the worker with a progress bar (core.uploads, core.jobs)."""
    obligor = _obligor(request)
    user = request.user
    return table_import_page(
        request, title=_("Upload declarations"), again="registrations:mine_upload", columns=DECLARATION_COLUMNS,
        intro=_("One row per arrival (到达) or departure (离开) at one of your units. Download the template, fill "
                "it in, upload it: every row is checked before anything is written."),
        example=lambda: declarations_example(obligor=obligor),
        check=lambda name, data: declarations_preview(actor=user, obligor=obligor,  # type: ignore[arg-type]
                                                      filename=name, data=data),
        commit=lambda name, data, mode: declarations_commit(actor=user, obligor=obligor,  # type: ignore[arg-type]
                                                            filename=name, data=data, mode=mode),  # type: ignore[arg-type]
        done=declarations_done,  # type: ignore[arg-type]
        background=lambda name, data, mode, rows: job_create(
            owner=user, kind=KIND, filename=name, data=data, total=rows,
            params={"mode": mode, "back": reverse("registrations:mine")}),
    )
