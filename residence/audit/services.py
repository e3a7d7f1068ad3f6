"""Writing audit events, and sealing them into the signed hash chain.

Keys (kind `audit`, `residence.core.keys`): the active key's HMAC tags each event when it is written; an Ed25519
key derived from it signs each block. Older keys of the ring still verify what they signed. After each seal the
chain's head is appended to the witness file (setting AUDIT_WITNESS_FILE), which the database's owner cannot
write; `audit verify` (selectors.chain_verify) checks the database against it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import multiprocessing.util
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from functools import cache
from operator import attrgetter
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from residence.audit.models import Block, Event
from residence.core.bulk import bulk_insert, json_value
from residence.core.keys import keyring
from residence.core.lean import prepared
from residence.core.middleware import current_request_id

GENESIS = "0" * 64
log = logging.getLogger(__name__)


class Actor(Protocol):
    pk: Any

    def get_username(self) -> str: ...


def _content(event: Event) -> bytes:
    """The canonical JSON form of what an event says (not its row id, which is known only after the insert)."""
    occurred = event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return json.dumps(
        [str(event.uid), occurred, event.actor_id, event.actor_label, event.action, event.subject_type,
         event.subject_id, event.data, event.request_id],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    ).encode()


def event_tag(event: Event, key: bytes) -> str:
    return hmac.digest(key, b"audit.event\x00" + _content(event), "sha256").hex()


def event_record(
    *,
    actor: Actor | None,
    action: str,
    subject_type: str = "",
    subject_id: object = "",
    data: dict[str, Any] | None = None,
    durable: bool = True,
) -> Event:
    """Append one event. Call it inside the service's transaction so that it commits or rolls back with the change.
    Outside a transaction (a read logged on its own) it is written with the events of other requests of this
    process that arrive at the same moment (`_grouped`), and committed before this returns, like any insert.

    `durable=False` is for an event that nobody acts upon once written, logged on its own at a high rate (an
    anonymous e-permit check: the school's gate has its answer whether or not the line is kept): outside a
    transaction, on PostgreSQL, it is handed to the process's audit writer (`_defer`) and this returns at once; the
    writer stores what has gathered every `AUDIT_DEFER_SECONDS` in one COPY, committed without waiting for the
    write-ahead log to reach the disk, and writes what is left when the process exits (`audit_flush`). The returned
    event has no id yet. A killed process may lose the events of its last moment, a database crash those of its
    last fraction of a second (at most three times `wal_writer_delay`), never the database's consistency. Inside a
    transaction the flag is ignored: the event commits as the transaction does."""
    label = ""
    actor_id = None
    if actor is not None and getattr(actor, "pk", None) is not None:
        actor_id = int(actor.pk)
        label = actor.get_username()
    ring = keyring("audit")
    event = Event(
        occurred_at=timezone.now(), actor_id=actor_id, actor_label=label, action=action, subject_type=subject_type,
        subject_id=str(subject_id), data=data or {}, request_id=current_request_id(), uid=uuid.uuid4(),
        key_id=ring.active_id,
    )
    # the JSON column's round trip (key order, number forms) must not change the tag: tag what will be read back
    if not _plain(event.data):
        event.data = json.loads(json.dumps(event.data, sort_keys=True))
    event.tag = event_tag(event, ring.active)
    if connection.in_atomic_block or not connection.get_autocommit():
        _insert([event])
    elif durable or connection.vendor != "postgresql" or not _defer(event):
        _grouped(event)
    return event


def _plain(data: dict[str, Any]) -> bool:
    """Whether `data` reads back from the JSON column as it is: text keys, and values that are text, whole numbers,
    booleans or null (most events: a verification's result and permit), so no round trip is needed to know it."""
    return all(type(k) is str and (v is None or type(v) in _PLAIN) for k, v in data.items())


_PLAIN = frozenset({str, int, bool})


def events_record_bulk(*, action: str, subjects: Iterable[tuple[str, object, dict[str, Any]]],
                       occurred_at: dt.datetime, actor: Actor | None = None) -> None:
    """Many events of one action at once (a nightly job's thousands of suspensions), each (subject type, subject
    id, data) tagged as `event_record` tags one, written by COPY in the caller's transaction."""
    actor_id = int(actor.pk) if actor is not None and getattr(actor, "pk", None) is not None else None
    label = actor.get_username() if actor is not None and actor_id is not None else ""
    ring = keyring("audit")

    def events() -> Iterator[Event]:
        for subject_type, subject_id, data in subjects:
            event = Event(occurred_at=occurred_at, actor_id=actor_id, actor_label=label, action=action,
                          subject_type=subject_type, subject_id=str(subject_id), request_id=current_request_id(),
                          uid=uuid.uuid4(), key_id=ring.active_id, data=json.loads(json.dumps(data, sort_keys=True)))
            event.tag = event_tag(event, ring.active)
            yield event

    _copy(events())


def _copy(events: Iterable[Event]) -> None:
    """Write the events by `bulk_insert` (COPY on PostgreSQL) in the caller's transaction, without their ids."""
    columns = [f.column for f in _insert_fields()[0]]
    uid_field: Any = Event._meta.get_field("uid")
    data_at = _data_position()
    uid_at = columns.index("uid")

    def rows() -> Iterator[list[Any]]:
        for event in events:
            row = list(_attributes()(event))
            row[data_at] = json_value(event.data)
            row[uid_at] = uid_field.get_db_prep_save(event.uid, connection)  # a hex string on SQLite
            yield row

    bulk_insert(Event, columns, rows())


class _Pending:
    __slots__ = ("done", "error", "event")

    def __init__(self, event: Event) -> None:
        self.event = event
        self.done = False
        self.error: BaseException | None = None


_group_lock = threading.Condition()
_group_queue: list[_Pending] = []
_group_leading = False


def _grouped(event: Event) -> None:
    """Group commit: the events that threads of this process log outside a transaction at the same moment are
    written by one of them (the leader, on its own connection) in one INSERT, one commit, and every thread returns
    once its own event is committed, or raises what the insert raised. Nobody waits for a group to fill: the leader
    takes whatever has queued, so a lone request is written at once and a busy server writes many per commit."""
    global _group_leading
    mine = _Pending(event)
    with _group_lock:
        _group_queue.append(mine)
        while not mine.done:
            if _group_leading:
                _group_lock.wait()
                continue
            _group_leading = True
            batch = _group_queue[:]
            _group_queue.clear()
            _group_lock.release()
            try:
                _insert_each(batch)
            finally:
                _group_lock.acquire()
                for p in batch:
                    p.done = True
                _group_leading = False
                _group_lock.notify_all()
    if mine.error is not None:
        raise mine.error


def _insert_each(batch: list[_Pending]) -> None:
    """The group in one INSERT; if that fails, each event again on its own, so that one bad event (a subject id too
    long for its column) fails only its own request. Every failure is kept for its request: none hangs."""
    try:
        _insert([p.event for p in batch])
        return
    except BaseException as exc:  # noqa: BLE001 - kept for its request, which raises it
        if len(batch) == 1:
            batch[0].error = exc
            return
    for p in batch:
        if p.event.pk is not None:  # written before the failure (one at a time, without RETURNING of many rows)
            continue
        try:
            _insert([p.event])
        except BaseException as exc:  # noqa: BLE001 - kept for its request, which raises it
            p.error = exc


# --- the audit writer: events nobody waits for ------------------------------------------------------------
# Anonymous e-permit checks, a thousand a second at a busy service: the request hands its event over and answers;
# one thread of the process writes what has gathered. Its queue holds at most DEFER_MAX events: beyond that (the
# database has stalled), requests write their own events again, as durable ones do, and so slow down with it.
DEFER_MAX = 20_000
_defer_lock = threading.Condition()
_defer_queue: list[Event] = []
_defer_taken = 0  # events the writer has taken and not yet written
_defer_flushes = 0  # callers of audit_flush waiting: the writer stops gathering
_defer_thread: threading.Thread | None = None


def _defer(event: Event) -> bool:
    """Queue the event for the writer (started with the first); False when the queue is full."""
    global _defer_thread
    with _defer_lock:
        if len(_defer_queue) >= DEFER_MAX:
            return False
        if _defer_thread is None:
            _defer_thread = threading.Thread(target=_writer, name="audit-writer", daemon=True)
            _defer_thread.start()
            # on the way out, the rest is written: atexit in a plain process, multiprocessing's finalizers in a
            # server's worker process (which leaves by os._exit, after them)
            multiprocessing.util.Finalize(None, audit_flush, exitpriority=100)
        _defer_queue.append(event)
        if len(_defer_queue) == 1:
            _defer_lock.notify_all()
    return True


def _writer() -> None:
    global _defer_taken
    while True:
        with _defer_lock:
            if not _defer_lock.wait_for(lambda: bool(_defer_queue), timeout=1.0):
                connection.close()  # idle: no connection is kept open for nothing
                _defer_lock.wait_for(lambda: bool(_defer_queue))
            # gather what arrives in the next moment (or until someone flushes): one COPY for many events
            _defer_lock.wait_for(lambda: _defer_flushes > 0, timeout=settings.AUDIT_DEFER_SECONDS)
            batch = _defer_queue[:]
            _defer_queue.clear()
            _defer_taken = len(batch)
        unwritten = _write_deferred(batch)
        with _defer_lock:
            _defer_queue[:0] = unwritten  # first in the next round
            if _defer_flushes and not _defer_queue:
                connection.close()  # someone waits for the end (the process's exit, a test): nothing left open
            _defer_taken = 0
            _defer_lock.notify_all()
        if unwritten:
            time.sleep(1)


def _write_deferred(batch: list[Event]) -> list[Event]:
    """Store the batch; if that fails, each event on its own, so that one event the database refuses is dropped
    (and logged) without the others. Returns the events to try again: all that are left when the database cannot
    be reached."""
    try:
        _copy_committed(batch)
        return []
    except (OperationalError, InterfaceError):  # the database is down or restarting: everything waits for it
        log.exception("the audit writer could not reach the database; it tries again in a second")
        connection.close()
        return batch
    except Exception:  # a refused event (a unique uid taken): the others are stored without it
        if len(batch) == 1:
            log.exception("an audit event could not be stored and is lost: %s", batch[0].uid)
            return []
    for n, event in enumerate(batch):
        if unwritten := _write_deferred([event]):
            return unwritten + batch[n + 1:]
    return []


def _copy_committed(events: list[Event]) -> None:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")  # this commit does not wait for the disk
        _copy(events)


def audit_flush(timeout: float = 30.0) -> bool:
    """Wait until the audit writer has stored every event handed to it so far (True), at most `timeout` seconds.
    Called when the process exits, and after each test outside a transaction; a test calls it before reading the
    events of anonymous checks."""
    global _defer_flushes
    with _defer_lock:
        _defer_flushes += 1
        _defer_lock.notify_all()
        try:
            return _defer_lock.wait_for(lambda: not _defer_queue and not _defer_taken, timeout=timeout)
        finally:
            _defer_flushes -= 1


def _forked() -> None:
    """A forked child has no writer thread; the events queued before the fork are its parent's to write."""
    global _defer_lock, _defer_thread, _defer_taken, _defer_flushes
    _defer_lock = threading.Condition()
    _defer_queue.clear()
    _defer_thread, _defer_taken, _defer_flushes = None, 0, 0


os.register_at_fork(after_in_child=_forked)


def _insert(events: list[Event]) -> None:
    """`Event.objects.bulk_create(events)` in one statement written once per process and group size: every API
    request records an event, and the ORM's insert compiler cost more than the insert (the values prepared by each
    field as the ORM prepares them; no signals are connected to Event)."""
    fields, returning = _insert_fields()
    if not returning:  # no INSERT … RETURNING of several rows: one at a time, each its id
        for event in events:
            _insert_rows([event], fields, returning)
        return
    _insert_rows(events, fields, returning)


def _insert_rows(events: list[Event], fields: list[Any], returning: bool) -> None:
    if connection.vendor == "postgresql":  # each value as psycopg takes it, as the fields would prepare it
        values = [v for e in events for v in _pg_values(e)]
    else:
        values = [f.get_db_prep_save(getattr(e, f.attname), connection) for e in events for f in fields]
    with connection.cursor() as cur:
        cur.execute(_insert_sql(len(events)), values)
        ids = [row[0] for row in cur.fetchall()] if returning else [cur.lastrowid]
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = connection.alias


@cache
def _insert_fields() -> tuple[list[Any], bool]:
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    return fields, bool(connection.features.can_return_rows_from_bulk_insert)


def _pg_values(event: Event) -> list[Any]:
    """An event's row for PostgreSQL: what `get_db_prep_save` of each field gives there (aware datetimes, UUIDs and
    text go as they are, the JSON as Jsonb), without a call for each field."""
    values = list(_attributes()(event))
    values[_data_position()] = Jsonb(event.data)
    return values


@cache
def _attributes() -> Any:
    return attrgetter(*(f.attname for f in _insert_fields()[0]))


@cache
def _data_position() -> int:
    return [f.attname for f in _insert_fields()[0]].index("data")


@cache
def _insert_sql(rows: int) -> str:
    """The INSERT of `rows` events."""
    q = connection.ops.quote_name
    fields, returning = _insert_fields()
    row = f"({', '.join(['%s'] * len(fields))})"
    back = f" RETURNING {q(Event._meta.pk.column)}" if returning else ""  # type: ignore[union-attr]
    return prepared(f"INSERT INTO {q(Event._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
                    f"VALUES {', '.join([row] * rows)}{back}")


SEAL_WAIT_SECONDS = 10.0


def _in_flight_settled(events: list[Event], first_id: int) -> list[Event]:
    """The run of events to seal when it lacks ids (PostgreSQL). An id below one already committed was taken before
    it, so whoever holds it is a transaction running now or ended: wait (at most SEAL_WAIT_SECONDS) for the
    transactions running now to end, then read the lacking ids again; what was committed meanwhile joins the run.
    If some still run after the wait, the run stops before the first id it lacks."""
    top = events[-1].pk
    with connection.cursor() as cur:
        cur.execute("SELECT array_agg(x::text) FROM pg_snapshot_xip(pg_current_snapshot()) AS x")
        running = cur.fetchone()[0] or []
        deadline = time.monotonic() + SEAL_WAIT_SECONDS
        while running:
            cur.execute("SELECT array_agg(x) FROM unnest(%s::text[]) AS x WHERE pg_xact_status(x::xid8) = "
                        "'in progress'", [running])
            running = cur.fetchone()[0] or []
            if not running or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
    held = {e.pk for e in events}
    lacking = [i for i in range(first_id, top + 1) if i not in held]
    events = sorted([*events, *Event.objects.filter(pk__in=lacking)], key=attrgetter("pk"))
    if not running:
        return events
    run = []
    for expected, e in enumerate(events, start=first_id):
        if e.pk != expected:
            break
        run.append(e)
    return run


def event_digest(event: Event) -> str:
    """SHA-256 of the event as sealed: its row id, its content and its tag."""
    return hashlib.sha256(f"{event.pk}:{event.key_id}:{event.tag}:".encode() + _content(event)).hexdigest()


def block_hash(prev_hash: str, digests: list[str]) -> str:
    h = hashlib.sha256(prev_hash.encode())
    for d in digests:
        h.update(d.encode())
    return h.hexdigest()


@cache
def _signing_key(kid: str) -> Ed25519PrivateKey:
    seed = hmac.digest(keyring("audit").get(kid), b"audit.block-signing", "sha256")
    return Ed25519PrivateKey.from_private_bytes(seed)


def verifying_key(kid: str) -> Ed25519PublicKey:
    return _signing_key(kid).public_key()


def block_header(block: Block) -> bytes:
    return (f"{block.seq}|{block.first_event_id}|{block.last_event_id}|{block.event_count}|"
            f"{json.dumps(sorted(block.skipped_ids))}|{block.prev_hash}|{block.hash}").encode()


def witness_path() -> str:
    return str(settings.AUDIT_WITNESS_FILE)


def _witness_append(block: Block) -> None:
    """Append the new head to the witness file: one JSON line per block, mode 0600."""
    line = json.dumps({"seq": block.seq, "hash": block.hash, "last_event_id": block.last_event_id,
                       "sealed_at": block.sealed_at.isoformat()})
    path = witness_path()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def audit_seal(*, grace_seconds: float | None = None, max_events: int = 50_000) -> Block | None:
    """Seal the unsealed events older than the grace period into the next block. Returns it, or None.

    The block covers the contiguous run of ids from the previous block's end up to the first event still inside
    the grace period; ids in that run that no event holds (rolled-back transactions) are listed as skipped. On
    PostgreSQL an id the run lacks may also belong to a transaction still running (a long job's, or the audit
    writer's after the database came back): the seal waits for the transactions running now (`_in_flight_settled`)
    before it calls an id skipped, and when they outlast the wait it stops before the first id it lacks."""
    grace = settings.AUDIT_SEAL_GRACE_SECONDS if grace_seconds is None else grace_seconds
    cutoff = timezone.now() - dt.timedelta(seconds=grace)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [0x5EA1])
        last = Block.objects.order_by("-seq").first()
        after = last.last_event_id if last else 0
        events = []
        for e in Event.objects.filter(id__gt=after).order_by("id")[:max_events]:
            if e.occurred_at > cutoff:
                break
            events.append(e)
        if not events:
            return None
        first_id = after + 1 if last else events[0].pk
        if len(events) < events[-1].pk - first_id + 1 and connection.vendor == "postgresql":
            events = _in_flight_settled(events, first_id)
            if not events:
                return None
        held = {e.pk for e in events}
        ring = keyring("audit")
        block = Block(
            seq=(last.seq + 1) if last else 1,
            sealed_at=timezone.now(),
            event_count=len(events),
            first_event_id=first_id,
            last_event_id=events[-1].pk,
            skipped_ids=[i for i in range(first_id, events[-1].pk + 1) if i not in held],
            prev_hash=last.hash if last else GENESIS,
            hash=block_hash(last.hash if last else GENESIS, [event_digest(e) for e in events]),
            key_id=ring.active_id,
        )
        block.signature = _signing_key(ring.active_id).sign(block_header(block)).hex()
        block.save(force_insert=True)
        transaction.on_commit(lambda: _witness_append(block))
    return block
