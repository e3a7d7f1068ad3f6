"""`residence createkey OBLIGOR`: a new key for a hotel's or hourly rental's property-management system."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from residence.core.errors import DomainError
from residence.stays.services import stay_key_issue


class Command(BaseCommand):
    help = ("Issue the integrator key of a hotel or hourly rental (its obligor number), revoking the one before. "
            "The key is printed once, on the last line; only its digest is kept.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("obligor", type=int, help="the obligor's number")
        parser.add_argument("--days", type=int, default=None, help="days the key is valid (default 365)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            token, secret = stay_key_issue(actor=None, obligor_id=options["obligor"], days=options["days"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"key {token.prefix} for obligor {options['obligor']}, valid until "
                          f"{token.expires_at:%Y-%m-%d}; send it as 'Authorization: Bearer <key>'. Shown once:")
        self.stdout.write(secret)
