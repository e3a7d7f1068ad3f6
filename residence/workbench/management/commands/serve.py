"""Serve the site with granian (WSGI), static files through WhiteNoise."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Serve the web UI and API with granian."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("RESIDENCE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("RESIDENCE_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("RESIDENCE_WORKERS", "2")))
        parser.add_argument("--demo", action="store_true", help="synthetic data only: allow the development key")

    def handle(self, *args: Any, **opts: Any) -> None:
        granian = os.path.join(os.path.dirname(sys.executable), "granian")
        argv = [granian, "--interface", "wsgi", "--host", opts["host"], "--port", str(opts["port"]),
                "--workers", str(opts["workers"]), "--no-ws", "config.wsgi:application"]
        if settings.SECRET_KEY == settings._DEV_SECRET and not (settings.DEBUG or opts["demo"]):
            # the field-encryption and blind-index keys derive from it when not set: refuse rather than protect
            # real personal data with a key printed in the source
            raise CommandError("RESIDENCE_SECRET_KEY is not set. Set it, and RESIDENCE_FIELD_KEY and "
                               "RESIDENCE_INDEX_KEY (base64 of 32 random bytes each), before serving; see "
                               "docs/deployment.md. For the synthetic demo use `residence demo`.")
        self.stdout.write(f"Serving on http://{opts['host']}:{opts['port']}/  (Ctrl+C to stop)")
        self.stdout.flush()
        os.execv(granian, argv)  # noqa: S606 - replaces this process with the server
