"""Background worker: runs the schedule (queued tasks, sealing the audit chain, purges; `workbench/schedule.py`)."""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from residence.core.collector import collector_tune
from residence.workbench.schedule import jobs, run_due


class Command(BaseCommand):
    help = "Run the worker's schedule until stopped (or one round with --once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=5.0)
        parser.add_argument("--once", action="store_true", help="one round of every job, then exit")
        parser.add_argument("--parent-pid", type=int, default=None,
                            help="exit when this process is gone (the demo's server)")

    def handle(self, *args: Any, **opts: Any) -> None:
        schedule = jobs()
        if not opts["once"]:
            collector_tune()  # a long-running process: what is loaded now lives as long as it does
        while True:
            run_due(schedule, say=self.stdout.write)
            if opts["once"]:
                return
            if opts["parent_pid"] and os.getppid() != opts["parent_pid"]:
                return
            time.sleep(opts["interval"])
