from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from residence.accounts.models import ApiToken
from residence.accounts.selectors import api_tokens_list
from residence.accounts.services import token_revoke, token_rotate
from residence.core.errors import DomainError


class Command(BaseCommand):
    help = "API tokens: list them, rotate one (prints the new token once), or revoke one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="tokens with their owner, scopes, expiry and last use")
        ls.add_argument("--owner", help="only this account's tokens (dept:<name> for a department client)")
        ls.add_argument("--all", action="store_true", help="also expired and revoked tokens")
        rot = sub.add_parser("rotate", help="replace a token by a new one; the old one is refused at once")
        rot.add_argument("prefix", help="the token's prefix, as `token list` shows it")
        rot.add_argument("--days", type=int, help="days the new token is valid (default RESIDENCE_API_TOKEN_DAYS)")
        rev = sub.add_parser("revoke", help="refuse a token from now on")
        rev.add_argument("prefix")
        rev.add_argument("--reason", required=True, help="why; kept in the audit trail")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["action"] == "list":
                self._list(api_tokens_list(owner_username=opts["owner"], include_dead=opts["all"]))
            elif opts["action"] == "rotate":
                token, secret = token_rotate(actor=None, prefix=opts["prefix"], days=opts["days"])
                self.stdout.write(f"token {opts['prefix']} revoked; new token {token.prefix} for "
                                  f"{token.owner.username}, valid until {token.expires_at:%Y-%m-%d}")
                self.stdout.write("token (shown once; send it as 'Authorization: Bearer <token>'):")
                self.stdout.write(secret)
            else:
                token = token_revoke(actor=None, prefix=opts["prefix"], reason=opts["reason"])
                self.stdout.write(f"token {token.prefix} of {token.owner.username} revoked")
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'error'}: {exc.message}") from exc

    def _list(self, tokens: Any) -> None:
        now = timezone.now()
        self.stdout.write(f"{'prefix':<16} {'owner':<24} {'state':<8} {'expires':<10} {'last used':<16} scopes")
        for t in tokens:
            self.stdout.write(f"{t.prefix:<16} {t.owner.username:<24} {_state(t, now):<8} "
                              f"{t.expires_at:%Y-%m-%d} {_when(t.last_used_at):<16} {','.join(t.scopes)}")


def _state(token: ApiToken, now: Any) -> str:
    if token.revoked_at is not None:
        return "rotated" if token.replaced_by_id else "revoked"
    return "expired" if token.expires_at <= now else "live"


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "never"
