from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from residence.accounts.roles import Capability, can
from residence.core.errors import DomainError, NotFound
from residence.core.tabular import MAX_BYTES
from residence.places.forms import AddressConfirmForm, AddressUploadForm
from residence.places.imports import address_import_commit, address_import_preview
from residence.places.selectors import (
    building_get_for_user,
    building_list,
    jurisdiction_ancestors,
    jurisdiction_children,
    jurisdiction_get_for_user,
    unit_list,
)


@login_required
def browse(request: HttpRequest, code: str = "") -> HttpResponse:
    user = request.user
    try:
        area = jurisdiction_get_for_user(user=user, code=code or None)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    after = request.GET.get("after", "")[:32]
    buildings = building_list(jurisdiction=area, after_code=after) if area.level == "grid" or after else []
    return render(request, "places/browse.html", {
        "area": area,
        "crumbs": jurisdiction_ancestors(jurisdiction=area, user=user),  # type: ignore[arg-type]
        "children": jurisdiction_children(jurisdiction=area),
        "buildings": buildings,
        "next_after": buildings[-1].address_code if len(buildings) == 50 else "",
    })


@login_required
def building(request: HttpRequest, address_code: str) -> HttpResponse:
    try:
        b = building_get_for_user(user=request.user, address_code=address_code)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    return render(request, "places/building.html", {
        "building": b, "units": unit_list(building=b),
        "crumbs": jurisdiction_ancestors(jurisdiction=b.grid, user=request.user),  # type: ignore[arg-type]
    })


_IMPORTS = settings.VAR_DIR / "imports"


@login_required
def address_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview with per-row errors → confirm. The upload waits in var/imports/ between the two steps."""
    if not can(request.user, Capability.ADDRESS_IMPORT):
        raise Http404
    user = request.user
    if request.method == "POST" and "token" in request.POST:
        confirm = AddressConfirmForm(request.POST)
        if not confirm.is_valid():
            raise Http404
        token = confirm.cleaned_data["token"]
        stored = next(_IMPORTS.glob(f"{token}.*"), None)
        if stored is None:
            messages.error(request, _("The upload has expired; upload the file again."))
            return redirect("places:import")
        try:
            result = address_import_commit(actor=user, filename=stored.name,  # type: ignore[arg-type]
                                           data=stored.read_bytes(), mode=confirm.cleaned_data["mode"])
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("places:import")
        stored.unlink(missing_ok=True)
        messages.success(request, _("Imported %(n)d units.") % {"n": len(result.valid)})
        return redirect("places:import")
    form = AddressUploadForm(request.POST or None, request.FILES or None)
    preview = token = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(MAX_BYTES + 1)
        try:
            preview = address_import_preview(actor=user, filename=upload.name, data=data)  # type: ignore[arg-type]
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            _IMPORTS.mkdir(parents=True, exist_ok=True)
            token = uuid.uuid4().hex
            suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
            (_IMPORTS / f"{token}{suffix}").write_bytes(data)
    return render(request, "places/import.html", {"form": form, "preview": preview, "token": token})
