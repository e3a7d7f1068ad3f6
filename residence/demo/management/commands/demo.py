"""`residence demo`: migrate, generate the synthetic city (once), create the demo log-ins, serve."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from residence.core.keys import key_dir, keys_init
from residence.demo.services import DEMO_PASSWORD, demo_city_generate, demo_exists, demo_users_create
from residence.places.models import Obligor
from residence.stays.services import stay_key_issue

DEMO_LOCALITY = "yantian"


class Command(BaseCommand):
    help = "Set up the demo city and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["persons"] < 1 or opts["persons"] > 10_000_000:
            self.stderr.write("--persons must be between 1 and 10,000,000")
            sys.exit(2)
        if "RESIDENCE_LOCALITY" not in os.environ:  # the demo city is Yantian-like: Yantian's rules, here and in
            os.environ["RESIDENCE_LOCALITY"] = DEMO_LOCALITY  # the server and worker started below
            settings.LOCALITY = DEMO_LOCALITY
        self.stdout.write(f"Rules of locality {settings.LOCALITY} (RESIDENCE_LOCALITY).")
        written = keys_init(demo=True)
        if written:
            self.stdout.write(f"Wrote development keys ({', '.join(written)}) to {key_dir()} (mode 0600).")
        call_command("migrate", verbosity=0, interactive=False)
        if demo_exists():
            self.stdout.write("Demo city already present; keeping it (delete var/ to start over).")
        else:
            self.stdout.write(f"Generating the demo city: {opts['persons']:,} persons, seed {opts['seed']} …")
            result = demo_city_generate(persons=opts["persons"], seed=opts["seed"], stays=True, permits=True,
                                        progress=lambda m: self.stdout.write(f"  {m}"))
            self.stdout.write(f"Done in {result.seconds:.1f} s "
                              f"({result.persons_per_second:,.0f} persons/s).")
        users = demo_users_create()
        self.stdout.write("")
        self.stdout.write(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
        for username, role, area in users:
            where = {"enforcement": " · /compliance/", "landlord": " · /registrations/mine/", "hotel": " · /stays/",
                     "employer": " · /employment/mine/"}
            self.stdout.write(f"  {username:<18} {role}{'  · ' + area if area else ''}{where.get(username, '')}")
        hotel = Obligor.objects.filter(account__username="hotel").first()
        if hotel is not None:  # a fresh key at each start: the one before it is revoked
            _token, key = stay_key_issue(actor=None, obligor_id=hotel.pk)
            self.stdout.write("")
            self.stdout.write(f"Hotel API key (obligor {hotel.pk}, {hotel.name}; docs/integrators.md):")
            self.stdout.write(f"  {key}")
        self.stdout.write("")
        if not opts["no_serve"]:
            # the worker seals the audit trail while the demo serves, and leaves when the server (this process,
            # replaced by granian) is gone; Ctrl+C stops both, as they share the terminal's process group
            subprocess.Popen([sys.executable, "-m", "residence.cli", "worker", "--parent-pid", str(os.getpid())])  # noqa: S603
            call_command("serve", port=opts["port"])
