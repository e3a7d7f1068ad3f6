from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from residence.accounts.forms import (
    ClientCreateForm,
    LoginForm,
    OtpConfirmForm,
    OtpRemoveForm,
    PasswordCodeForm,
    ReasonForm,
    StaffCreateForm,
)
from residence.accounts.models import User
from residence.accounts.roles import Capability, Kind, Role, can, grantable_roles
from residence.accounts.selectors import api_clients_for, otp_devices_count, staff_account_facts, staff_accounts_for
from residence.accounts.services import (
    account_unlock,
    api_client_create_for,
    api_client_get,
    api_client_token_revoke,
    api_client_token_rotate,
    otp_device_confirm,
    otp_device_confirmed,
    otp_device_prepare,
    otp_device_remove,
    otp_device_reset,
    password_code_issue,
    password_code_use,
    staff_account_create,
    staff_account_deactivate,
    staff_account_get,
    staff_account_reactivate,
)
from residence.core.errors import DomainError, NotFound
from residence.core.forms import form_error


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        device = getattr(form, "otp_device", None)
        if device is not None:
            otp_login(self.request, device)
        return response


class LogoutView(auth_views.LogoutView):
    next_page = "accounts:login"


@never_cache  # the page shows a secret key: no copy in any cache or in the browser's history
@login_required
def otp(request: HttpRequest) -> HttpResponse:
    """Set up (enrol) or remove the authenticator app that gives a staff account its second factor.

    The two forms name their action, so that a form left open in another tab cannot do the other thing."""
    user = request.user
    if not isinstance(user, User) or user.kind != Kind.STAFF:
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    if request.method == "POST" and action not in {"confirm", "remove"}:
        return HttpResponse(status=400)
    confirm_form = OtpConfirmForm(request.POST if action == "confirm" else None)
    remove_form = OtpRemoveForm(request.POST if action == "remove" else None)
    form = confirm_form if action == "confirm" else remove_form
    if action and form.is_valid():
        try:
            if action == "confirm":
                device = otp_device_confirm(user=user, token=form.cleaned_data["token"])
                otp_login(request, device)  # the code just given also verifies this session
                messages.success(request, _("The authenticator app is set up. From now on, log-in asks for its "
                                            "code."))
            else:
                otp_device_remove(user=user, token=form.cleaned_data["token"])
                messages.success(request, _("The authenticator app has been removed. Log-in no longer asks for a "
                                            "code."))
            return redirect("accounts:otp")
        except DomainError as exc:
            if exc.field not in form.fields:  # not about the code typed: set up or removed meanwhile in another tab
                messages.error(request, exc.message)
                return redirect("accounts:otp")
            form.add_error(exc.field, exc.message)

    context: dict[str, Any] = {"require_otp": settings.STAFF_REQUIRE_OTP}
    enrolled = otp_device_confirmed(user=user)
    if enrolled is not None:
        context.update(enrolled=enrolled, form=remove_form)
    else:
        try:
            pending = otp_device_prepare(user=user)
        except DomainError as exc:  # set up meanwhile in another tab
            messages.error(request, exc.message)
            return redirect("accounts:otp")
        context.update(pending=pending, form=confirm_form, qr_svg=_qr_svg(pending),
                       secret_groups=_secret_groups(pending))
    return render(request, "accounts/otp.html", context, status=400 if form.errors else 200)


def _secret_groups(device: TOTPDevice) -> list[str]:
    """The key in base32, as authenticator apps take it by hand, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return [secret[i:i + 4] for i in range(0, len(secret), 4)]


def _qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as a QR code, drawn here as inline SVG (no script, no outside service)."""
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", svgclass="otp-qr", omitsize=True,
                        title=_("QR code for the authenticator app"))  # a viewBox: the page's CSS sizes it
    return mark_safe(svg)  # noqa: S308  # segno escapes the title; the rest is its own path markup


# Administration (/manage/accounts/, /manage/clients/): thin pages over accounts.services and accounts.selectors,
# for those who hold account.manage or client.manage. A page outside the actor's reach is "not found".

def _require(request: HttpRequest, capability: Capability) -> User:
    user = request.user
    if not isinstance(user, User) or not can(user, capability):
        raise Http404
    return user


@login_required
def manage_accounts(request: HttpRequest) -> HttpResponse:
    actor = _require(request, Capability.ACCOUNT_MANAGE)
    q = request.GET.get("q", "")[:150]
    rows, total = staff_accounts_for(actor=actor, q=q)
    return render(request, "accounts/manage/accounts.html", {"rows": rows, "total": total, "q": q})


def _role_choices(actor: User) -> list[tuple[str, str]]:
    return [(r, str(Role(r).label)) for r in grantable_roles(actor)]


@login_required
def manage_account_new(request: HttpRequest) -> HttpResponse:
    actor = _require(request, Capability.ACCOUNT_MANAGE)
    form = StaffCreateForm(request.POST or None, roles=_role_choices(actor),
                           initial={"jurisdiction_code": actor.jurisdiction_code, "role": Role.CLERK})
    if request.method == "POST":
        # a role outside the list still reaches the service, which refuses it in the same words
        form.fields["role"].choices = [(r, str(label)) for r, label in Role.choices]  # type: ignore[attr-defined]
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = staff_account_create(actor=actor, username=data["username"], password=data["password1"],
                                            role=data["role"], jurisdiction_code=data["jurisdiction_code"],
                                            display_name=data["display_name"])
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Created the account %(name)s.") % {"name": user.username})
                return redirect("manage:account", username=user.username)
        form.fields["role"].choices = _role_choices(actor)  # type: ignore[attr-defined]
    return render(request, "accounts/manage/account_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def manage_account(request: HttpRequest, username: str) -> HttpResponse:
    actor = _require(request, Capability.ACCOUNT_MANAGE)
    try:
        row = staff_account_facts(actor=actor, username=username)
    except NotFound:
        raise Http404 from None
    return render(request, "accounts/manage/account.html", {
        "row": row, "target": row.user, "form": ReasonForm(), "devices": otp_devices_count(user=row.user),
        "is_self": row.user.pk == actor.pk, "code_hours": settings.PASSWORD_CODE_HOURS})


_ACCOUNT_ACTIONS: dict[str, tuple[Any, Any]] = {
    "deactivate": (staff_account_deactivate, gettext_lazy("Deactivated the account.")),
    "reactivate": (staff_account_reactivate, gettext_lazy("Reactivated the account.")),
    "unlock": (account_unlock, gettext_lazy("Unlocked the account. The staff member can log in again.")),
    "otp-reset": (otp_device_reset, gettext_lazy("Removed the authenticator app. The staff member logs in with the "
                                                 "password and sets up the new phone.")),
}


@require_POST
@login_required
def manage_account_action(request: HttpRequest, username: str, action: str) -> HttpResponse:
    """One of the actions that take a reason, on a staff account the actor administers."""
    actor = _require(request, Capability.ACCOUNT_MANAGE)
    if action not in _ACCOUNT_ACTIONS:
        raise Http404
    service, done = _ACCOUNT_ACTIONS[action]
    try:
        staff_account_get(actor=actor, username=username)
        service(actor=actor, username=username, reason=request.POST.get("reason", "")[:200])
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(done))
    return redirect("manage:account", username=username)


@never_cache  # the page shows the code: no copy in any cache
@require_POST
@login_required
def manage_password_code(request: HttpRequest, username: str) -> HttpResponse:
    """Issue a one-time code for a new password and show it, once."""
    actor = _require(request, Capability.ACCOUNT_MANAGE)
    try:
        code, expires = password_code_issue(actor=actor, username=username)
    except NotFound:
        raise Http404 from None
    return render(request, "accounts/manage/password_code.html", {"target": username, "code": code,
                                                                   "expires": expires})


@never_cache
def password_with_code(request: HttpRequest) -> HttpResponse:
    """A staff member sets a new password with the one-time code their administrator gave them (no log-in)."""
    form = PasswordCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            password_code_use(username=data["username"], code=data["code"], password=data["password1"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Your new password is set. Log in with it."))
            return redirect("accounts:login")
    return render(request, "accounts/password_code.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def manage_clients(request: HttpRequest) -> HttpResponse:
    actor = _require(request, Capability.CLIENT_MANAGE)
    return render(request, "accounts/manage/clients.html", {"rows": api_clients_for(actor=actor),
                                                            "form": ReasonForm()})


def _token_page(request: HttpRequest, name: str, token: str) -> HttpResponse:
    response = render(request, "accounts/manage/token.html", {"name": name, "token": token})
    add_never_cache_headers(response)
    return response


@login_required
def manage_client_new(request: HttpRequest) -> HttpResponse:
    actor = _require(request, Capability.CLIENT_MANAGE)
    form = ClientCreateForm(request.POST or None, initial={"jurisdiction_code": actor.jurisdiction_code})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token = api_client_create_for(actor=actor, name=data["name"], scopes=data["scopes"],
                                          jurisdiction_code=data["jurisdiction_code"], days=data["days"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            return _token_page(request, " ".join(data["name"].split()), token)
    return render(request, "accounts/manage/client_new.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@login_required
def manage_client_action(request: HttpRequest, client_id: int, action: str) -> HttpResponse:
    actor = _require(request, Capability.CLIENT_MANAGE)
    try:
        client = api_client_get(actor=actor, client_id=client_id)
        if action == "rotate":
            return _token_page(request, client.name, api_client_token_rotate(actor=actor, client_id=client_id))
        if action != "revoke":
            raise NotFound("")
        api_client_token_revoke(actor=actor, client_id=client_id, reason=request.POST.get("reason", "")[:200])
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Revoked the token of %(name)s.") % {"name": client.name})
    return redirect("manage:clients")
