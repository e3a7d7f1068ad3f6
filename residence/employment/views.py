"""Pages of evidence and employment: the evidence section of the staff person page (people.sections) with its
form, and the employer's page of hires and separations (/employment/mine/, with the table upload). Thin: the
services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.core.errors import DomainError, NotFound
from residence.core.forms import form_error
from residence.core.uploads import table_import_page
from residence.employment.forms import EvidenceForm, HireForm, SeparationForm, WithdrawForm
from residence.employment.imports import COLUMNS, reports_commit, reports_done, reports_example, reports_preview
from residence.employment.selectors import employer_history, employer_late_counts, employer_workers, evidence_of_person
from residence.employment.services import (
    employer_of,
    employment_report_hire,
    employment_report_separation,
    evidence_record,
    evidence_withdraw,
)
from residence.people.models import Person


def evidence_section(request: HttpRequest, user: User, person: Person, own: bool) -> str:
    """The person's evidence and the form to enter more, on the staff person page of a clerk or administrator."""
    if own or not can(user, Capability.EVIDENCE_RECORD):
        return ""
    try:
        evidence = evidence_of_person(user=user, person_id=person.pk)
    except NotFound:
        return ""
    return render_to_string("employment/_evidence.html", {
        "person": person, "evidence": evidence, "form": EvidenceForm(), "withdraw_form": WithdrawForm()},
        request=request)


@login_required
@require_POST
def evidence_add(request: HttpRequest, person_id: int) -> HttpResponse:
    try:  # out of scope: "not found", whatever was posted
        evidence_of_person(user=request.user, person_id=person_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    if not can(request.user, Capability.EVIDENCE_RECORD):
        raise Http404
    form = EvidenceForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            evidence = evidence_record(
                actor=request.user, person_id=person_id, kind=d["kind"],  # type: ignore[arg-type]
                started_on=d["started_on"], ended_on=d["ended_on"], document=d["document"],
                school_level=d["school_level"], full_time=d["full_time"], safety_compliant=d["safety_compliant"])
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Evidence recorded: %(kind)s from %(from)s.") % {
                "kind": evidence.get_kind_display(), "from": evidence.started_on.isoformat()})
            return redirect(reverse("people:detail", args=[person_id]) + "#evidence")
    return render(request, "employment/evidence_form.html", {"form": form, "person_id": person_id}, status=400)


@login_required
@require_POST
def evidence_remove(request: HttpRequest, evidence_id: int) -> HttpResponse:
    form = WithdrawForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        evidence = evidence_withdraw(actor=request.user, evidence_id=evidence_id,  # type: ignore[arg-type]
                                     reason=str(reason))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        person_id = request.POST.get("person", "")
        if person_id.isdigit():
            return redirect(reverse("people:detail", args=[int(person_id)]) + "#evidence")
        raise Http404 from None
    messages.success(request, _("Evidence withdrawn: %(kind)s.") % {"kind": evidence.get_kind_display()})
    return redirect(reverse("people:detail", args=[evidence.person_id]) + "#evidence")


def _employer(request: HttpRequest):  # type: ignore[no-untyped-def]
    try:
        return employer_of(request.user)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """An employer's workers: report a hire, a separation; the latest separations; how many reports came late."""
    employer = _employer(request)
    form = HireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            employment = employment_report_hire(actor=request.user, id_number=d["id_number"],  # type: ignore[arg-type]
                                                name=d["name"], phone=d["phone"], hired_on=d["hired_on"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            said = _("Hire reported: %(name)s from %(on)s.") % {"name": employment.person.name,
                                                                "on": employment.hired_on.isoformat()}
            if employment.hire_late:
                said += " " + _("Reported late: it was due by %(due)s.") % {"due": employment.hire_due_on.isoformat()}
            messages.success(request, said)
            return redirect("employment:mine")
    return render(request, "employment/mine.html", {
        "employer": employer, "form": form, "workers": employer_workers(employer=employer),
        "history": employer_history(employer=employer), "late": employer_late_counts(employer=employer),
        "today": timezone.localdate().isoformat()}, status=400 if form.errors else 200)


@login_required
@require_POST
def separation(request: HttpRequest, employment_id: int) -> HttpResponse:
    _employer(request)
    form = SeparationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date the worker left."))
        return redirect("employment:mine")
    try:
        employment = employment_report_separation(actor=request.user,  # type: ignore[arg-type]
                                                  employment_id=employment_id,
                                                  separated_on=form.cleaned_data["separated_on"])
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        said = _("Separation reported: %(name)s left on %(on)s.") % {
            "name": employment.person.name, "on": employment.separated_on.isoformat()}  # type: ignore[union-attr]
        if employment.separation_late:
            said += " " + _("Reported late: it was due by %(due)s.") % {
                "due": employment.separation_due_on.isoformat()}  # type: ignore[union-attr]
        messages.success(request, said)
    return redirect("employment:mine")


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """An employer uploads hires and separations as a table: upload → preview → confirm (core.uploads)."""
    _employer(request)
    user = request.user
    return table_import_page(
        request, title=_("Upload hires and separations"), again="employment:upload", columns=COLUMNS,
        intro=_("One row per hire (招用) or separation (离职). Download the template, fill it in, upload it: every "
                "row is checked before anything is written."),
        example=reports_example,
        check=lambda name, data: reports_preview(actor=user, filename=name, data=data),  # type: ignore[arg-type]
        commit=lambda name, data, mode: reports_commit(actor=user, filename=name,  # type: ignore[arg-type]
                                                       data=data, mode=mode),  # type: ignore[arg-type]
        done=reports_done)
