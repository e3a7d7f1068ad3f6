from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from residence.accounts.roles import Capability, can
from residence.core import divisions
from residence.core.errors import DomainError, NotFound, PermissionDenied
from residence.people.forms import SearchForm, UnmaskForm
from residence.people.selectors import person_registrations, person_search, person_view
from residence.people.services import person_unmask


def _require(request: HttpRequest, cap: Capability) -> None:
    if not can(request.user, cap):
        raise Http404


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Search by POST, so that ID and phone numbers never appear in URLs, history or access logs."""
    _require(request, Capability.PERSON_SEARCH)
    form = SearchForm(request.POST if request.method == "POST" else None)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        results = person_search(user=request.user, query=form.cleaned_data["q"])  # type: ignore[arg-type]
    template = "people/_results.html" if request.htmx else "people/search.html"  # type: ignore[attr-defined]
    return render(request, template, {"form": form, "results": results})


@login_required
def detail(request: HttpRequest, person_id: int) -> HttpResponse:
    _require(request, Capability.PERSON_VIEW)
    try:
        person = person_view(user=request.user, person_id=person_id, purpose="record.opened")  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    try:
        origin = divisions.name_of(person.origin_code, person.birth_date.year)
    except KeyError:
        origin = person.origin_code
    return render(request, "people/detail.html", {
        "person": person, "origin": origin,
        "registrations": person_registrations(person=person),
        "can_unmask": can(request.user, Capability.PERSON_UNMASK), "unmask_form": UnmaskForm(),
    })


@login_required
@require_POST
def unmask(request: HttpRequest, person_id: int) -> HttpResponse:
    form = UnmaskForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            revealed = person_unmask(actor=request.user, person_id=person_id,  # type: ignore[arg-type]
                                     purpose=form.cleaned_data["purpose"])
        except (NotFound, PermissionDenied):
            raise Http404 from None
        except DomainError as exc:
            messages.error(request, exc.message)
    if revealed is None and not form.errors:
        form.add_error("purpose", _("State the purpose of revealing the full numbers."))
    return render(request, "people/_unmask.html", {"form": form, "revealed": revealed, "person_id": person_id},
                  status=200 if revealed else 400)
