from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database reachability, for load balancers and monitoring."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return JsonResponse({"status": "error", "database": "unreachable", "detail": type(exc).__name__},
                            status=503)
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The CSRF refusal as a page of the site, in the user's language (Django's own is an English debug page)."""
    return render(request, "403_csrf.html", status=403)
