"""How the project is served: granian (WSGI) with a few worker processes and a few threads in each. `residence
serve` runs it, and `residence bench` serves its figures the same way.

Threads: Python runs one thread of a process at a time, so threads beyond what keeps a process busy while others
wait on the database add no throughput, only turns waited for: a thread back from the database waits for the one
running Python to let go. Requests beyond the threads wait in granian, outside Python. Single check-ins at 16 front
desks on two cores (`residence bench --only stays`): granian's default (hundreds of threads a process) gave a p99 of
95 to 150 ms; eight threads 81 to 99 ms; four threads 75 to 78 ms, at a few per cent more requests a second. In
scratch loads two and three threads did a little better still (p99 54 to 66 ms, against 66 for four and 81 to 84
for eight), but they leave a process fewer requests under way while some wait on a slow page. A site with many slow
pages at once (long reports) may raise RESIDENCE_THREADS; more throughput comes from more workers (processes), as
many as the machine's cores."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "config.wsgi:application"


def default_workers() -> int:
    return int(os.environ.get("RESIDENCE_WORKERS", "2"))


def default_threads() -> int:
    return int(os.environ.get("RESIDENCE_THREADS", "4"))


def granian_argv(*, host: str, port: int, workers: int, threads: int, app: str = APP) -> list[str]:
    """granian's command line serving `app` (WSGI) on host:port."""
    granian = str(Path(sys.executable).with_name("granian"))
    return [granian, "--interface", "wsgi", "--host", host, "--port", str(port), "--workers", str(workers),
            "--blocking-threads", str(threads), "--no-ws", app]
