"""The one rate limiter, shared by every server process and the worker.

Fixed windows of `per` seconds, counted in a storage of the `limits` library. By default the storage is this
project's database table (`core.RateCounter`, one atomic upsert per hit, so every process on every machine that
shares the database shares the counts); `RESIDENCE_RATELIMIT_STORAGE` may name any storage `limits` supports
(`redis://…`, `memcached://…`) once its client library is installed.

    hit("signup.address", address, limit=10, per=3600)   # counts one; RateLimited when over the limit
    peek("signup.address", address)                      # the current count, without counting
    clear("signup.address", address)                     # forget the count (an administrator unlocks)

Each scope is one purpose with one window: its caller always passes the same `per`.

A hit is written in the caller's transaction: call it where a later error does not roll it back (a view, a
selector), or the failed attempt would not count. Keys are HMAC digests under the blind-index key, so a counter
never stores an ID number, a phone number or an address in clear.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils.translation import gettext as _
from limits.storage import Storage, storage_from_string

from residence.core.crypto import blind_index
from residence.core.errors import DomainError
from residence.core.lean import prepared


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, scope: str, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(_("Too many attempts. Try again in %(minutes)d minutes.") % {"minutes": minutes})
        self.scope = scope
        self.retry_after = retry_after


class DatabaseStorage(Storage):
    """A `limits` storage in the project's database: `incr` is one INSERT … ON CONFLICT DO UPDATE … RETURNING,
    atomic on PostgreSQL and SQLite alike; a counter past its expiry starts again from the increment."""

    STORAGE_SCHEME = ["django"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return DatabaseError

    def _table(self) -> str:
        from residence.core.models import RateCounter

        return connection.ops.quote_name(RateCounter._meta.db_table)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        t = self._table()
        with connection.cursor() as cur:
            cur.execute(prepared(
                f"INSERT INTO {t} (key, count, expires_at) VALUES (%s, %s, %s) "  # table name is ours
                f"ON CONFLICT (key) DO UPDATE SET "
                f"count = CASE WHEN {t}.expires_at <= %s THEN excluded.count ELSE {t}.count + excluded.count END, "
                f"expires_at = CASE WHEN {t}.expires_at <= %s THEN excluded.expires_at ELSE {t}.expires_at END "
                f"RETURNING count"),
                [key, amount, now + expiry, now, now],
            )
            return int(cur.fetchone()[0])

    def _row(self, key: str) -> tuple[int, float] | None:
        with connection.cursor() as cur:
            cur.execute(prepared(f"SELECT count, expires_at FROM {self._table()} WHERE key = %s"), [key])
            row = cur.fetchone()
        if row is None or row[1] <= time.time():
            return None
        return int(row[0]), float(row[1])

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        self.get("health")
        return True

    def reset(self) -> int | None:
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {self._table()}")
            return cur.rowcount

    def clear(self, key: str) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {self._table()} WHERE key = %s", [key])

    def purge_expired(self) -> int:
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {self._table()} WHERE expires_at <= %s", [time.time()])
            return cur.rowcount


@cache
def storage() -> Any:
    return storage_from_string(getattr(settings, "RATELIMIT_STORAGE", "django://"))


def _key(scope: str, key: str) -> str:
    """One counter per (scope, key): a scope is one purpose with one window, named by its caller."""
    return blind_index(key, context=f"ratelimit:{scope}")


def hit(scope: str, key: str, *, limit: int, per: int) -> int:
    """Count one attempt in the current window of `per` seconds; return the count, or raise RateLimited when the
    count passes `limit`. An attempt over the limit is counted too, so hammering does not open the window early."""
    k = _key(scope, key)
    count = storage().incr(k, per)
    if count > limit:
        raise RateLimited(scope, max(1, int(storage().get_expiry(k) - time.time())))
    return int(count)


def peek(scope: str, key: str, *, per: int | None = None) -> int:
    """The count in the current window, without counting (`per` is accepted for symmetry with `hit`)."""
    return int(storage().get(_key(scope, key)))


def clear(scope: str, key: str) -> None:
    """Forget the count of `key` in `scope` (an administrator unlocks an account)."""
    storage().clear(_key(scope, key))


def ratelimit_purge_expired() -> int:
    """Delete expired counters (a job of the worker's schedule); 0 for storages that expire keys themselves."""
    s = storage()
    return s.purge_expired() if isinstance(s, DatabaseStorage) else 0
