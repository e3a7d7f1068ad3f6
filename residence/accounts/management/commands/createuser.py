from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from residence.accounts.roles import Role
from residence.accounts.services import user_create
from residence.core.errors import DomainError


class Command(BaseCommand):
    help = "Create an account with a role, bound to a jurisdiction code (staff)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--jurisdiction", default="", help="jurisdiction code, for staff")
        parser.add_argument("--name", default="")
        parser.add_argument("--password", help="omit to be asked")

    def handle(self, *args: Any, **opts: Any) -> None:
        password = opts["password"] or getpass.getpass("Password: ")
        try:
            user = user_create(actor=None, username=opts["username"], password=password, role=opts["role"],
                               jurisdiction_code=opts["jurisdiction"], display_name=opts["name"])
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'error'}: {exc.message}") from exc
        except Exception as exc:  # password validators raise Django's ValidationError
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"created {user.username} ({user.role})")
