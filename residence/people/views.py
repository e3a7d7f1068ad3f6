from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from residence.accounts.roles import Capability, can
from residence.accounts.views import LoginView
from residence.core import divisions
from residence.core.errors import DomainError, NotFound, PermissionDenied
from residence.people.forms import ResidentLoginForm, ResidentSignupForm, ResidentVerifyForm, SearchForm, UnmaskForm
from residence.people.models import Person
from residence.people.selectors import person_own, person_registrations, person_search, person_view
from residence.people.services import person_unmask, resident_account_open, resident_signup_start


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


def _origin(person: Person) -> str:
    try:
        return divisions.name_of(person.origin_code, person.birth_date.year)
    except KeyError:
        return person.origin_code


@login_required
def detail(request: HttpRequest, person_id: int) -> HttpResponse:
    _require(request, Capability.PERSON_VIEW)
    try:
        person = person_view(user=request.user, person_id=person_id, purpose="record.opened")  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    return render(request, "people/detail.html", {
        "person": person, "origin": _origin(person),
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


class ResidentLoginView(LoginView):
    form_class = ResidentLoginForm
    template_name = "people/resident_login.html"


_CHALLENGE = "resident_signup_challenge"


def resident_signup(request: HttpRequest) -> HttpResponse:
    """Step 1 of opening a resident account: ID number and the phone on record; a code goes to that phone."""
    form = ResidentSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = resident_signup_start(id_number=form.cleaned_data["id_number"],
                                              phone=form.cleaned_data["phone"])
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            request.session[_CHALLENGE] = challenge.pk
            return redirect("me:verify")
    return render(request, "people/resident_signup.html", {"form": form}, status=400 if form.errors else 200)


def resident_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the text message and a password; the account is opened and the resident logged in."""
    challenge_id = request.session.get(_CHALLENGE)
    if challenge_id is None:
        return redirect("me:signup")
    form = ResidentVerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = resident_account_open(challenge_id=challenge_id, code=form.cleaned_data["code"],
                                         password=form.cleaned_data["password"])
        except DomainError as exc:
            if exc.code == "expired":
                request.session.pop(_CHALLENGE, None)
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("me:record")
    return render(request, "people/resident_verify.html", {"form": form}, status=400 if form.errors else 200)


@login_required(login_url="me:login")
def my_record(request: HttpRequest) -> HttpResponse:
    """A resident's own record: masked as everywhere, every opening logged."""
    try:
        person = person_own(user=request.user)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    return render(request, "people/my_record.html", {
        "person": person, "origin": _origin(person), "registrations": person_registrations(person=person),
    })
