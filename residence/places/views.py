from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from residence.accounts.roles import Capability, can
from residence.core.errors import NotFound
from residence.core.uploads import table_import_page
from residence.places.imports import address_import_commit, address_import_preview
from residence.places.selectors import (
    building_list,
    jurisdiction_ancestors,
    jurisdiction_children,
    jurisdiction_get_for_user,
    premises_of,
)


@login_required
def premises(request: HttpRequest) -> HttpResponse:
    """A declaration obligor's own premises."""
    obligor, units = premises_of(user=request.user)  # type: ignore[arg-type]
    if obligor is None:
        raise Http404
    shown = 500
    return render(request, "places/premises.html", {"obligor": obligor, "units": units[:shown],
                                                    "total": units.count(), "shown": shown})


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
def address_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview with per-row errors → confirm (see core.uploads)."""
    if not can(request.user, Capability.ADDRESS_IMPORT):
        raise Http404
    user = request.user
    return table_import_page(
        request, title=_("Import addresses"), columns_help=_(
            "Columns: 网格代码, 地址编码, 道路, 门牌号, 楼栋名称, 房屋编码, 房号, 房屋类型, 是否出租屋, 治安等级. "
            "UTF-8 or GBK; at most 20 MB."),
        again="places:import",
        check=lambda name, data: address_import_preview(actor=user, filename=name, data=data),  # type: ignore[arg-type]
        commit=lambda name, data, mode: address_import_commit(actor=user, filename=name, data=data,  # type: ignore[arg-type]
                                                              mode=mode),  # type: ignore[arg-type]
        done=lambda result: _("Imported %(n)d units.") % {"n": len(result.valid)},
    )
