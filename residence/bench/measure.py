"""Measurements behind `residence bench`: the machine's raw limits and the project's figures, in one run."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:
    from residence.accounts.models import User

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""
    raw_name: str = ""
    raw_value: float | None = None

    @property
    def ratio(self) -> float | None:
        if not self.raw_value:
            return None
        return self.value / self.raw_value

    @property
    def met(self) -> bool | None:
        """Whether the figure meets its target ("≥ 5,000", "≤ 50 ms", "≥ 30%" of its raw limit), None without
        one."""
        m = re.fullmatch(r"([≥≤])\s*([\d,.]+)\s*(%?).*", self.target.strip())
        if m is None:
            return None
        bound = float(m[2].replace(",", ""))
        if m[3]:
            if self.ratio is None:
                return None
            value, bound = self.ratio, bound / 100
        else:
            value = self.value
        return value >= bound if m[1] == "≥" else value <= bound


def raw_single_insert(n: int = 3_000) -> float:
    """Single-row INSERTs per second, each its own transaction (autocommit), plain psycopg."""
    with connection.cursor() as cur:
        raw = cur.cursor
        raw.execute("DROP TABLE IF EXISTS bench_raw; CREATE UNLOGGED TABLE bench_raw (id bigint, a text, b bytea)")
        payload = os.urandom(48)
        t = time.perf_counter()
        for i in range(n):
            raw.execute("INSERT INTO bench_raw VALUES (%s, %s, %s)", (i, "张三", payload))
        elapsed = time.perf_counter() - t
        raw.execute("DROP TABLE bench_raw")
    return n / elapsed


def raw_copy(n: int = 500_000) -> float:
    """Rows per second through COPY of rows as wide as a person (ids, text, bytes, dates)."""
    import datetime as dt

    with connection.cursor() as cur:
        raw = cur.cursor
        raw.execute(
            "DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (id bigint, enc bytea, idx text, masked text,"
            " name text, born date, code text, phone bytea, pidx text)"
        )
        enc, born = os.urandom(47), dt.date(1990, 1, 1)
        idx = "a" * 64
        t = time.perf_counter()
        with raw.copy("COPY bench_copy FROM STDIN") as copy:
            for i in range(n):
                copy.write_row((i, enc, idx, "440305**********3X", "张三丰", born, "440305", enc, idx))
        elapsed = time.perf_counter() - t
        raw.execute("DROP TABLE bench_copy")
    return n / elapsed


def raw_point_select_latencies(n: int) -> list[float]:
    """Seconds per indexed point SELECT of one person row by primary key (plain psycopg, the same table and run as
    the look-ups and searches): the floor any look-up stands on."""
    from residence.people.models import Person

    table = Person._meta.db_table
    pks = _random_person_ids(n, seed=3)
    out = []
    with connection.cursor() as cur:
        raw = cur.cursor
        for pk in pks[:50]:  # warm-up, as for the searches
            raw.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
            raw.fetchall()
        for pk in pks:
            t = time.perf_counter()
            raw.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
            raw.fetchall()
            out.append(time.perf_counter() - t)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(port: int, path: str, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def http_rate(port: int, path: str, seconds: float = 4.0, clients: int = 4) -> float:
    """Requests per second from `clients` keep-alive connections for `seconds` (bounded, loopback only)."""
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def run(k: int) -> None:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        while time.monotonic() < stop:
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            counts[k] += 1

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return sum(counts) / (time.perf_counter() - t)


def serve(app: str, port: int, env: dict[str, str], *, workers: int = 2) -> subprocess.Popen[bytes]:
    """`app` served by granian as `residence serve` serves the project (`workbench.server`), with `workers`."""
    from residence.workbench.server import default_threads, granian_argv

    return subprocess.Popen(  # noqa: S603 - our own server binary on loopback
        granian_argv(host="127.0.0.1", port=port, workers=workers, threads=default_threads(), app=app), cwd=ROOT,
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def http_pair(seconds: float) -> tuple[float, float]:
    """(bare JSON app req/s, project's /api/ping req/s), both under granian with 2 workers."""
    env = dict(os.environ)
    results = []
    for app, path in [("residence.bench.bare:app", "/"), ("config.wsgi:application", "/api/ping")]:
        port = free_port()
        proc = serve(app, port, env)
        try:
            if not wait_http(port, path):
                raise RuntimeError(f"{app} did not start")
            http_rate(port, path, seconds=0.5)  # warm-up
            results.append(http_rate(port, path, seconds=seconds))
        finally:
            stop(proc)
    return results[0], results[1]


def lookup_latencies(n: int) -> list[float]:
    """Seconds per person look-up by full ID number, as a counter clerk does it: scoped search + audit event."""
    from residence.audit.services import event_record
    from residence.people.identity import reveal_id_number
    from residence.people.models import Person
    from residence.places.selectors import jurisdiction_path_for_user
    from residence.registrations.models import Registration

    user = _bench_user("admin")
    pks = _random_person_ids(n, seed=1)
    # persons the administrator sees (a look-up that finds nobody counts towards locking the account): those
    # registered now in the city, by the registrations' area index; `person_scope` would also walk every hotel
    # check-in of the city, minutes at 10 million stays
    registered = Registration.objects.filter(person_id__in=pks, ended_on__isnull=True,
                                             area_path__startswith=jurisdiction_path_for_user(user) or "-")
    encs = dict(Person.objects.filter(pk__in=registered.values("person_id")).values_list("pk", "id_number_enc"))
    ids = [reveal_id_number(encs[p]) for p in pks if p in encs]
    # the bench reads full numbers to type them, like a clerk reading an ID card: on the record, like any reveal
    event_record(actor=None, action="person.identity.unmasked", subject_type="bench",
                 data={"persons": len(ids), "purpose": "bench: look-ups by ID number"})
    return _search_latencies(user, ids, warm_up=50)


def name_search_latencies(n: int, username: str = "clerk") -> list[float]:
    """Seconds per name search as staff type it, in turn: a surname, a surname and the first given-name
    character, the full pinyin of the surname and the pinyin initials of the whole name: the first page of 50 in
    the user's scope with its count (exact up to 1,000), plus the audit event."""
    from residence.people.identity import name_forms
    from residence.people.models import Person

    user = _bench_user(username)
    names = Person.objects.filter(pk__in=_random_person_ids(n, seed=2)).values_list("name", flat=True)
    queries = []
    for i, name in enumerate(names):
        latin = sorted(f for f in name_forms(name) if f.isascii())
        kind = i % 4
        if kind < 2 or not latin:
            queries.append(name[: 1 + kind % 2])
        elif kind == 2:
            queries.append(max(latin, key=len)[:4])  # "huan", "wang": a surname's full pinyin as typed
        else:
            queries.append(min(latin, key=len))  # the initials, "hjh"
    return _search_latencies(user, queries, warm_up=20)


def street_user() -> User:
    """A clerk bound to a street of the demo city (the demo has no street-level log-in): the bench's own."""
    from residence.accounts.models import User
    from residence.accounts.roles import Role
    from residence.accounts.services import user_create

    user = User.objects.filter(username="bench_street").first()
    if user is None:
        user = user_create(actor=None, username="bench_street", password=os.urandom(12).hex() + "Aa#1",
                           role=Role.CLERK, jurisdiction_code="440308002", display_name="盐田街道受理员(基准)",
                           check_password=False)
    return user


def _bench_user(username: str) -> User:
    from residence.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise RuntimeError(f"no {username} user: run the demo generation first")
    return user


def _random_person_ids(n: int, *, seed: int) -> list[int]:
    from residence.people.models import Person

    top = Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rng = random.Random(seed)
    return [rng.randint(1, top) for _ in range(n)]


def _search_latencies(user: User, queries: list[str], *, warm_up: int) -> list[float]:
    """Seconds per `person_search` of each query, after searching the first `warm_up` once untimed."""
    from residence.people.selectors import person_search

    for q in queries[:warm_up]:
        person_search(user=user, query=q)
    out = []
    for q in queries:
        t = time.perf_counter()
        person_search(user=user, query=q)
        out.append(time.perf_counter() - t)
    return out


def demo_ready_seconds(port: int) -> float:
    """From an installed environment to a served page: `residence demo` on a fresh SQLite database."""
    var = tempfile.mkdtemp(prefix="residence-bench-")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["RESIDENCE_VAR_DIR"] = var
    exe = str(Path(sys.executable).with_name("residence"))
    t = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own command
        [exe, "demo", "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        ok = wait_http(port, "/accounts/login/", timeout=300)
        elapsed = time.perf_counter() - t
    finally:
        stop(proc)
        shutil.rmtree(var, ignore_errors=True)
    if not ok:
        raise RuntimeError("the demo did not serve a page")
    return elapsed


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1] if len(values) > 1 else values[0]


@dataclass
class Load:
    """What `post_load` measured: answers per second, how many, each request's seconds, what `tally` counted in
    the answers (by default their `result`: e-permit verification answers carry one), and the seconds it took."""

    rate: float
    n: int
    latencies: list[float] = field(default_factory=list)
    results: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def result_tally(text: bytes) -> dict[str, int]:
    """An answer's `result`, counted once (nothing for an answer without one)."""
    return {json.loads(text)["result"]: 1} if text.startswith(b'{"result"') else {}


def post_load(port: int, path: str, bodies: list[list[bytes]], headers: dict[str, str] | None = None, *,
              seconds: float, tally: Callable[[bytes], Mapping[str, int]] = result_tally) -> Load:
    """One keep-alive connection per client, each posting its bodies in turn until `seconds` pass (math.inf: no
    limit) or its bodies run out; every answer must be 200, and what `tally` finds in each is added up."""
    headers = {**(headers or {}), "Content-Type": "application/json"}
    latencies: list[list[float]] = [[] for _ in bodies]
    results: list[Counter[str]] = [Counter() for _ in bodies]
    failed: list[str] = []
    stop_at = time.monotonic() + seconds

    def run(k: int) -> None:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine, seen = latencies[k], results[k]
        try:
            for body in bodies[k]:
                if time.monotonic() >= stop_at:
                    break
                t = time.perf_counter()
                c.request("POST", path, body=body, headers=headers)
                r = c.getresponse()
                text = r.read()
                mine.append(time.perf_counter() - t)
                if r.status != 200:
                    failed.append(f"{path} answered {r.status}: {text[:300]!r}")
                    return
                seen.update(tally(text))
        except OSError as exc:
            failed.append(f"{path}: {exc!r}")

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(bodies))]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t
    if failed:
        raise RuntimeError(failed[0])
    flat = [x for mine in latencies for x in mine]
    return Load(len(flat) / elapsed, len(flat), flat, sum(results, Counter()), elapsed)


@dataclass
class Target:
    """An endpoint to load: its port and path, each round's bodies per client (`bodies(round)`), its headers."""

    port: int
    path: str
    bodies: Callable[[int], list[list[bytes]]]
    headers: dict[str, str] | None = None


ROUNDS = 4  # windows per endpoint in `interleaved_loads`


def interleaved_loads(targets: list[Target], *, seconds: float, rounds: int = ROUNDS) -> list[Load]:
    """Each target loaded `rounds` times for `seconds` by `post_load`, the targets taking turns, the order turned
    round each time, so that a machine whose speed drifts from one second to the next (a shared virtual machine:
    a bare endpoint here gave 3,100 and 6,300 req/s in windows of one run) weighs on every target alike; a ratio of
    two endpoints measured one after the other was a draw. Each target's windows are added up into one Load."""
    windows: list[list[Load]] = [[] for _ in targets]
    for r in range(rounds):
        turn = r % len(targets)
        for k in [*range(turn, len(targets)), *range(turn)]:
            t = targets[k]
            windows[k].append(post_load(t.port, t.path, t.bodies(r), t.headers, seconds=seconds))
    out = []
    for loads in windows:
        n, elapsed = sum(w.n for w in loads), sum(w.seconds for w in loads)
        out.append(Load(n / elapsed, n, [x for w in loads for x in w.latencies],
                        sum((w.results for w in loads), Counter()), elapsed))
    return out
