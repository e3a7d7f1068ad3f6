"""The bench's e-permit figures verify real tokens: cards made for permits of each status, their tokens answered over
HTTP as the permits stand, beside the bare endpoints with the same bodies; offline decoding with a status list; the
drawn list in the issue's mix (speed itself is measured by `residence bench`, not here)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from django.db import connection, connections
from django.test.testcases import LiveServerThread

from residence.audit.models import Event
from residence.audit.services import audit_flush
from residence.bench import bare, bare_api, epermit
from residence.bench.measure import Figure, Target, interleaved_loads
from residence.people.models import Person
from residence.permits.epermit import statuslist
from residence.permits.epermit.keys import permit_keys
from residence.permits.models import PermitCard
from residence.permits.tests.test_lifecycle import make_permit, years_ago
from residence.places.models import AcceptancePoint

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def four_permits(city) -> dict[str, str]:
    """One permit of each status the bench draws, for persons registered now: number → status."""
    persons = Person.objects.filter(registrations__ended_on__isnull=True).distinct().order_by("pk")[:4]
    police = AcceptancePoint.objects.filter(kind="police_station").order_by("code").first()
    return {make_permit(person, police, issued_on=years_ago(1), status=status).number: status
            for person, status in zip(persons, epermit.MIX, strict=True)}


def _in_thread(app, *, database: bool) -> LiveServerThread:
    """`app` served by a thread of this process; with `database`, on this thread's in-memory SQLite database (shared
    with the server's threads, as the live server shares it)."""
    in_memory = {c.alias: c for c in connections.all() if database and c.vendor == "sqlite" and c.is_in_memory_db()}
    for conn in in_memory.values():
        conn.inc_thread_sharing()
    server = LiveServerThread("localhost", lambda _handler: app, in_memory, 0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    assert server.error is None
    return server


def _stop(server: LiveServerThread) -> None:
    server.terminate()
    for conn in server.connections_override.values():
        conn.dec_thread_sharing()


def test_cards_of_every_status_verify_as_they_stand_over_http_beside_the_bare_endpoints(live_server, settings,
                                                                                       four_permits) -> None:
    cards = epermit.bench_cards(40)
    assert Counter(c.expected for c in cards) == {"valid": 1, "suspended": 1, "dormant": 1, "revoked": 1}
    assert PermitCard.objects.count() == 4
    assert [c.token for c in epermit.bench_cards(40)] == [c.token for c in cards]  # made once; the same bytes
    settings.RATELIMIT_EXEMPT_ADDRESSES = frozenset({"127.0.0.1"})  # as the bench's server is started
    settings.PERMIT_VERIFY_RATE_PER_MINUTE = 1  # exempt: more requests than that are all answered
    clients = 2 if connection.vendor == "postgresql" else 1  # SQLite's in-memory test db: one writer
    bodies = epermit.verify_bodies(cards, clients, 8)
    port = int(live_server.url.rsplit(":", 1)[1])
    project = epermit.post_load(port, "/api/v1/permits/verify", bodies, seconds=120)
    n = 8 * clients
    assert (project.n, len(project.latencies)) == (n, n)
    assert project.results == Counter({c.expected: n // 4 for c in cards})
    assert audit_flush(timeout=30)  # anonymous checks are stored by the audit writer, after their answers
    assert Event.objects.filter(action="permit.verified").count() == n  # each a real, logged verification

    servers = [_in_thread(bare.app, database=False)]
    bare_api.table_create()
    try:
        servers.append(_in_thread(bare_api.BareHandler(), database=True))
        raw = epermit.post_load(servers[0].port, "/", bodies, seconds=120)
        ninja = epermit.post_load(servers[1].port, "/verify", bodies, seconds=120)
        assert (raw.n, ninja.n, raw.results, ninja.results) == (n, n, Counter(), Counter())
        assert bare_api.table_rows() == n  # one row per request
    finally:
        for server in servers:
            _stop(server)
        bare_api.table_drop()
    figures = epermit.online_figures(raw, ninja, project, clients)
    assert [f.unit for f in figures] == ["req/s", "req/s", "req/s", "req/s", "ms", "ms"]
    assert figures[2].ratio == project.rate / raw.rate
    assert (figures[2].target, figures[-1].target) == ("≥ 30%", "≤ 50 ms")
    assert figures[2].met is (project.rate >= 0.3 * raw.rate)

    published: list[str] = []
    build = epermit.publish_figures(published)
    assert [f.unit for f in build] == ["ms", "ms"]
    assert all(f.value > 0 for f in build)
    listed = statuslist.decode_list(published[0], permit_keys().public)
    codes = {c.expected: listed.status(c.index) for c in cards}
    assert codes == {"valid": statuslist.VALID, "suspended": statuslist.SUSPENDED, "dormant": statuslist.DORMANT,
                     "revoked": statuslist.REVOKED}
    assert epermit.offline_rate(cards, published[0], seconds=0.05) > 0
    assert epermit.raw_signature_rate(cards, seconds=0.05) > 0


def test_the_drawn_status_list_has_the_issues_mix_and_its_size_is_judged() -> None:
    codes = epermit.drawn_codes(100_000)
    shares = np.bincount(codes, minlength=4) / len(codes)
    assert abs(shares[statuslist.VALID] - 0.90) < 0.01
    assert abs(shares[statuslist.SUSPENDED] - 0.04) < 0.005
    assert abs(shares[statuslist.DORMANT] - 0.03) < 0.005
    assert abs(shares[statuslist.REVOKED] - 0.03) < 0.005
    assert (epermit.drawn_codes(1_000) == epermit.drawn_codes(1_000)).all()  # a fixed seed
    figures = epermit.size_figures(40_000)
    assert [(f.unit, f.target) for f in figures] == [("MB", "≤ 2 MB"), ("MB", ""), ("s", "")]
    assert 0 < figures[0].value < figures[1].value < 0.01
    assert figures[0].met is True


def test_targets_are_judged_by_value_or_by_ratio() -> None:
    assert Figure("x", 6_000, "tokens/s", "≥ 5,000").met is True
    assert Figure("x", 4_999, "tokens/s", "≥ 5,000").met is False
    assert Figure("x", 51, "ms", "≤ 50 ms").met is False
    assert Figure("x", 2.0, "MB", "≤ 2 MB").met is True
    assert Figure("x", 300, "req/s", "≥ 30%", "bare", 1_000).met is True
    assert Figure("x", 299, "req/s", "≥ 30%", "bare", 1_000).met is False
    assert Figure("x", 299, "req/s", "≥ 30%").met is None  # no raw limit to judge the share by
    assert Figure("x", 1, "s").met is None


def test_the_command_offers_the_epermit_figures_alone() -> None:
    from residence.bench.management.commands.bench import Command

    opts = Command().create_parser("residence", "bench").parse_args(["--only", "epermit"])
    assert (opts.only, opts.verify_cards, opts.status_entries) == ("epermit", 10_000, 10_000_000)


def test_endpoints_are_loaded_in_turns_and_each_ones_windows_added_up() -> None:
    """`interleaved_loads`: every target gets each round's bodies in its window, the order turned round each time (a
    machine drifting over the run weighs on each alike), and one Load per target counts all its windows."""
    servers = [_in_thread(bare.app, database=False) for _ in range(2)]
    asked: list[tuple[int, int]] = []

    def bodies(k: int):
        def each_round(r: int) -> list[list[bytes]]:
            asked.append((k, r))
            return [[b'{"token": "x"}'] * (k + 1)] * 2  # 2 clients; endpoint k answers k + 1 each a window
        return each_round

    try:
        loads = interleaved_loads([Target(s.port, "/", bodies(k)) for k, s in enumerate(servers)], seconds=120,
                                  rounds=3)
    finally:
        for server in servers:
            _stop(server)
    assert asked == [(0, 0), (1, 0), (1, 1), (0, 1), (0, 2), (1, 2)]
    assert [load.n for load in loads] == [3 * 2 * 1, 3 * 2 * 2]
    assert all(len(load.latencies) == load.n and load.rate == load.n / load.seconds for load in loads)
