"""Background worker: runs queued tasks (django-tasks database backend) and seals audit events into the chain."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from residence.audit.services import audit_seal


class Command(BaseCommand):
    help = "Run queued tasks and seal the audit chain, until stopped (or once with --once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=5.0)
        parser.add_argument("--once", action="store_true", help="one round, then exit")

    def handle(self, *args: Any, **opts: Any) -> None:
        while True:
            call_command("db_worker", batch=True, no_startup_delay=False, verbosity=0)
            while (block := audit_seal()) is not None:
                self.stdout.write(f"sealed audit block {block.seq} ({block.event_count} events)")
            if opts["once"]:
                return
            time.sleep(opts["interval"])
