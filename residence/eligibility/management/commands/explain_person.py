"""`residence rules explain --person N --as-of DATE`: a person's eligibility, from the database, in words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from residence.core.errors import DomainError
from residence.eligibility.services import person_explain


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date YYYY-MM-DD: {text!r}") from None


class Command(BaseCommand):
    help = "Explain a person's permit eligibility as of a date, from their records in the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--person", type=int, required=True, help="the person's number")
        parser.add_argument("--as-of", type=_date, required=True, dest="as_of")
        parser.add_argument("--lang", choices=("zh", "en", "both"), default="both")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            assessment, text = person_explain(person_id=opts["person"], as_of=opts["as_of"], lang=opts["lang"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(text)
        self.stdout.write(f"(assessment {assessment.pk} stored, rules version {assessment.rules_version})")
