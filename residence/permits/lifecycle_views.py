"""Pages of permits: a permit's life after issue: endorsement, change, replacement, reissue, cancellation, the lapsed
report.

The counter's actions are forms in the "居住证" section of the staff person page (`permit_section`, registered in
`apps.py`); each posts here, and the clerk is sent back to the person page with what happened. The resident's own
page shows the permit, the next endorsement date and the reminders (the same section, `own`). Thin: every rule is in
`lifecycle.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.core.errors import NotFound, ValidationError
from residence.people.models import Person
from residence.permits.lifecycle import (
    CancelReason,
    ChangeKind,
    endorsement_of,
    lapsed_report,
    permit_cancel,
    permit_change,
    permit_endorse,
    permit_events,
    permit_for_counter,
    permit_held_elsewhere,
    permit_notices,
    permit_number_masked,
    permit_of_person,
    permit_reissue,
    permit_replace,
)
from residence.permits.models import Material, PermitEvent


def permit_section(request: HttpRequest, user: User, person: Person, own: bool) -> str:
    """The "居住证" section of a person's pages: the permit (its number masked), status, next endorsement, history;
    the counter's actions for a clerk; the reminders on the resident's own page."""
    permit = permit_of_person(user=user, person=person)
    elsewhere = None
    if permit is None and not own:
        elsewhere = permit_held_elsewhere(user=user, person=person)
    if permit is None and elsewhere is None:
        return ""
    shown = permit or elsewhere
    assert shown is not None
    clerk = not own and can(user, Capability.PERMIT_MAINTAIN)
    return render_to_string("permits/lifecycle_section.html", {
        "permit": shown, "elsewhere": elsewhere is not None, "own": own, "clerk": clerk,
        "number": permit_number_masked(shown.number),
        "endorsement": endorsement_of(shown),
        "events": [(e, _event_words(e)) for e in permit_events(permit=shown)] if permit is not None else [],
        "notices": permit_notices(permit=shown) if own else [],
        "materials": Material.choices, "reasons": CancelReason.choices, "kinds": ChangeKind.choices,
        "today": timezone.localdate().isoformat(),
    }, request=request)


def _event_words(event: PermitEvent) -> str:
    d = event.data
    if event.kind in (PermitEvent.Kind.ENDORSED, PermitEvent.Kind.RESTORED):
        return _("next endorsement due %(due)s") % {"due": d.get("due", "")}
    if event.kind == PermitEvent.Kind.CHANGED:
        late = _("reported late") if d.get("late") else _("reported in time")
        return f"{d.get('before') or '—'} → {d.get('after')} ({late})"
    if event.kind in (PermitEvent.Kind.REPLACED, PermitEvent.Kind.REISSUED):
        return _("card %(card)s, fee %(fee)s yuan, receipt %(receipt)s") % {
            "card": d.get("card"), "fee": d.get("fee_yuan"), "receipt": d.get("receipt")}
    if event.kind == PermitEvent.Kind.CANCELLED:
        return str(dict(CancelReason.choices).get(d.get("reason", ""), d.get("reason", "")))
    return ""


def _act(request: HttpRequest, permit_id: int, do: Callable[[User, int], Any], done: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        permit = permit_for_counter(user=user, permit_id=permit_id)
    except NotFound:
        raise Http404 from None
    back = reverse("people:detail", args=[permit.person_id])  # the message on top, then the section
    try:
        result = do(user, permit.pk)
    except NotFound:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    message = done
    if isinstance(result, PermitEvent) and result.data.get("receipt"):
        message += " " + _("Fee %(fee)s yuan, receipt number %(receipt)s.") % {
            "fee": result.data["fee_yuan"], "receipt": result.data["receipt"]}
    messages.success(request, message)
    return redirect(back)


@login_required
@require_POST
def endorse(request: HttpRequest, permit_id: int) -> HttpResponse:
    materials = request.POST.getlist("materials")
    return _act(request, permit_id, lambda u, pk: permit_endorse(actor=u, permit_id=pk, materials=materials),
                _("The permit is endorsed."))


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(_("Give the date of the change."), code="date", field="change_date") from None


@login_required
@require_POST
def change(request: HttpRequest, permit_id: int) -> HttpResponse:
    post = request.POST

    def do(u: User, pk: int) -> Any:
        return permit_change(actor=u, permit_id=pk, kind=post.get("kind", ""),
                             change_date=_date(post.get("change_date", "")), workplace=post.get("workplace", ""))
    return _act(request, permit_id, do, _("The change is recorded."))


@login_required
@require_POST
def replace(request: HttpRequest, permit_id: int) -> HttpResponse:
    returned = request.POST.get("old_card_returned") == "on"
    return _act(request, permit_id, lambda u, pk: permit_replace(actor=u, permit_id=pk, old_card_returned=returned),
                _("A new card replaces the damaged one."))


@login_required
@require_POST
def reissue(request: HttpRequest, permit_id: int) -> HttpResponse:
    return _act(request, permit_id, lambda u, pk: permit_reissue(actor=u, permit_id=pk),
                _("A new card is issued; the lost card is invalid."))


@login_required
@require_POST
def cancel(request: HttpRequest, permit_id: int) -> HttpResponse:
    reason, note = request.POST.get("reason", ""), request.POST.get("note", "")
    return _act(request, permit_id, lambda u, pk: permit_cancel(actor=u, permit_id=pk, reason=reason, note=note),
                _("The permit is cancelled."))


@login_required
def lapsed(request: HttpRequest) -> HttpResponse:
    """Managers: the lapsed permits of their area per district or street, with a bar each."""
    try:
        report = lapsed_report(user=request.user)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    most = report.most or 1
    bars = []
    for i, r in enumerate(report.rows):  # an SVG bar each (the CSP allows no inline styles): 150 px of name, 400
        s, o = round(BAR * r.suspended / most), round(BAR * r.overdue / most)
        bars.append({"row": r, "y": i * ROW, "suspended_w": s, "overdue_x": 150 + s, "overdue_w": o})
    return render(request, "permits/lifecycle_lapsed.html", {"report": report, "bars": bars,
                                                             "chart_height": max(len(bars), 1) * ROW})


BAR, ROW = 400, 28  # the chart's longest bar and each row's height, in SVG units


urls: list[URLPattern] = [
    path("<int:permit_id>/endorse/", endorse, name="endorse"),
    path("<int:permit_id>/change/", change, name="change"),
    path("<int:permit_id>/replace/", replace, name="replace"),
    path("<int:permit_id>/reissue/", reissue, name="reissue"),
    path("<int:permit_id>/cancel/", cancel, name="cancel"),
    path("lapsed/", lapsed, name="lapsed"),
]
