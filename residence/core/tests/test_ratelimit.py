"""The shared rate limiter: counts, refuses past the limit, restarts after its window, keeps no key in clear, and
counts exactly under concurrent processes' connections."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from residence.core import ratelimit
from residence.core.models import RateCounter
from residence.core.ratelimit import RateLimited, clear, hit, peek, ratelimit_purge_expired

pytestmark = pytest.mark.django_db


def test_counts_and_refuses_past_the_limit() -> None:
    assert [hit("t.login", "1.2.3.4", limit=3, per=60) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(RateLimited) as exc:
        hit("t.login", "1.2.3.4", limit=3, per=60)
    assert exc.value.code == "rate_limited"
    assert 1 <= exc.value.retry_after <= 60
    assert peek("t.login", "1.2.3.4") == 4  # the refused attempt counts too
    assert peek("t.login", "5.6.7.8") == 0  # another key has its own count
    assert peek("t.other", "1.2.3.4") == 0  # and another scope


def test_window_restarts_after_expiry_and_purge_removes_expired() -> None:
    hit("t.w", "k", limit=1, per=60)
    with pytest.raises(RateLimited):
        hit("t.w", "k", limit=1, per=60)
    RateCounter.objects.update(expires_at=time.time() - 1)  # the window has passed
    assert peek("t.w", "k") == 0
    assert hit("t.w", "k", limit=1, per=60) == 1
    hit("t.w2", "k", limit=5, per=60)
    RateCounter.objects.filter(count=1).exclude(pk=RateCounter.objects.order_by("expires_at").last().pk).update(
        expires_at=time.time() - 1)
    assert ratelimit_purge_expired() == 1
    assert RateCounter.objects.count() == 1


def test_clear_forgets_the_count() -> None:
    for _ in range(2):
        hit("t.c", "acct-7", limit=2, per=86400)
    clear("t.c", "acct-7")
    assert hit("t.c", "acct-7", limit=2, per=86400) == 1


def test_keys_are_not_stored_in_clear() -> None:
    hit("signup.id", "11010519491231002X", limit=5, per=3600)
    (row,) = RateCounter.objects.all()
    assert "11010519491231002X" not in row.key
    assert "signup" not in row.key
    assert len(row.key) == 64


def test_storage_is_the_database_by_default() -> None:
    assert isinstance(ratelimit.storage(), ratelimit.DatabaseStorage)


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite's in-memory test database locks whole tables "
                    "across connections; a served SQLite file serialises writers, so the upsert cannot interleave")
@pytest.mark.django_db(transaction=True)
def test_concurrent_connections_count_exactly() -> None:
    """Four threads, each with its own database connection (as separate server processes have), hit one key
    25 times each: the upsert is atomic, so the count is exactly 100 and exactly the hits past 60 are refused."""
    refused: list[int] = []

    def worker() -> None:
        for _ in range(25):
            try:
                hit("t.conc", "shared", limit=60, per=60)
            except RateLimited:
                refused.append(1)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peek("t.conc", "shared") == 100
    assert len(refused) == 40


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL table's persistence")
def test_counters_write_no_wal_on_postgresql() -> None:
    """Bumping a counter must not wait for a WAL flush while it holds the row every request of one key bumps
    (migration core/0003): the table is unlogged."""
    with connection.cursor() as cur:
        cur.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [RateCounter._meta.db_table])
        assert cur.fetchone()[0] == "u"
