"""What verifiers download, without an account: the public keys (`/.well-known/jwks.json`) and the signed status
list (`/permits/status-list`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from residence.permits.epermit.keys import jwks
from residence.permits.epermit.services import LIST_REFRESH, status_list_current


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
