"""Serve the site with granian (WSGI), static files through WhiteNoise."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from residence.core.keys import keys_check
from residence.workbench.server import default_threads, default_workers, granian_argv


class Command(BaseCommand):
    help = "Serve the web UI and API with granian."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("RESIDENCE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("RESIDENCE_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=default_workers(), help="processes (RESIDENCE_WORKERS)")
        parser.add_argument("--threads", type=int, default=default_threads(),
                            help="threads in each process (RESIDENCE_THREADS; see residence/workbench/server.py)")

    def handle(self, *args: Any, **opts: Any) -> None:
        argv = granian_argv(host=opts["host"], port=opts["port"], workers=opts["workers"], threads=opts["threads"])
        problems = keys_check()
        if problems:
            raise CommandError("Refusing to serve:\n  - " + "\n  - ".join(problems) +
                               "\nSee docs/deployment.md; for the synthetic demo use `residence demo`.")
        self.stdout.write(f"Serving on http://{opts['host']}:{opts['port']}/  (Ctrl+C to stop)")
        self.stdout.flush()
        os.execv(argv[0], argv)  # noqa: S606 - replaces this process with the server
