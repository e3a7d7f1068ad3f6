"""Statements marked by core.lean.prepared are prepared by PostgreSQL on first use; no other statement is, however
often it runs (a name search must keep plans made for its prefix); errors still come through Django's wrapper."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from residence.core.lean import PREPARED, prepared

pytestmark = pytest.mark.django_db

_MARKED = prepared("SELECT CAST(%s AS integer) + 1 AS answer_marked")
_PLAIN = "SELECT CAST(%s AS integer) + 2 AS answer_plain"


def _prepared_statements() -> list[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cur.fetchall()]


def test_a_marked_statement_answers_like_any_other() -> None:
    assert _MARKED.startswith(PREPARED)
    with connection.cursor() as cur:
        cur.execute(_MARKED, [41])
        assert cur.fetchone()[0] == 42


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_only_marked_statements_are_prepared() -> None:
    with connection.cursor() as cur:
        for n in range(20):  # psycopg's own default would prepare the plain one after five runs
            cur.execute(_MARKED, [n])
            assert cur.fetchone()[0] == n + 1
            cur.execute(_PLAIN, [n])
            assert cur.fetchone()[0] == n + 2
    statements = _prepared_statements()
    assert any("answer_marked" in s for s in statements)
    assert not any("answer_plain" in s for s in statements)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_a_failing_marked_statement_raises_djangos_error_and_the_connection_goes_on() -> None:
    with connection.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE prepared_probe (k int PRIMARY KEY)")
    insert = prepared("INSERT INTO prepared_probe (k) VALUES (%s)")
    with connection.cursor() as cur:
        cur.execute(insert, [1])
        with pytest.raises(IntegrityError), transaction.atomic():  # django.db's, not psycopg's
            cur.execute(insert, [1])
        cur.execute(insert, [2])  # prepared again after the rollback dropped the statements
        cur.execute("SELECT count(*) FROM prepared_probe")
        assert cur.fetchone()[0] == 2
