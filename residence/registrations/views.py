from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from residence.accounts.roles import Capability, can
from residence.core.errors import NotFound
from residence.core.uploads import table_import_page
from residence.places.selectors import building_get_for_user, jurisdiction_ancestors, unit_get_for_user, unit_list
from residence.registrations.imports import (
    COLUMNS,
    resident_import_commit,
    resident_import_example,
    resident_import_preview,
)
from residence.registrations.selectors import unit_residents


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
