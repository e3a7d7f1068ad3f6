"""The JSON API (django-ninja). OpenAPI at /api/docs. Each app adds its router here."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser

from residence.core.middleware import holds_nul
from residence.core.ratelimit import RateLimited
from residence.core.schemas import UnparseableOut
from residence.people.api import router as people_router
from residence.permits.api import router as permits_router
from residence.stays.api import router as stays_router


class UnparseableBody(ValueError):
    """A request body that is not JSON, with words saying why."""


class JsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body)
        except UnicodeDecodeError:
            raise UnparseableBody(_("The request body is not JSON: it is not UTF-8 text.")) from None
        except json.JSONDecodeError as exc:
            raise UnparseableBody(
                _("The request body is not JSON: %(problem)s at line %(line)d, column %(column)d.")
                % {"problem": exc.msg, "line": exc.lineno, "column": exc.colno}) from None
        if b"\\u0000" in request.body and holds_nul(data):  # the text search first: a walk costs more
            # no field takes one, and PostgreSQL refuses it in text and JSON: refused here, for every operation
            raise UnparseableBody(_("The request body holds a NUL character (U+0000), which no field accepts."))
        return data


class ResidenceAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        """Ninja's schema, with the 400 answer to an unparseable body on every operation that takes a body."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["UnparseableOut"] = (
            UnparseableOut.model_json_schema())
        for operations in schema["paths"].values():
            for operation in operations.values():
                if "requestBody" in operation:
                    operation["responses"]["400"] = {
                        "description": "Bad Request: the body is not JSON",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UnparseableOut"}}}}
        return schema


api = ResidenceAPI(
    title="residence API",
    version="0.1",
    description="Residence registration and residence permit information system (居住登记与居住证信息系统).",
    urls_namespace="api",
    parser=JsonParser(),
)


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    """Over a client's requests per minute: 429, with when to try again."""
    response = api.create_response(request, {"code": exc.code, "message": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's answer to an HTTP error, with the reason when the body could not be parsed."""
    cause = exc.__cause__
    detail = str(cause) if isinstance(cause, UnparseableBody) else str(exc)
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.get("/ping", auth=None, tags=["system"], summary="Liveness, no database")
def ping(request: HttpRequest) -> dict[str, bool]:
    return {"ok": True}


api.add_router("/people", people_router)
api.add_router("/v1/stays", stays_router)
api.add_router("/v1/permits", permits_router)
