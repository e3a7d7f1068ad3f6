"""`residence bench`: raw limits of this machine and the project's figures beside them, in one run.

Runs on PostgreSQL. With a non-PostgreSQL DATABASE_URL, it creates (or reuses) the database named by --pg and
re-runs itself there.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from residence.bench import epermit, measure, permits, stays, timeline, uploads
from residence.bench.measure import Figure
from residence.core.keys import keys_init

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/residence_bench"


class Command(BaseCommand):
    help = "Benchmark: raw PostgreSQL and HTTP limits beside the project's figures, with ratios."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=1_000_000, help="persons in the bench database")
        parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL used when DATABASE_URL is not one")
        parser.add_argument("--lookups", type=int, default=2_000)
        parser.add_argument("--http-seconds", type=float, default=4.0)
        parser.add_argument("--skip-demo-ready", action="store_true")
        parser.add_argument("--stay-batches", type=int, default=40, help="batches of 1,000 check-ins to post")
        parser.add_argument("--timeline-stays", type=int, default=10_000_000, help="stay rows for the timeline figure")
        parser.add_argument("--upload-rows", type=int, default=100_000, help="rows of the declarations XLSX (0: skip)")
        parser.add_argument("--only", choices=["all", "permits", "epermit", "stays"], default="all",
                            help="run only these figures (permits: eligibility in batch, reviewer's queue, lapsed; "
                                 "epermit: online and offline verification, the status list; stays: the XLSX "
                                 "upload, check-ins in batches and one at a time)")
        parser.add_argument("--eligibility-persons", type=int, default=100_000,
                            help="persons assessed in batch for the eligibility figure")
        parser.add_argument("--permits", type=int, default=1_000_000, help="permits for the queue figures")
        parser.add_argument("--verify-cards", type=int, default=10_000,
                            help="cards whose tokens the e-permit figures verify (permits topped up to as many)")
        parser.add_argument("--status-entries", type=int, default=epermit.ENTRIES,
                            help="entries of the drawn status list whose compressed size is measured")

    def handle(self, *args: Any, **opts: Any) -> None:
        if connection.vendor != "postgresql":
            self._reexec_on_postgres(opts["pg"])
            return
        out: list[Figure] = []
        self.stdout.write(f"PostgreSQL database {connection.settings_dict['NAME']}; measuring raw limits …")
        single = measure.raw_single_insert()
        copy = measure.raw_copy()
        out += [Figure("raw: single-row INSERT (autocommit)", single, "rows/s"),
                Figure("raw: COPY (person-wide rows)", copy, "rows/s")]

        keys_init(demo=True)  # synthetic data, like the demo: development keys in var/keys when none are set
        call_command("migrate", verbosity=0, interactive=False)
        from residence.demo.services import demo_city_generate, demo_exists, demo_users_create
        from residence.people.models import Person

        if not demo_exists():
            self.stdout.write(f"generating {opts['persons']:,} persons (COPY) …")
            result = demo_city_generate(persons=opts["persons"], seed=1, stays=True, permits=True,
                                        progress=lambda m: self.stdout.write(f"  {m}"))
            rate = result.persons_per_second
            out.append(Figure("demo generation into PostgreSQL", rate, "persons/s", "≥ 50,000",
                              "raw COPY", copy))
        else:
            self.stdout.write("bench database already holds the demo city; generation not re-measured "
                              "(drop the database to measure it)")
        demo_users_create()
        measure.street_user()
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")  # statistics, and the visibility map that index-only scans need
        n_persons = Person.objects.count()
        if opts["only"] == "permits":
            out += self._permits(opts)
            self._report(out)
            return
        if opts["only"] == "epermit":
            out += self._epermit(opts)
            self._report(out)
            return
        if opts["only"] == "stays":
            out += self._stays(opts)
            self._report(out)
            return

        self.stdout.write(f"raw point SELECTs, then person look-ups by ID number at {n_persons:,} persons …")
        point = measure.raw_point_select_latencies(opts["lookups"])
        point50, point99 = measure.percentile(point, 50) * 1000, measure.percentile(point, 99) * 1000
        out += [Figure("raw: indexed point SELECT of a person, p50", point50, "ms"),
                Figure("raw: indexed point SELECT of a person, p99", point99, "ms")]
        lat = measure.lookup_latencies(opts["lookups"])
        p50, p99 = measure.percentile(lat, 50) * 1000, measure.percentile(lat, 99) * 1000
        out += [Figure(f"person look-up by ID, p50 ({n_persons:,} persons)", p50, "ms", "",
                       "raw point SELECT p50", point50),
                Figure(f"person look-up by ID, p99 ({n_persons:,} persons)", p99, "ms", "≤ 5 ms",
                       "raw point SELECT p99", point99)]

        for username, who in [("manager", "city manager"), ("clerk", "district clerk"),
                              ("bench_street", "street clerk"), ("gridworker", "community grid worker")]:
            self.stdout.write(f"name searches by a {who} …")
            lat = measure.name_search_latencies(min(opts["lookups"], 500), username=username)
            out += [Figure(f"name search by a {who}, p50 ({n_persons:,} persons)",
                           measure.percentile(lat, 50) * 1000, "ms", "", "raw point SELECT p50", point50),
                    Figure(f"name search by a {who}, p99 ({n_persons:,} persons)",
                           measure.percentile(lat, 99) * 1000, "ms", "≤ 10 ms", "raw point SELECT p99", point99)]

        self.stdout.write("HTTP: bare JSON app vs the project's /api/ping (granian, 2 workers) …")
        bare, project = measure.http_pair(opts["http_seconds"])
        out += [Figure("raw: bare JSON WSGI endpoint", bare, "req/s"),
                Figure("project: /api/ping through Django + ninja", project, "req/s", "", "bare JSON", bare)]
        out += self._stays(opts)

        self.stdout.write(f"timeline: stays topped up to {opts['timeline_stays']:,} rows (raw COPY), then one person's"
                          " timeline with continuity at a time …")
        n_stays = timeline.stays_fill(opts["timeline_stays"], progress=self.stdout.write)
        clerk, persons = timeline.timeline_persons(min(opts["lookups"], 1_000))
        self.stdout.write(f"  {len(persons):,} persons of the district clerk's area: the selector, then the page …")
        lat = timeline.timeline_latencies(clerk, persons)
        page = timeline.timeline_page_latencies(clerk, persons)
        out += [Figure(f"timeline and continuous residence of one person, p50 ({n_stays:,} stays)",
                       measure.percentile(lat, 50) * 1000, "ms", "", "raw point SELECT p50", point50),
                Figure(f"timeline and continuous residence of one person, p99 ({n_stays:,} stays)",
                       measure.percentile(lat, 99) * 1000, "ms", "≤ 10 ms", "raw point SELECT p99", point99),
                Figure(f"person page with its timeline (in process), p50 ({n_stays:,} stays)",
                       measure.percentile(page, 50) * 1000, "ms", "", "raw point SELECT p50", point50),
                Figure(f"person page with its timeline (in process), p99 ({n_stays:,} stays)",
                       measure.percentile(page, 99) * 1000, "ms", "", "raw point SELECT p99", point99)]

        out += self._permits(opts)
        out += self._epermit(opts)

        if not opts["skip_demo_ready"]:
            self.stdout.write("demo ready: `residence demo` on a fresh SQLite database until a page is served …")
            secs = measure.demo_ready_seconds(measure.free_port())
            out.append(Figure("demo ready (installed env → served page)", secs, "s", "≤ 60 s"))

        self._report(out)

    def _stays(self, opts: dict[str, Any]) -> list[Figure]:
        out = uploads.upload_figures(opts["upload_rows"], say=self.stdout.write) if opts["upload_rows"] else []
        self.stdout.write("stays: raw COPY into stays_stay, then check-ins through the API (1,000 a batch, "
                          "4 clients) …")
        premises = stays.bench_premises()
        raw_stays = stays.raw_stay_copy(premises)
        rate, n = stays.served_check_ins(premises, batches=opts["stay_batches"])
        out += [Figure("raw: COPY into stays_stay, keys checked", raw_stays, "rows/s"),
                Figure(f"check-ins through the API ({n:,}, 1,000 a batch, 4 clients)", rate, "stays/s", "≥ 15%",
                       "raw COPY stays", raw_stays)]
        self.stdout.write(f"stays: single check-ins beside a bare ninja INSERT ({stays.SINGLE_CLIENTS} clients) …")
        return out + stays.single_figures(*stays.served_single_declarations(premises,
                                                                            seconds=opts["http_seconds"]))

    def _permits(self, opts: dict[str, Any]) -> list[Figure]:
        out = permits.eligibility_figures(opts["eligibility_persons"], say=self.stdout.write)
        n = permits.permits_fill(opts["permits"], say=self.stdout.write)
        return out + permits.queue_figures(min(opts["lookups"], 1_000), n, say=self.stdout.write)

    def _epermit(self, opts: dict[str, Any]) -> list[Figure]:
        permits.permits_fill(opts["verify_cards"], say=self.stdout.write)  # enough permits for the cards
        return epermit.epermit_figures(opts["verify_cards"], seconds=opts["http_seconds"],
                                       entries=opts["status_entries"], say=self.stdout.write)

    def _report(self, figures: list[Figure]) -> None:
        self.stdout.write("")
        self.stdout.write(f"{'figure':<58} {'value':>14} {'target':>10} {'ratio':>22}  met")
        for f in figures:
            ratio = f"{f.ratio:.3f} × {f.raw_name}" if f.ratio is not None else ""
            met = {True: "yes", False: "NO", None: ""}[f.met]
            self.stdout.write(f"{f.name:<58} {f.value:>10,.2f} {f.unit:<5} {f.target:>10} {ratio:>22}  {met}")
        path = settings.VAR_DIR / "bench-results.json"
        path.write_text(json.dumps({"at": time.strftime("%Y-%m-%dT%H:%M:%S"), "figures": [
            {"name": f.name, "value": f.value, "unit": f.unit, "target": f.target, "raw": f.raw_name,
             "raw_value": f.raw_value, "ratio": f.ratio, "met": f.met} for f in figures]}, ensure_ascii=False,
            indent=1))
        self.stdout.write(f"\nwritten to {path}")

    def _reexec_on_postgres(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        env = dict(os.environ, DATABASE_URL=url)
        exe = os.path.join(os.path.dirname(sys.executable), "residence")
        self.stdout.write(f"re-running on {url}")
        self.stdout.flush()
        os.execve(exe, [exe, *sys.argv[1:]], env)  # noqa: S606 - same command, PostgreSQL database
