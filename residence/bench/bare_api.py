"""The raw limit for a single declaration: Django and ninja answering a POST with one INSERT, nothing else.

The same request body as a one-item check-in (parsed into the same schema), one row into a bench table, an answer
in JSON; no middleware, no authentication, no validation of the item, no encryption, no audit. Served by the same
granian, the same way as the project (`residence.bench.bare_api:application`), with the project's settings and
database; never mounted in the project's URLconf: this module is its own URLconf, set on each request. For the
e-permit figure, `/verify` does the same with the verification's body (parsed into its schema, one INSERT).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.http import HttpRequest
from django.urls import path
from django.utils import timezone
from ninja import NinjaAPI

from residence.permits.schemas import VerifyIn
from residence.stays.schemas import CheckInsIn

TABLE = "bench_bare_declaration"

api = NinjaAPI(urls_namespace="bench_bare", docs_url=None, openapi_url=None)


@api.get("/ping")
def ping(request: HttpRequest) -> dict[str, bool]:
    return {"ok": True}


@api.post("/check-ins")
def bare_check_in(request: HttpRequest, body: CheckInsIn) -> dict[str, int]:
    item = body.items[0].model_dump(exclude_unset=True)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {TABLE} (idempotency_key, item, created_at) VALUES (%s, %s, %s) RETURNING id",
                    [str(item.get("idempotency_key")), json.dumps(item, ensure_ascii=False), timezone.now()])
        return {"id": int(cur.fetchone()[0])}


@api.post("/verify")
def bare_verify(request: HttpRequest, body: VerifyIn) -> dict[str, int]:
    """The e-permit figure's bare endpoint: the verification's body parsed into its schema, one row written."""
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {TABLE} (idempotency_key, item, created_at) VALUES (%s, %s, %s) RETURNING id",
                    [body.token[-100:], body.purpose, timezone.now()])
        return {"id": int(cur.fetchone()[0])}


urlpatterns = [path("", api.urls)]


def table_create() -> None:
    """The bench table the bare endpoint writes into (empty), on PostgreSQL or SQLite."""
    key = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY AUTOINCREMENT"
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(f"CREATE TABLE {TABLE} (id {key}, idempotency_key varchar(100) NOT NULL, item text NOT NULL, "
                    f"created_at {'timestamptz' if connection.vendor == 'postgresql' else 'datetime'} NOT NULL)")


def table_rows() -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {TABLE}")
        return int(cur.fetchone()[0])


def table_drop() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")


class BareHandler(WSGIHandler):
    """Django's WSGI handler with no middleware at all (as with MIDDLEWARE = []), routing to this module."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Callable[..., Any]] = []
        self._template_response_middleware: list[Callable[..., Any]] = []
        self._exception_middleware: list[Callable[..., Any]] = []
        inner = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]

        def route(request: HttpRequest) -> Any:
            request.urlconf = __name__  # type: ignore[attr-defined]
            return inner(request)

        self._middleware_chain = route
