"""Exactly once under failure: 10,000 check-ins (5% invalid) from several clients, half of the batches sent again,
the server killed with SIGKILL in the middle once and PostgreSQL restarted in the middle once. Afterwards the counts
reconcile exactly: accepted = stored, no stay twice, every rejection explained.

It runs the real thing: a throwaway PostgreSQL cluster of its own on a free port (never the shared server), the
project migrated into it by `residence demo --no-serve`, `residence serve` (granian) in front, and clients over
HTTP that retry as docs/integrators.md tells integrators to (same body, same keys).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from residence.core.idnumber import check_character

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
pytestmark = [
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="runs in the PostgreSQL leg of the suite (it starts its own PostgreSQL cluster)"),
    pytest.mark.skipif(BIN is None or shutil.which("runuser") is None,
                       reason="needs PostgreSQL's server binaries and runuser to start a throwaway cluster"),
]
ITEMS, BATCH, CLIENTS = 10_000, 500, 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_postgres(*argv: str) -> None:
    """PostgreSQL's tools refuse to run as root: run them as the postgres user when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *argv], check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def cluster() -> Iterator[tuple[str, Path, int]]:
    home = Path(tempfile.mkdtemp(prefix="residence-pg-"))  # outside pytest's private (0700, root's) directories
    data = home / "data"
    data.mkdir(mode=0o700)
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    assert BIN is not None
    as_postgres(str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    ctl = [str(BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-w",
           "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"]
    as_postgres(*ctl, "start")
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/postgres", data, port
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(home, ignore_errors=True)


def guest(n: int) -> str:
    first = f"440308{1960 + n % 40}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first + check_character(first)


def test_check_ins_reconcile_exactly_after_a_killed_server_and_a_restarted_database(tmp_path: Path) -> None:
    with cluster() as (url, data, pg_port):
        env = {**os.environ, "DATABASE_URL": url, "RESIDENCE_VAR_DIR": str(tmp_path / "var"),
               "RESIDENCE_KEY_DIR": str(tmp_path / "var" / "keys"),
               "RESIDENCE_AUDIT_WITNESS": str(tmp_path / "var" / "witness.jsonl"), "RESIDENCE_CONN_MAX_AGE": "60"}
        env.pop("RESIDENCE_SECRET_KEY", None)
        demo = subprocess.run([sys.executable, "-m", "residence.cli", "demo", "--persons", "100", "--no-serve"],
                              env=env, capture_output=True, text=True, timeout=600, check=True)
        key = re.search(r"Hotel API key[^\n]*\n\s+(res_\S+)", demo.stdout)
        assert key is not None, demo.stdout
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {key.group(1)}"}

        def start_server() -> subprocess.Popen[bytes]:
            server = subprocess.Popen([sys.executable, "-m", "residence.cli", "serve", "--port", str(port),
                                       "--workers", "2"], env=env, start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(120):
                with contextlib.suppress(requests.RequestException):
                    if requests.get(f"{base}/healthz", timeout=2).ok:
                        return server
                time.sleep(0.5)
            raise AssertionError("the server did not start")

        server = start_server()
        try:
            units = [u["code"] for u in requests.get(f"{base}/api/v1/stays/units", headers=headers, timeout=10).json()]
            assert units
            rng = random.Random(7)
            invalid = set(rng.sample(range(ITEMS), ITEMS // 20))
            items = []
            for n in range(ITEMS):
                number = guest(n)
                if n in invalid:  # a wrong check character
                    number = number[:-1] + ("0" if number[-1] != "0" else "1")
                items.append({"idempotency_key": f"rel-{n}", "id_number": number, "name": "测试客",
                              "unit_code": units[n % len(units)], "arrived_at": "2026-12-01T08:00:00+08:00"})
            batches = [items[i:i + BATCH] for i in range(0, ITEMS, BATCH)]
            answers: dict[int, list[dict[str, Any]]] = {}
            lock = threading.Lock()
            failures = {"errors": 0}

            def send(index: int) -> list[dict[str, Any]]:
                while True:  # retry as integrators are told to: the same body, the same keys
                    try:
                        r = requests.post(f"{base}/api/v1/stays/check-ins", json={"items": batches[index]},
                                          headers=headers, timeout=60)
                        if r.status_code == 200:
                            return list(r.json()["results"])
                        assert r.status_code >= 500 or r.status_code == 429, r.text
                    except requests.RequestException:
                        pass
                    with lock:
                        failures["errors"] += 1
                    time.sleep(0.3)

            def client(mine: list[int]) -> None:
                for index in mine:
                    first = send(index)
                    with lock:
                        answers[index] = first
                    if index % 2 == 0:  # half the batches are sent again
                        again = send(index)
                        for a, b in zip(first, again, strict=True):
                            assert b["status"] == ("duplicate" if a["status"] != "rejected" else "rejected")
                            assert b.get("stay_id") == a.get("stay_id")

            threads = [threading.Thread(target=client, args=(list(range(c, len(batches), CLIENTS)),))
                       for c in range(CLIENTS)]
            for t in threads:
                t.start()
            while len(answers) < len(batches) // 4:
                time.sleep(0.05)
            os.killpg(server.pid, signal.SIGKILL)  # the server dies in the middle of batches
            server.wait(timeout=30)
            server = start_server()
            while len(answers) < len(batches) // 2:
                time.sleep(0.05)
            as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "log"),  # type: ignore[operator]
                        "-m", "fast", "-w", "restart",
                        "-o", f"-p {pg_port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off")
            for t in threads:
                t.join(timeout=600)
            assert len(answers) == len(batches)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)

        results = [r for i in sorted(answers) for r in answers[i]]
        assert len(results) == ITEMS
        accepted = {r["stay_id"] for r in results if r["status"] in ("accepted", "duplicate")}
        rejected = [n for n, r in enumerate(results) if r["status"] == "rejected"]
        assert set(rejected) == invalid  # exactly the invalid items, each explained
        assert all(results[n]["errors"][0]["code"] == "id_check" for n in rejected)
        assert len(accepted) == ITEMS - len(invalid)
        with psycopg.connect(url) as db:
            # the posted check-ins (the demo's own year of stays carries no idempotency key)
            stored = db.execute("SELECT count(*), count(DISTINCT idempotency_key), count(DISTINCT stay_id) "
                                "FROM stays_stay WHERE event = 'check_in' AND idempotency_key <> ''").fetchone()
            assert stored == (len(accepted), len(accepted), len(accepted))  # accepted = stored, nothing twice
            ids = {r[0] for r in db.execute("SELECT stay_id FROM stays_stay WHERE event = 'check_in' "
                                                    "AND idempotency_key <> ''")}
            assert ids == accepted
            assert db.execute("SELECT count(*) FROM stays_staykey").fetchone() == (len(accepted),)
        assert failures["errors"] > 0  # the failures really happened while clients were sending
