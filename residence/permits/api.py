"""The permits API: anyone verifies an e-permit; a department client with `permit.verify` learns what its scope
allows. Public verification is limited per client address (`epermit.limits`, shared with the public page /verify/)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Status

from residence.accounts.api_auth import bearer_token
from residence.core.schemas import ERRORS, ErrorOut
from residence.permits.epermit.limits import public_verify_hit
from residence.permits.epermit.services import verify
from residence.permits.schemas import DepartmentShown, PermitShown, VerifyIn, VerifyOut

router = Router(tags=["permits"])


@router.post("/verify", auth=None, response={200: VerifyOut, **ERRORS, 401: ErrorOut})
def permit_verify(request: HttpRequest, body: VerifyIn) -> VerifyOut | Status[ErrorOut]:
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
    v = verify(token=body.token, user=user, purpose=body.purpose)
    claims = v.claims
    return VerifyOut(
        result=v.result, reason=v.reason, checked_at=v.checked_at,
        permit=PermitShown(number=v.permit_number, name=v.name) if claims else None,
        expires_at=dt.datetime.fromtimestamp(claims.expires_at, tz=dt.UTC) if claims else None,
        department=DepartmentShown(**v.department) if v.department else None)
