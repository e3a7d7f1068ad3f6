"""The JSON API (django-ninja). OpenAPI at /api/docs. Each app adds its router here."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI

from residence.people.api import router as people_router

api = NinjaAPI(
    title="residence API",
    version="0.1",
    description="Residence registration and residence permit information system (居住登记与居住证信息系统).",
    urls_namespace="api",
)


@api.get("/ping", auth=None, tags=["system"], summary="Liveness, no database")
def ping(request: HttpRequest) -> dict[str, bool]:
    return {"ok": True}


api.add_router("/people", people_router)
