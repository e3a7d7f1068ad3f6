from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.accounts.services import AccountLocked
from residence.accounts.views import LoginView
from residence.core.errors import DomainError, NotFound, PermissionDenied
from residence.core.proxy import client_address
from residence.people.choices import ResidenceReason
from residence.people.forms import ResidentCodeForm, ResidentLoginForm, ResidentPhoneForm, SearchForm, UnmaskForm
from residence.people.residents import (
    resident_account_open,
    resident_password_reset,
    resident_reset_start,
    resident_signup_start,
)
from residence.people.sections import person_sections
from residence.people.selectors import (
    person_own,
    person_reads_for_resident,
    person_registrations,
    person_search_page,
    person_shown,
    person_view,
    persons_shown,
    sees_birth_date,
)
from residence.people.services import person_unmask

if TYPE_CHECKING:  # the type checker's name for a string or a lazy translation
    from django_stubs_ext import StrOrPromise


def _require(request: HttpRequest, cap: Capability) -> None:
    if not can(request.user, cap):
        raise Http404


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Search by POST, so that ID and phone numbers never appear in URLs, history or access logs."""
    _require(request, Capability.PERSON_SEARCH)
    user: User = request.user  # type: ignore[assignment]
    form = SearchForm(request.POST if request.method == "POST" else None)
    results = page = None
    if form.is_valid() and form.cleaned_data["q"]:
        data = form.cleaned_data
        after = (data["after_form"], data["after_id"]) if data["after_form"] and data["after_id"] else None
        try:
            page = person_search_page(user=user, query=data["q"], after=after)
            results = persons_shown(user=user, persons=page.persons, addresses=True)
        except AccountLocked as exc:
            auth_logout(request)
            messages.error(request, exc.message)
            response = redirect("accounts:login")
            response["HX-Redirect"] = response["Location"]
            return response
        except DomainError as exc:
            form.add_error("q", exc.message)
    template = "people/_results.html" if request.htmx else "people/search.html"  # type: ignore[attr-defined]
    return render(request, template, {
        "form": form, "results": results, "page": page, "full_birth_dates": sees_birth_date(user),
        "page_number": (form.cleaned_data.get("page") or 1) if page and form.is_valid() else 1,
        "count": f"{page.count:,}" if page else "",
    })


@login_required
def detail(request: HttpRequest, person_id: int) -> HttpResponse:
    _require(request, Capability.PERSON_VIEW)
    user: User = request.user  # type: ignore[assignment]
    try:
        person = person_view(user=user, person_id=person_id, purpose="record.opened")
    except NotFound:
        raise Http404 from None
    return render(request, "people/detail.html", {
        "person": person_shown(user=user, person=person),
        "registrations": person_registrations(user=user, person=person),
        "can_unmask": can(user, Capability.PERSON_UNMASK), "unmask_form": UnmaskForm(),
        "can_record": can(user, Capability.REGISTRATION_RECORD), "reasons": ResidenceReason.choices,
        "today": timezone.localdate().isoformat(),
        "sections": person_sections(request, user=user, person=person, own=False),
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


@dataclass(frozen=True)
class _CodeFlow:
    """A resident's two steps proved by a code sent to their phone: opening an account, or a new password."""

    name: str
    start: Callable[..., Any]
    finish: Callable[..., User]
    title: StrOrPromise
    intro: StrOrPromise
    done: StrOrPromise
    no_code: StrOrPromise  # why a code may not come, said to everyone alike


_FLOWS = {
    "signup": _CodeFlow("signup", resident_signup_start, resident_account_open, gettext_lazy("Open a resident account"),
                        gettext_lazy("For people whose residence is registered in this city. Use the phone number "
                                     "given at registration."), gettext_lazy("Open account"),
                        gettext_lazy("If an account is already open for this ID number, no code is sent: log in, or "
                                     "reset the password.")),
    "reset": _CodeFlow("reset", resident_reset_start, resident_password_reset, gettext_lazy("Forgot the password"),
                       gettext_lazy("Give your ID number and the phone number on your record; a code is sent to it."),
                       gettext_lazy("Save the new password"),
                       gettext_lazy("If no account has been opened for this ID number yet, no code is sent: open one "
                                    "first.")),
}


def resident_code_start(request: HttpRequest, flow: str) -> HttpResponse:
    """Step 1: ID number and the phone on record; a code goes to that phone. Whether it matched anyone, the answer
    is the same: on to step 2 (people/residents.py)."""
    steps = _FLOWS[flow]
    form = ResidentPhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = steps.start(id_number=form.cleaned_data["id_number"], phone=form.cleaned_data["phone"],
                                    address=client_address(request))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            request.session[f"resident_{flow}_challenge"] = challenge.pk
            return redirect(f"me:{flow}_code")
    return render(request, "people/resident_code_start.html", {"form": form, "steps": steps},
                  status=400 if form.errors else 200)


def resident_code_finish(request: HttpRequest, flow: str) -> HttpResponse:
    """Step 2: the code from the text message and a password; the resident is then logged in."""
    steps = _FLOWS[flow]
    key = f"resident_{flow}_challenge"
    if key not in request.session:
        return redirect(f"me:{flow}")
    form = ResidentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = steps.finish(challenge_id=request.session[key], code=form.cleaned_data["code"],
                                password=form.cleaned_data["password"])
        except DomainError as exc:
            if exc.code == "expired":
                request.session.pop(key, None)
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            request.session.pop(key, None)
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("me:record")
    return render(request, "people/resident_code_finish.html", {"form": form, "steps": steps},
                  status=400 if form.errors else 200)


@login_required(login_url="me:login")
def my_record(request: HttpRequest) -> HttpResponse:
    """A resident's own record: masked as everywhere, every opening logged."""
    user: User = request.user  # type: ignore[assignment]
    try:
        person = person_own(user=user)
    except NotFound:
        raise Http404 from None
    return render(request, "people/my_record.html", {
        "person": person_shown(user=user, person=person),
        "registrations": person_registrations(user=user, person=person),
        "reads": person_reads_for_resident(user=user, person=person),
        "sections": person_sections(request, user=user, person=person, own=True),
    })
