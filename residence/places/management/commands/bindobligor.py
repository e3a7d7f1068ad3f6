from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from residence.core.errors import DomainError
from residence.places.services import obligor_account_bind


class Command(BaseCommand):
    help = "Bind a declaration obligor (by its number) to an obligor account created with createuser."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("obligor", type=int, help="the obligor's number")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            obligor = obligor_account_bind(actor=None, obligor_id=opts["obligor"], username=opts["username"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{opts['username']} now sees the premises of {obligor.name} ({obligor.units.count()} units)")
