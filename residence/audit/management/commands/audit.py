from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from residence.audit.selectors import chain_verify
from residence.audit.services import audit_seal


class Command(BaseCommand):
    help = "Audit chain: `verify` checks every sealed block (exit 1 at the first broken link); `seal` seals now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "seal"])
        parser.add_argument("--grace", type=float, default=None, help="seconds; default from settings")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "seal":
            n = 0
            while (block := audit_seal(grace_seconds=opts["grace"])) is not None:
                n += block.event_count
            self.stdout.write(f"sealed {n} events")
            return
        report = chain_verify()
        if report.ok:
            self.stdout.write(f"OK: {report.blocks} blocks, {report.events} sealed events verified; "
                              f"{report.unsealed} events not yet sealed")
            return
        where = f"block {report.broken_block}" if report.broken_block else "the unsealed tail"
        self.stderr.write(f"BROKEN at {where}: {report.reason} ({report.blocks} blocks verified before it; "
                          f"{report.unsealed} events not yet sealed)")
        sys.exit(1)
