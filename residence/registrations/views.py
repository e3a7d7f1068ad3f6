from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from residence.accounts.roles import Capability, can
from residence.core.uploads import table_import_page
from residence.registrations.imports import (
    COLUMNS,
    resident_import_commit,
    resident_import_example,
    resident_import_preview,
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
