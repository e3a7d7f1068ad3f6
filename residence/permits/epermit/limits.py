"""The one per-address limit on public verification, shared by the API (POST /api/v1/permits/verify) and the public
page (/verify/): PERMIT_VERIFY_RATE_PER_MINUTE checks a minute per client address, the addresses in
RATELIMIT_EXEMPT_ADDRESSES (such as the benchmark's) not counted. Raises `core.ratelimit.RateLimited` when over."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from residence.core import ratelimit
from residence.core.proxy import client_address


def public_verify_hit(request: HttpRequest) -> None:
    """Count one anonymous verification from the request's address; RateLimited past the limit."""
    address = client_address(request)
    if address not in settings.RATELIMIT_EXEMPT_ADDRESSES:
        ratelimit.hit("permit.verify", address, limit=settings.PERMIT_VERIFY_RATE_PER_MINUTE, per=60)
