"""The enforcement officer's workbench: the obligors of their area that are behind their duty to declare, worst
first, and one obligor's late, never-declared and overdue declarations (persons masked; the read is recorded)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from residence.accounts.roles import Capability, can
from residence.core.errors import NotFound
from residence.people.identity import mask_phone
from residence.places.selectors import jurisdiction_of_user
from residence.registrations.compliance import (
    PERIOD_DAYS,
    default_period,
    obligor_compliance_for_officer,
    obligors_behind,
)
from residence.stays.compliance import tally_summary


@login_required
def obligors(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Capability.COMPLIANCE_VIEW):
        raise Http404
    try:
        rows = obligors_behind(user=request.user)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    since, until = default_period()
    return render(request, "workbench/compliance_list.html", {
        "rows": [(r, tally_summary(r.tally)) for r in rows], "since": since, "until": until, "days": PERIOD_DAYS,
        "jurisdiction": jurisdiction_of_user(request.user)})  # type: ignore[arg-type]


@login_required
def obligor(request: HttpRequest, obligor_id: int) -> HttpResponse:
    if not can(request.user, Capability.COMPLIANCE_VIEW):
        raise Http404
    try:
        found = obligor_compliance_for_officer(user=request.user, obligor_id=obligor_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    return render(request, "workbench/compliance_obligor.html", {
        "file": found, "summary": tally_summary(found.tally), "days": PERIOD_DAYS,
        "phone": mask_phone(found.obligor.phone) if found.obligor.phone else ""})
