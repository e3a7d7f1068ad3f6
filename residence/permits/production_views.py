"""Pages of permits: production batches for the card centre, and issuing the card.

    /permits/production/                          the production centre: approved applications to batch, batches
    /permits/production/<batch>/manifest.xlsx     the manifest, ID numbers masked
    /permits/production/<batch>/print-sheet.pdf   the print sheet
    /permits/production/<batch>/reveal/           POST: the manifest with the full ID numbers, once
    /permits/production/<batch>/ready/            POST: the batch's cards are ready at their acceptance points
    /permits/issue/                               the clerk: cards ready at their point
    /permits/issue/<application>/                 issue one card (counter with a receipt, or mail)
    /permits/issue/<application>/receipt/         the receipt, to print
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.core.errors import DomainError, NotFound
from residence.core.forms import form_error
from residence.permits.models import Delivery
from residence.permits.printing import XLSX_TYPE, manifest_xlsx, print_sheet_pdf
from residence.permits.production import (
    batch_cards,
    batch_create,
    batch_ready,
    batch_reveal,
    batches_for_user,
    issue_page,
    permit_issue,
    production_queue,
    receipt_view,
)
from residence.permits.selectors import acceptance_queue
from residence.permits.workflow import Status


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _producer(request: HttpRequest) -> User:
    user = _user(request)
    if not can(user, Capability.PERMIT_PRODUCE):
        raise Http404
    return user


class RevealForm(forms.Form):
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=200)


class IssueForm(forms.Form):
    delivery = forms.ChoiceField(label=gettext_lazy("Delivery"), choices=Delivery.choices, widget=forms.RadioSelect,
                                 initial=Delivery.COUNTER)
    tracking_number = forms.CharField(label=gettext_lazy("Tracking number"), max_length=40, required=False)


@login_required
def production(request: HttpRequest) -> HttpResponse:
    """The production centre: approved applications of its area to put in a batch (chosen, or all), and its batches
    with where their cards are."""
    user = _producer(request)
    error = ""
    if request.method == "POST":
        chosen = None if request.POST.get("all") else [int(i) for i in request.POST.getlist("application")
                                                        if i.isdigit()]
        try:
            batch = batch_create(actor=user, application_ids=chosen)
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            error = exc.message
        else:
            count = batch.applications.count()
            messages.success(request, ngettext("Batch %(batch)s made: %(n)d card in production.",
                                               "Batch %(batch)s made: %(n)d cards in production.", count) % {
                "batch": batch, "n": count})
            return redirect("permits:production")
    return render(request, "permits/production_home.html", {
        "queue": production_queue(user=user), "batches": batches_for_user(user=user), "error": error,
        "reveal_form": RevealForm(auto_id=False)}, status=400 if error else 200)


@login_required
def manifest(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = _producer(request)
    try:
        batch, cards = batch_cards(user=user, batch_id=batch_id, file="manifest")
    except NotFound:
        raise Http404 from None
    response = HttpResponse(manifest_xlsx(batch, cards), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="manifest-{batch}.xlsx"'
    return response


@login_required
def print_sheet(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = _producer(request)
    try:
        batch, cards = batch_cards(user=user, batch_id=batch_id, file="print_sheet")
    except NotFound:
        raise Http404 from None
    response = HttpResponse(print_sheet_pdf(batch, cards), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="print-sheet-{batch}.pdf"'
    return response


@login_required
@require_POST
def reveal(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The manifest with the full ID numbers, answered once (the reveal is recorded)."""
    user = _producer(request)
    try:
        batch, cards = batch_reveal(actor=user, batch_id=batch_id, purpose=request.POST.get("purpose", ""))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("permits:production")
    response = HttpResponse(manifest_xlsx(batch, cards), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="manifest-{batch}-full.xlsx"'
    return response


@login_required
@require_POST
def ready(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = _producer(request)
    try:
        batch = batch_ready(actor=user, batch_id=batch_id)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The cards of batch %(batch)s are ready at their acceptance points.") % {
            "batch": batch})
    return redirect("permits:production")


@login_required
def issue_list(request: HttpRequest) -> HttpResponse:
    """The clerk's cards ready to hand over at their acceptance point."""
    user = _user(request)
    if not can(user, Capability.APPLICATION_ACCEPT):
        raise Http404
    rows = [a for a in acceptance_queue(user=user) if a.status == Status.READY]
    return render(request, "permits/production_issue_list.html", {"rows": rows})


@login_required
def issue(request: HttpRequest, application_id: int) -> HttpResponse:
    """Issue one ready card: handed over at the counter (a receipt) or mailed (a tracking number)."""
    user = _user(request)
    form = IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            permit_issue(actor=user, application_id=application_id, delivery=form.cleaned_data["delivery"],
                         tracking_number=form.cleaned_data["tracking_number"])
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The residence permit is issued."))
            return redirect("permits:issue_receipt", application_id)
    try:
        application, card, permit = issue_page(user=user, application_id=application_id)
    except NotFound:
        raise Http404 from None
    return render(request, "permits/production_issue.html", {
        "application": application, "card": card, "permit": permit, "form": form,
        "can_issue": application.status == Status.READY}, status=400 if form.errors else 200)


@login_required
def receipt(request: HttpRequest, application_id: int) -> HttpResponse:
    try:
        application, permit = receipt_view(user=_user(request), application_id=application_id)
    except NotFound:
        raise Http404 from None
    return render(request, "permits/production_receipt.html", {"application": application, "permit": permit})


urls: list[URLPattern] = [
    path("production/", production, name="production"),
    path("production/<int:batch_id>/manifest.xlsx", manifest, name="production_manifest"),
    path("production/<int:batch_id>/print-sheet.pdf", print_sheet, name="production_print_sheet"),
    path("production/<int:batch_id>/reveal/", reveal, name="production_reveal"),
    path("production/<int:batch_id>/ready/", ready, name="production_ready"),
    path("issue/", issue_list, name="issue_list"),
    path("issue/<int:application_id>/", issue, name="issue"),
    path("issue/<int:application_id>/receipt/", receipt, name="issue_receipt"),
]
