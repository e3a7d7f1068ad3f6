"""The e-permit's pages and files.

- What verifiers download, without an account: the public keys (`/.well-known/jwks.json`) and the signed status
  list (`/permits/status-list`).
- The public verification page (`/verify/`, no account, phone-first): a pasted token, a picture of a QR code or the
  camera (both decoded in the browser with jsQR, served from this site), checked through POST
  /api/v1/permits/verify; without JavaScript a pasted token is posted to the page itself, under the same
  per-address limit (`limits.public_verify_hit`).
- The holder's own e-permit on their page (`phone_section`, in the "居住证" section of /me/, and on a page of its own,
  `/permits/epermit/`, in the residents' menu): the phone token as a QR code with its expiry and the status proof,
  refreshed while the page is open from `/permits/epermit/mine/`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from residence.accounts.models import User
from residence.core.ratelimit import RateLimited
from residence.people.models import Person
from residence.permits.epermit import statuslist
from residence.permits.epermit.holder import holder_permit
from residence.permits.epermit.keys import jwks, permit_keys
from residence.permits.epermit.limits import public_verify_hit
from residence.permits.epermit.services import (
    LIST_REFRESH,
    PROOF_MINUTES,
    PhoneToken,
    Verification,
    phone_token,
    status_list_current,
    verify,
)
from residence.permits.models import Permit

# the verification page's words for each result, big on the screen (a context of their own: the permit's status
# names elsewhere read differently)
RESULT_WORDS = {
    "valid": pgettext_lazy("verification result", "Valid"),
    "suspended": pgettext_lazy("verification result", "Suspended (not endorsed)"),
    "dormant": pgettext_lazy("verification result", "Dormant"),
    "revoked": pgettext_lazy("verification result", "Revoked"),
    "expired": pgettext_lazy("verification result", "Expired"),
    "invalid": pgettext_lazy("verification result", "Invalid"),
}
RESULT_ADVICE = {
    "valid": pgettext_lazy("verification result", "The permit is genuine and in force."),
    "suspended": pgettext_lazy("verification result", "The permit is genuine but suspended: the yearly "
                               "endorsement was missed. It is not in force until it is endorsed."),
    "dormant": pgettext_lazy("verification result", "The permit is genuine but dormant: no registration or "
                             "employment is on record."),
    "revoked": pgettext_lazy("verification result", "This card or code is no longer in force."),
    "expired": pgettext_lazy("verification result", "This code is out of date. Ask the holder to open their page "
                             "again for a fresh one."),
    "invalid": pgettext_lazy("verification result", "This is not a code signed by this system, or it was "
                             "altered. Do not accept it."),
}


@require_GET
def jwks_view(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(jwks())
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def status_list_view(request: HttpRequest) -> HttpResponse:
    published = status_list_current()
    response = HttpResponse(published.token, content_type="application/statuslist+jwt")
    response["Cache-Control"] = f"public, max-age={LIST_REFRESH}"
    response["Access-Control-Allow-Origin"] = "*"
    response["Last-Modified"] = published.issued_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response


# --- the public verification page ------------------------------------------------------------------------------
def _shown(v: Verification) -> dict[str, Any]:
    expires = dt.datetime.fromtimestamp(v.claims.expires_at, tz=dt.UTC) if v.claims else None
    return {"result": v.result, "word": RESULT_WORDS[v.result], "advice": RESULT_ADVICE[v.result],
            "reason": v.reason, "number": v.permit_number, "name": v.name, "expires_at": expires,
            "checked_at": v.checked_at}


@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    """Anyone checks a permit's code: the page works with a picture or the camera through the API; a pasted code is
    also posted here (no JavaScript needed), counted against the same per-address limit as the API."""
    shown, error, status, token = None, "", 200, ""
    if request.method == "POST":
        token = request.POST.get("token", "")[:4096]
        try:
            public_verify_hit(request)
        except RateLimited as exc:
            error, status = exc.message, 429
        else:
            shown = _shown(verify(token=token))
    return render(request, "permits/epermit_verify.html", {
        "shown": shown, "error": error, "token": token, "words": RESULT_WORDS, "advice": RESULT_ADVICE,
        "api": "/api/v1/permits/verify"}, status=status)


# --- the holder's own e-permit ---------------------------------------------------------------------------------
def qr_svg(text: str, *, title: str = "") -> SafeString:
    """`text` as an inline SVG QR code (level M, a quiet zone of four modules); the page's CSS sizes it."""
    qr = segno.make(text, error="m", micro=False)
    svg = qr.svg_inline(scale=4, border=4, dark="#000", light="#fff", svgclass="epermit-qr", omitsize=True,
                        title=title or None)
    return mark_safe(svg)  # noqa: S308  # segno escapes the title; the rest is its own path markup


def _phone(permit: Permit, phone: PhoneToken) -> dict[str, Any]:
    proof = statuslist.decode_proof(phone.proof, permit_keys().public)  # what a verifier of the proof reads
    assert proof.proof_index is not None
    return {"token": phone.token, "expires_at": phone.expires_at,
            "proof": phone.proof, "proof_status": statuslist.WORDS[proof.status(proof.proof_index)],
            "proof_expires_at": dt.datetime.fromtimestamp(proof.expires_at, tz=dt.UTC),
            "svg": qr_svg(phone.token, title=_("My residence permit code"))}


def phone_section(request: HttpRequest, user: User, person: Person, own: bool) -> str:
    """The holder's e-permit on their own page: the QR code of a phone token, its expiry, the status proof; nothing
    for anyone else (staff see the permit, never the holder's token)."""
    if not own:
        return ""
    permit = holder_permit(user=user)
    if permit is None or permit.person_id != person.pk:
        return ""
    return render_to_string("permits/epermit_phone.html", _phone_context(permit), request=request)


def _phone_context(permit: Permit) -> dict[str, Any]:
    phone = _phone(permit, phone_token(permit=permit))
    return {"permit": permit, **phone, "word": RESULT_WORDS.get(phone["proof_status"], ""),
            "refresh_url": reverse("permits:epermit_mine"), "proof_minutes": PROOF_MINUTES}


@login_required(login_url="me:login")
@require_GET
def epermit_page(request: HttpRequest) -> HttpResponse:
    """The holder's e-permit on a page of its own (the residents' menu): the QR code first, to show on a phone."""
    permit = holder_permit(user=request.user)  # type: ignore[arg-type]
    return render(request, "permits/epermit_page.html",
                  _phone_context(permit) if permit is not None else {"none": True})


@login_required(login_url="me:login")
@require_GET
def epermit_mine(request: HttpRequest) -> HttpResponse:
    """A fresh phone token and status proof for the logged-in holder (their page refreshes with it)."""
    permit = holder_permit(user=request.user)  # type: ignore[arg-type]
    if permit is None:
        raise Http404
    phone = _phone(permit, phone_token(permit=permit))
    local = timezone.localtime
    response = JsonResponse({
        "token": phone["token"], "expires_at": phone["expires_at"].isoformat(),
        "expires_text": local(phone["expires_at"]).strftime("%Y-%m-%d %H:%M"),
        "proof": phone["proof"], "proof_status": phone["proof_status"],
        "proof_word": str(RESULT_WORDS.get(phone["proof_status"], "")),
        "proof_expires_at": phone["proof_expires_at"].isoformat(),
        "proof_expires_text": local(phone["proof_expires_at"]).strftime("%H:%M"),
        "svg": str(phone["svg"])})
    response["Cache-Control"] = "no-store"
    return response
