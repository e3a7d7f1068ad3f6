from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from residence.accounts.services import otp_device_reset
from residence.core.errors import DomainError


class Command(BaseCommand):
    help = "Remove a staff member's authenticator apps (lost phone), so that they can set up a new one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="why; kept in the audit trail")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            removed = otp_device_reset(actor=None, username=opts["username"], reason=opts["reason"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"removed {removed} authenticator app(s) of {opts['username']}; they set up a new one at "
                          f"/accounts/otp/ after logging in with their password")
