"""Run one queued import job in this process and print its seconds and peak memory as JSON (`residence bench`)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from residence.bench.uploads import measured_run


class Command(BaseCommand):
    help = "Run one queued import job here; print {seconds, vmhwm_mb, status, error} as JSON (for the bench)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job_id", type=int)

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(json.dumps(measured_run(opts["job_id"])))
