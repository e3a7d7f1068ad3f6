"""`residence readhold PERSON --by USERNAME --reason "…" --until YYYY-MM-DD`: an investigation hold on a person's
read log (the reads from now until then are shown to the person only after it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from residence.accounts.models import User
from residence.core.errors import DomainError
from residence.people.services import read_hold_place


class Command(BaseCommand):
    help = "Hold back a person's read log from them until a date, for an investigation (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person", type=int, help="the person's record number")
        parser.add_argument("--by", required=True, help="the enforcement officer or administrator placing it")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--until", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD (end of day)")

    def handle(self, *args: Any, **opts: Any) -> None:
        actor = User.objects.filter(username=opts["by"], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active account {opts['by']!r}")
        until = timezone.make_aware(dt.datetime.combine(opts["until"], dt.time(23, 59, 59)))
        try:
            hold = read_hold_place(actor=actor, person_id=opts["person"], reason=opts["reason"], until=until)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"hold {hold.pk} on person {opts['person']} until {until:%Y-%m-%d %H:%M}")
