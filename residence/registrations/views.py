from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from residence.accounts.roles import Capability, can
from residence.core.errors import DomainError, NotFound
from residence.core.forms import form_error
from residence.core.jobs import job_create
from residence.core.uploads import table_import_page
from residence.places.models import Obligor
from residence.places.selectors import (
    building_get_for_user,
    jurisdiction_ancestors,
    obligor_of,
    premises_units,
    unit_get_for_user,
    unit_list,
)
from residence.registrations.forms import ArrivalForm, DepartureForm
from residence.registrations.imports import (
    COLUMNS,
    resident_import_commit,
    resident_import_example,
    resident_import_preview,
)
from residence.registrations.selectors import obligor_residents, unit_residents
from residence.registrations.services import registration_declare_arrival, registration_declare_departure
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
    """One unit in the user's area and who lives there now, masked; out of scope is "not found"."""
    user = request.user
    try:
        u = unit_get_for_user(user=user, unit_id=unit_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    return render(request, "places/unit.html", {
        "unit": u, "building": u.building,
        "residents": unit_residents(user=user, units=[u], subject=u.code).get(u.pk, []),  # type: ignore[arg-type]
        "crumbs": jurisdiction_ancestors(jurisdiction=u.building.grid, user=user),  # type: ignore[arg-type]
    })


def _obligor(request: HttpRequest) -> Obligor:
    obligor = obligor_of(user=request.user)  # type: ignore[arg-type]
    if obligor is None:
        raise Http404
    return obligor


@login_required
def residents_mine(request: HttpRequest) -> HttpResponse:
    """A landlord's or employer's residents: who is registered at its units now, declare an arrival, a departure."""
    obligor = _obligor(request)
    units = premises_units(obligor=obligor)
    form = ArrivalForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration = registration_declare_arrival(
                actor=request.user, obligor=obligor, unit_code=data["unit"],  # type: ignore[arg-type]
                id_number=data["id_number"], name=data["name"], phone=data["phone"], started_on=data["started_on"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            said = _("Arrival declared: %(name)s at %(unit)s.") % {"name": registration.person.name,
                                                                  "unit": registration.unit.label}
            if registration.late:
                said += " " + _("Declared late: it was due by %(due)s.") % {
                    "due": f"{timezone.localtime(registration.due_at):%Y-%m-%d %H:%M}"}
            messages.success(request, said)
            return redirect("registrations:mine")
    return render(request, "registrations/mine.html", {
        "obligor": obligor, "form": form, "units": units, "residents": obligor_residents(obligor=obligor),
        "today": timezone.localdate().isoformat()}, status=400 if form.errors else 200)


@login_required
@require_POST
def departure(request: HttpRequest, registration_id: int) -> HttpResponse:
    obligor = _obligor(request)
    form = DepartureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date the resident left."))
        return redirect("registrations:mine")
    try:
        registration = registration_declare_departure(actor=request.user, obligor=obligor,  # type: ignore[arg-type]
                                                      registration_id=registration_id,
                                                      ended_on=form.cleaned_data["ended_on"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Departure declared: %(name)s.") % {"name": registration.person.name})
    return redirect("registrations:mine")


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
