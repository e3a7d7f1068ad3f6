from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from residence.accounts.roles import Capability, can
from residence.places.selectors import jurisdiction_of_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # residents and obligors have one page of their own: go there
    if can(request.user, Capability.RECORD_OWN):
        return redirect("me:record")
    if can(request.user, Capability.PREMISES_OWN):
        return redirect("places:premises")
    own = jurisdiction_of_user(request.user)  # type: ignore[arg-type]
    return render(request, "workbench/home.html", {
        "jurisdiction": own,
        "has_scope": own is not None,
        "can_search": can(request.user, Capability.PERSON_SEARCH),
        "can_browse": can(request.user, Capability.PLACE_BROWSE),
        "can_record": can(request.user, Capability.REGISTRATION_RECORD),
        "can_audit": can(request.user, Capability.AUDIT_BROWSE),
        "can_accounts": can(request.user, Capability.ACCOUNT_MANAGE),
        "can_obligors": can(request.user, Capability.OBLIGOR_MANAGE),
        "can_clients": can(request.user, Capability.CLIENT_MANAGE),
        "can_compliance": can(request.user, Capability.COMPLIANCE_VIEW),
        "can_lapsed": can(request.user, Capability.PERMIT_LAPSED),
        "can_produce": can(request.user, Capability.PERMIT_PRODUCE),
        "can_issue": can(request.user, Capability.APPLICATION_ACCEPT),
        "can_accept": can(request.user, Capability.APPLICATION_ACCEPT),
        "can_review": can(request.user, Capability.APPLICATION_REVIEW),
    })
