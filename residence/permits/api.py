"""The permits API: anyone verifies an e-permit; a department client with `permit.verify` learns what its scope
allows. Public verification is limited per client address (`epermit.limits`, shared with the public page /verify/)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from residence.accounts.api_auth import bearer_token
from residence.core.ratelimit import RateLimited
from residence.core.schemas import ERRORS, ErrorOut
from residence.permits.epermit.limits import public_verify_hit
from residence.permits.epermit.services import Verification, verify
from residence.permits.schemas import VerifyIn, VerifyOut

router = Router(tags=["permits"])


@router.post("/verify", auth=None, response={200: VerifyOut, **ERRORS, 401: ErrorOut})
def permit_verify(request: HttpRequest, body: VerifyIn) -> dict[str, Any] | Status[ErrorOut]:
    """Is this e-permit genuine and in force? `valid`, `suspended`, `dormant`, `revoked` (replaced, reissued or
    cancelled), `expired` (the token's own validity has passed) or `invalid` (altered, forged, signed by an unknown
    or retired key, not a token), with the masked permit number and name. No account is needed; with a department
    client's bearer token holding `permit.verify`, a permit in its jurisdiction also shows the district of residence
    and the endorsement, and the read is logged with `purpose`."""
    user = None
    if "HTTP_AUTHORIZATION" in request.META:
        user = bearer_token(request)
        if user is None:
            return Status(401, ErrorOut(code="unauthorized", message="the bearer token is not valid"))
    else:
        public_verify_hit(request)
    return _answer(verify(token=body.token, user=user, purpose=body.purpose))


def _answer(v: Verification) -> dict[str, Any]:
    """The answer as `VerifyOut` has it, field for field (ninja checks it against the schema on its way out; the
    short way sends it as it is)."""
    claims = v.claims
    return {"result": v.result, "reason": v.reason,
            "permit": {"number": v.permit_number, "name": v.name} if claims else None,
            "expires_at": dt.datetime.fromtimestamp(claims.expires_at, tz=dt.UTC) if claims else None,
            "checked_at": v.checked_at, "department": v.department or None}


def permit_verify_short(request: HttpRequest) -> HttpResponse | None:
    """`permit_verify` for an anonymous, well-formed JSON POST, the same answer without URL resolution or ninja's
    machinery (a school's gate checks a permit a second; most of a check's time went there), reached from
    `core.middleware.SessionlessApiMiddleware`. None for anything else (another method or media type, a body that is
    not JSON or not the schema, a bearer token), which `permit_verify` answers in the API's own words."""
    if request.method != "POST" or request.content_type != "application/json" or "HTTP_AUTHORIZATION" in request.META:
        return None
    try:
        body = VerifyIn.model_validate_json(request.body)
    except ValueError:  # pydantic's ValidationError included
        return None
    try:
        public_verify_hit(request)
    except RateLimited as exc:
        from residence.api import rate_limited  # the API's 429 (the API imports this module)

        return rate_limited(request, exc)
    answer = _answer(verify(token=body.token, purpose=body.purpose))
    for moment in ("expires_at", "checked_at"):  # written as ninja's encoder (Django's) writes them, the rest as
        if answer[moment] is not None:  # plain JSON: ninja's encoder would be asked about each datetime in Python
            answer[moment] = _MOMENT(answer[moment])
    return HttpResponse(json.dumps(answer), content_type="application/json; charset=utf-8")


_MOMENT = DjangoJSONEncoder().default
