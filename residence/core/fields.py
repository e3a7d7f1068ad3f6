"""Model fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db import models


class BytewiseCharField(models.CharField):  # type: ignore[type-arg]
    """Text compared byte by byte: codes and digests (address, unit and division codes, blind indexes) and names
    searched by prefix. On PostgreSQL the column gets the "C" collation, so that its indexes sort with memcmp rather
    than the locale's rules (about twice as fast to build and to search), and one plain index serves equality,
    prefix (LIKE 'x%') and ORDER BY alike. Elsewhere nothing changes. (Chinese text sorts by code point either way;
    PostgreSQL only knows it for "C".)"""

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
