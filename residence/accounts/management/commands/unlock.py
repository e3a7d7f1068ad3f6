from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from residence.accounts.services import account_unlock
from residence.core.errors import DomainError


class Command(BaseCommand):
    help = "Unlock an account that was locked (too many searches by ID number or phone that found nobody)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the account's user name (a department client's is dept:<name>)")
        parser.add_argument("--reason", required=True, help="why; kept in the audit trail")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            account_unlock(actor=None, username=opts["username"], reason=opts["reason"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"unlocked {opts['username']}")
