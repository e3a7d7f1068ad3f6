"""Serving behind a TLS-terminating reverse proxy (docs/deployment.md).

`X-Forwarded-For` and `X-Forwarded-Proto` are believed only from the addresses in TRUSTED_PROXIES
(RESIDENCE_TRUSTED_PROXIES). From such a proxy, the client's address (the right-most address in X-Forwarded-For that
is not itself a trusted proxy) becomes REMOTE_ADDR, which everything else reads (the lockout, the rate limits, the
log), and X-Forwarded-Proto stays for SECURE_PROXY_SSL_HEADER. From anyone else, every forwarding header is dropped,
so that a client cannot claim another address or HTTPS. Over HTTPS, cookies are marked Secure.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                      "HTTP_X_FORWARDED_PORT", "HTTP_X_REAL_IP", "HTTP_FORWARDED")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(s.strip(), strict=False) for s in spec if s.strip())


def is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def forwarded_client(remote_addr: str, forwarded_for: str) -> str:
    """The client's address: walking X-Forwarded-For from the right, the first hop that is not a trusted proxy."""
    client = remote_addr
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage in the header: stop at the last hop we could believe
        client = hop
        if not is_trusted_proxy(hop):
            break
    return client


class TrustedProxyMiddleware:
    """First in MIDDLEWARE: everything after it sees the client's real address and scheme, or no forwarding
    headers at all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        remote = meta.get("REMOTE_ADDR", "")
        if remote and is_trusted_proxy(remote):
            meta["RESIDENCE_PROXY_ADDR"] = remote
            meta["REMOTE_ADDR"] = forwarded_client(remote, meta.pop("HTTP_X_FORWARDED_FOR", ""))
            for name in FORWARDING_HEADERS[2:]:
                meta.pop(name, None)
        else:
            for name in FORWARDING_HEADERS:
                meta.pop(name, None)
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response


def client_address(request: HttpRequest) -> str:
    """The client's address, as TrustedProxyMiddleware settled it (django-axes's AXES_CLIENT_IP_CALLABLE)."""
    return str(request.META.get("REMOTE_ADDR", ""))
