from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from residence.core.errors import NotFound
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
