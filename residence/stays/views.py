"""The front desk of a hotel or hourly rental: guests checked in now, check-in and check-out (the web channel of
the same services as the integrator API)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from residence.accounts.roles import Capability
from residence.places.models import Obligor
from residence.places.selectors import obligor_of, premises_units
from residence.stays.compliance import stays_own_compliance_page
from residence.stays.forms import CheckInForm, CheckOutForm
from residence.stays.models import Channel
from residence.stays.selectors import stays_open
from residence.stays.services import stays_check_in, stays_check_out


def _obligor(request: HttpRequest) -> Obligor:
    obligor = obligor_of(user=request.user, capability=Capability.STAY_DECLARE)  # type: ignore[arg-type]
    if obligor is None:
        raise Http404
    return obligor


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    obligor = _obligor(request)
    units = premises_units(obligor=obligor)
    form = CheckInForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        item = {"idempotency_key": form.cleaned_data["idempotency_key"], "id_number": form.cleaned_data["id_number"],
                "name": form.cleaned_data["name"], "unit_code": form.cleaned_data["unit"],
                "arrived_at": form.cleaned_data["arrived_at"].isoformat()}
        result = stays_check_in(actor=request.user, obligor=obligor, items=[item],  # type: ignore[arg-type]
                                channel=Channel.WEB)[0]
        if result["status"] == "rejected":
            for error in result["errors"]:
                field = {"unit_code": "unit"}.get(error["field"], error["field"])
                form.add_error(field if field in form.fields and field != "idempotency_key" else None,
                               error["message"])
        else:
            said = _("Checked in: stay %(id)s.") % {"id": result["stay_id"]}
            if not result["on_time"]:
                due = timezone.localtime(dt.datetime.fromisoformat(result["due_at"]))
                said += " " + _("Declared late: it was due by %(due)s.") % {"due": f"{due:%Y-%m-%d %H:%M}"}
            messages.success(request, said)
            for flag in result["flags"]:
                messages.warning(request, flag["message"])
            return redirect("stays:desk")
    guests = stays_open(obligor=obligor)
    own = stays_own_compliance_page(obligor=obligor)
    for guest in guests + own["overdue_stays"]:  # each check-out button its own key: a double click checks out once
        guest.checkout_key = uuid.uuid4().hex  # type: ignore[attr-defined]
    return render(request, "stays/desk.html", {"obligor": obligor, "form": form, "units": units, "guests": guests,
                                               **own})


@login_required
@require_POST
def check_out(request: HttpRequest, stay_id: int) -> HttpResponse:
    obligor = _obligor(request)
    form = CheckOutForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form has expired; please try again."))
        return redirect("stays:desk")
    result = stays_check_out(actor=request.user, obligor=obligor, channel=Channel.WEB,  # type: ignore[arg-type]
                             items=[{"idempotency_key": form.cleaned_data["idempotency_key"], "stay_id": stay_id,
                                     "departed_at": timezone.localtime().isoformat()}])[0]
    if result["status"] == "rejected":
        messages.error(request, result["errors"][0]["message"])
    else:
        messages.success(request, _("Checked out: stay %(id)s.") % {"id": stay_id})
    return redirect("stays:desk")
