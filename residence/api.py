"""The JSON API (django-ninja). OpenAPI at /api/docs. Each app adds its router here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from residence.core.ratelimit import RateLimited
from residence.people.api import router as people_router

api = NinjaAPI(
    title="residence API",
    version="0.1",
    description="Residence registration and residence permit information system (居住登记与居住证信息系统).",
    urls_namespace="api",
)


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    """Over a client's requests per minute: 429, with when to try again."""
    response = api.create_response(request, {"code": exc.code, "message": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.get("/ping", auth=None, tags=["system"], summary="Liveness, no database")
def ping(request: HttpRequest) -> dict[str, bool]:
    return {"ok": True}


api.add_router("/people", people_router)
