"""`residence rotatekey KIND`: a new key for field encryption, blind indexes, the audit chain or e-permit signing."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from residence.audit.services import event_record
from residence.core import keys
from residence.core.rotation import rotate


class Command(BaseCommand):
    help = ("Rotate a key ring kept in the key directory: field (re-encrypts), index (re-indexes), audit or permit "
            "(the old key stays to verify what it signed).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=keys.KINDS)

    def handle(self, *args: Any, **opts: Any) -> None:
        kind = opts["kind"]
        try:
            done = rotate(kind)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        ring = keys.keyring(kind)
        event_record(actor=None, action="key.rotated", subject_type="key", subject_id=kind,
                     data={"kind": kind, "active": ring.active_id, "rewritten": done})
        for column, n in done.items():
            self.stdout.write(f"  {column}: {n:,} values rewritten")
        self.stdout.write(f"{kind} key rotated: active key {ring.active_id}, {len(ring.keys)} in the ring")
        if kind == "index":
            self.stdout.write("Restart every server and worker now: look-ups use the new index key only.")
