"""`residence permit …`: the e-permit for operators and integrators.

    residence permit verify TOKEN --keys JWKS_FILE [--status STATUS_FILE]   offline, no database
    residence permit list --status valid|suspended|dormant|revoked|expired [--limit N]
    residence permit token NUMBER                                            the current card's token
    residence permit retire-key KID                                          its cards must be reissued

`verify` reads the public keys from a JWKS file (as served at /.well-known/jwks.json) and, when given, a status
list (/permits/status-list) or a holder's status proof. It prints one line: "valid as signed; status not checked",
"valid as signed; status as of <time>", or the status ("revoked (status as of <time>)"), or "invalid: <why>";
the exit status is 0 only for a valid permit.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from residence.core.errors import DomainError
from residence.permits.epermit import statuslist
from residence.permits.epermit.tokens import TokenInvalid, decode_permit, keys_from_jwks

RESULTS = ("valid", "suspended", "dormant", "revoked", "expired")


class Command(BaseCommand):
    help = "E-permits: verify a token offline, list permits by status, print a card's token, retire a signing key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))
        v = sub.add_parser("verify", help="Verify a token offline from a JWKS file and, optionally, a status list")
        v.add_argument("token")
        v.add_argument("--keys", required=True, help="JWKS file (/.well-known/jwks.json)")
        v.add_argument("--status", help="status list (/permits/status-list) or a holder's status proof")
        v.add_argument("--now", type=float, help="check as of this time, in seconds since 1970 (default: now)")
        ls = sub.add_parser("list", help="Permit numbers whose current card verifies as STATUS, one a line")
        ls.add_argument("--status", required=True, choices=RESULTS)
        ls.add_argument("--limit", type=int)
        t = sub.add_parser("token", help="The current card's token of a permit")
        t.add_argument("number")
        r = sub.add_parser("retire-key", help="Retire a verify-only signing key (its cards must be reissued)")
        r.add_argument("kid")

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, "_" + opts["action"].replace("-", "_"))(opts)

    def _verify(self, opts: dict[str, Any]) -> None:
        now = opts["now"] or time.time()
        try:
            keys = keys_from_jwks(json.loads(Path(opts["keys"]).read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the keys from {opts['keys']}: {exc}") from None
        if not keys:
            raise CommandError(f"{opts['keys']} holds no Ed25519 key")
        try:
            claims = decode_permit(opts["token"], keys)
        except TokenInvalid as exc:
            raise CommandError(f"invalid: {exc}") from None
        who = f"permit {claims.permit_number[:6]}…{claims.permit_number[-4:]}, {claims.name_masked}"
        if claims.expires_at <= now:
            raise CommandError(f"expired: the token's validity ended at {_when(claims.expires_at)} ({who})")
        if not opts["status"]:
            self.stdout.write(f"valid as signed; status not checked ({who})")
            return
        try:
            listed = statuslist.decode_status(Path(opts["status"]).read_text(encoding="utf-8"), keys, now=now)
            code = listed.status(claims.status_index)
        except OSError as exc:
            raise CommandError(f"cannot read the status from {opts['status']}: {exc}") from None
        except TokenInvalid as exc:
            raise CommandError(f"status not usable: {exc}") from None
        as_of = f"status as of {_when(listed.issued_at)}"
        if code == statuslist.VALID:
            self.stdout.write(f"valid as signed; {as_of} ({who})")
            return
        raise CommandError(f"{statuslist.WORDS[code]} ({as_of}; {who})")

    def _list(self, opts: dict[str, Any]) -> None:
        from residence.permits.epermit.services import permit_numbers

        for number in permit_numbers(status=opts["status"], limit=opts["limit"]):
            self.stdout.write(number)

    def _token(self, opts: dict[str, Any]) -> None:
        from residence.permits.epermit.services import permit_card_token

        try:
            self.stdout.write(permit_card_token(number=opts["number"]))
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _retire_key(self, opts: dict[str, Any]) -> None:
        from residence.permits.epermit.services import key_retire

        try:
            cards = key_retire(kid=opts["kid"])
        except (ImproperlyConfigured, DomainError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"key {opts['kid']} retired; {cards:,} cards it signed must be reissued")


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))
