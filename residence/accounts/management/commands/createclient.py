from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from residence.accounts.roles import GRANTS, Role
from residence.accounts.services import api_client_create
from residence.core.errors import DomainError


class Command(BaseCommand):
    help = "Create another department's API client bound to a jurisdiction; prints its token once."

    def add_arguments(self, parser: CommandParser) -> None:
        scopes = ", ".join(sorted(str(c) for c in GRANTS[Role.DEPARTMENT]))
        parser.add_argument("name", help="the department, e.g. 市教育局")
        parser.add_argument("--jurisdiction", required=True, help="jurisdiction code the client may see")
        parser.add_argument("--scopes", required=True, help=f"comma-separated, some of: {scopes}")
        parser.add_argument("--days", type=int, help="days the token is valid (default RESIDENCE_API_TOKEN_DAYS)")

    def handle(self, *args: Any, **opts: Any) -> None:
        scopes = [s.strip() for s in opts["scopes"].split(",") if s.strip()]
        try:
            token = api_client_create(actor=None, name=opts["name"], scopes=scopes,
                                      jurisdiction_code=opts["jurisdiction"], days=opts["days"])
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'error'}: {exc.message}") from exc
        self.stdout.write(f"created department client {opts['name']} ({', '.join(sorted(set(scopes)))})")
        self.stdout.write("token (shown once; send it as 'Authorization: Bearer <token>'):")
        self.stdout.write(token)
