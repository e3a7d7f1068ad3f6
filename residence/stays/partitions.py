"""The stay table's monthly partitions on PostgreSQL, and the ids of new rows. Elsewhere (SQLite) one plain table.

Partitions are months of `declared_at` (UTC bounds), named `stays_stay_yYYYYmMM`, with a default partition that
catches anything outside them. The worker's daily job creates this month's and the next two months' partitions
ahead of time, so that rows never land in the default partition (a partition cannot be created for a month that
already has rows there).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from residence.core.bulk import next_id
from residence.core.lean import prepared

TABLE = "stays_stay"
SEQUENCE = "stays_stay_row_seq"


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def stay_partitions_ensure(first: dt.date, last: dt.date) -> int:
    """Create the monthly partitions from `first`'s month to `last`'s month that do not exist yet; returns how many
    were created (0 on SQLite)."""
    if connection.vendor != "postgresql":
        return 0
    made = 0
    month = _month_start(first)
    with connection.cursor() as cur:
        while month <= last:
            name = f"{TABLE}_y{month.year}m{month.month:02d}"
            cur.execute("SELECT to_regclass(%s) IS NULL", [name])
            if cur.fetchone()[0]:
                cur.execute(f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES FROM "
                            f"('{month.isoformat()} 00:00:00+00') TO ('{_next_month(month).isoformat()} 00:00:00+00')")
                made += 1
            month = _next_month(month)
    return made


def stay_partitions_ahead() -> int:
    """The daily job: this month's partition and the next two months'."""
    today = dt.datetime.now(dt.UTC).date()
    return stay_partitions_ensure(today, _next_month(_next_month(today)))


def stay_partitions() -> list[str]:
    """The names of the table's partitions (empty on SQLite), oldest first, the default last."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cur:
        cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = %s::regclass ORDER BY c.relname = %s, c.relname", [TABLE, f"{TABLE}_default"])
        return [r[0] for r in cur.fetchall()]


def stay_row_ids(n: int) -> list[int]:
    """Ids for `n` new stay rows, in order. Call inside the writing transaction: on SQLite that transaction holds
    the database's write lock (transaction_mode IMMEDIATE), so the ids cannot be taken twice."""
    if n <= 0:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(prepared(f"SELECT nextval('{SEQUENCE}') FROM generate_series(1, %s)"), [n])
            return [r[0] for r in cur.fetchall()]
    from residence.stays.models import Stay

    first = next_id(Stay)
    return list(range(first, first + n))


# The table as PostgreSQL keeps it: partitioned by month of declaration, the primary key with the partition key,
# ids from one sequence. Django's migration 0001 made a plain table; 0002 swaps it for this.
PARTITIONED_DDL = f"""
CREATE SEQUENCE {SEQUENCE};
CREATE TABLE {TABLE}_p (LIKE {TABLE} INCLUDING DEFAULTS) PARTITION BY RANGE (declared_at);
ALTER TABLE {TABLE}_p ALTER COLUMN id DROP IDENTITY IF EXISTS;
ALTER TABLE {TABLE}_p ALTER COLUMN id SET DEFAULT nextval('{SEQUENCE}');
DROP TABLE {TABLE};
ALTER TABLE {TABLE}_p RENAME TO {TABLE};
ALTER SEQUENCE {SEQUENCE} OWNED BY {TABLE}.id;
ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, declared_at);
ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_obligor_fk FOREIGN KEY (obligor_id) REFERENCES places_obligor (id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_unit_fk FOREIGN KEY (unit_id) REFERENCES places_unit (id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_person_fk FOREIGN KEY (person_id) REFERENCES people_person (id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_declared_by_fk FOREIGN KEY (declared_by_id) REFERENCES accounts_user (id)
    DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX stay_stay_id ON {TABLE} (stay_id);
CREATE INDEX stay_person_arrived ON {TABLE} (person_id, arrived_at);
CREATE INDEX stay_obligor_declared ON {TABLE} (obligor_id, declared_at);
CREATE INDEX stay_unit_arrived ON {TABLE} (unit_id, arrived_at);
CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT;
"""
