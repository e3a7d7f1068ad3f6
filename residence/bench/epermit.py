"""The e-permit figures of `residence bench`: online verification over HTTP beside the bare JSON endpoint in the
same run, offline verification per core, the status list's size at ten million permits, and what publishing the
list from the database costs.

Online: cards made for permits of the bench database (valid, suspended, dormant and cancelled, in the status list's
mix), their tokens signed by the key ring (`services.card_token`), then `VERIFY_CLIENTS` keep-alive clients POST
them to /api/v1/permits/verify served by the same granian, with the same workers, as the other API figures: each
request an Ed25519 check, one read of the card and its permit, one audit event. The server exempts the clients'
address from the per-address limit (RESIDENCE_RATELIMIT_EXEMPT): the limit is not what is measured. Beside it, in
the same run and from the same clients with the same bodies: the bare JSON WSGI app (`bare.py`, the raw HTTP limit,
the target's denominator) and the bare ninja endpoint (`bare_api`: Django and ninja parse the body and write one
row, no middleware, no signature, no audit). The three are served at once and loaded in turns, four windows each
(`measure.interleaved_loads`), so that the machine's drift weighs on each alike.

Offline: `tokens.decode_permit` and a status look-up in a decoded list, in this one process (one core).
Status list: ten million entries drawn at random (fixed seed) in the mix 90% valid, 4% suspended, 3% dormant,
3% revoked, packed two bits each and compressed as published (`statuslist.compress`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from residence.bench.measure import (
    Figure,
    Load,
    Target,
    free_port,
    interleaved_loads,
    percentile,
    post_load,
    serve,
    stop,
    wait_http,
)
from residence.core.bulk import bulk_insert, next_id, reset_sequence
from residence.people.identity import mask_name
from residence.permits.epermit import statuslist
from residence.permits.epermit.keys import permit_keys
from residence.permits.epermit.services import (
    CARD_YEARS,
    LIST_LIFETIME,
    LIST_TTL,
    STATUS_URI,
    card_token,
    status_codes,
)
from residence.permits.epermit.tokens import decode_permit
from residence.permits.models import Permit, PermitCard

VERIFY_CLIENTS = 16
ENTRIES = 10_000_000
# the share of each permit status among the bench's cards and the drawn status list, and what each verifies as
MIX = {"valid": 0.90, "suspended": 0.04, "dormant": 0.03, "cancelled": 0.03}
RESULT_OF = {"valid": "valid", "suspended": "suspended", "dormant": "dormant", "cancelled": "revoked"}
CODE_OF = {"valid": statuslist.VALID, "suspended": statuslist.SUSPENDED, "dormant": statuslist.DORMANT,
           "cancelled": statuslist.REVOKED}
_CHUNK = 5_000


@dataclass
class Card:
    token: str
    expected: str  # what verifying it must answer
    index: int  # its entry in the status list


def bench_cards(n: int, say: Callable[[str], None] = lambda _m: None, *, seed: int = 5) -> list[Card]:
    """`n` cards of permits of the database in `MIX` (fewer where a status has too few permits; the shortfall is
    made up with valid ones), the current card of each: made once (bulk, like the print sheet makes them), then
    each card's token signed by `services.card_token`, as a card is printed; in an order shuffled with `seed`."""
    want = {status: round(n * share) for status, share in MIX.items()}
    picked: list[tuple[str, int, str, str]] = []  # (number, card_seq, holder's name, status)
    for status in ("suspended", "dormant", "cancelled", "valid"):
        k = want[status] if status != "valid" else n - len(picked)
        rows = Permit.objects.filter(status=status).order_by("pk").values_list("number", "card_seq", "person__name")
        picked += [(number, seq, name, status) for number, seq, name in rows[:k]]
    say(f"e-permit: {len(picked):,} cards ({', '.join(f'{s} {c:,}' for s, c in Counter(p[3] for p in picked).items())})"
        " made and their tokens signed …")
    status_of = {number: status for number, _seq, _name, status in picked}
    cards = [Card(card_token(card), RESULT_OF[status_of[card.permit_number]], card.pk) for card in _cards_made(picked)]
    random.Random(seed).shuffle(cards)  # any run of them has the mix: each client's share, the first seconds
    return cards


def _cards_made(picked: list[tuple[str, int, str, str]]) -> list[PermitCard]:
    """The current card of each picked permit, the missing ones written in one go (a card's token dates and key are
    fixed when it is made, as `services.card_for` fixes them)."""
    seq_of = {number: seq for number, seq, _name, _status in picked}
    have = _cards_of(list(seq_of), seq_of)
    missing = [(number, seq, name) for number, seq, name, _status in picked if number not in have]
    if missing:
        now = timezone.now().replace(microsecond=0)
        expires = now + dt.timedelta(days=365 * CARD_YEARS)
        kid = permit_keys().active_id
        with transaction.atomic():
            first = next_id(PermitCard)
            bulk_insert(PermitCard, ["id", "permit_number", "seq", "name_masked", "key_id", "issued_at", "expires_at"],
                        [(first + i, number, seq, mask_name(name), kid, now, expires)
                         for i, (number, seq, name) in enumerate(missing)])
        reset_sequence(PermitCard)
        have.update(_cards_of([m[0] for m in missing], seq_of))
    return [have[number] for number, *_rest in picked]


def _cards_of(numbers: list[str], seq_of: dict[str, int]) -> dict[str, PermitCard]:
    out = {}
    for start in range(0, len(numbers), _CHUNK):
        for card in PermitCard.objects.filter(permit_number__in=numbers[start:start + _CHUNK]):
            if card.seq == seq_of[card.permit_number]:
                out[card.permit_number] = card
    return out


# --- online ----------------------------------------------------------------------------------------------------
def verify_bodies(cards: list[Card], clients: int, per_client: int) -> list[list[bytes]]:
    """Each client's request bodies, serialised now: the cards' tokens in turn, from a different card each."""
    bodies = [json.dumps({"token": c.token}).encode() for c in cards]
    return [[bodies[(k * per_client + i) % len(bodies)] for i in range(per_client)] for k in range(clients)]


def served_verification(cards: list[Card], *, seconds: float = 4.0, clients: int = VERIFY_CLIENTS,
                        workers: int = 2) -> tuple[Load, Load, Load]:
    """(bare JSON WSGI app, bare ninja endpoint, the project's verification), each served by granian with `workers`
    workers on the bench database, all three at once, and loaded in turns (`interleaved_loads`: windows of
    `seconds`) by `clients` clients with the same bodies, after a short warm-up each."""
    from residence.bench import bare_api

    bare_api.table_create()
    env = dict(os.environ, RESIDENCE_RATELIMIT_EXEMPT="127.0.0.1")  # the bench's clients are exempt
    per_client = int(seconds * 400) + 50  # more than a client can send in the time
    warm = verify_bodies(cards, clients, 10)
    bodies = verify_bodies(cards, clients, per_client)
    procs = []
    targets = []
    try:
        for app, ping, path in [("residence.bench.bare:app", "/", "/"),
                                ("residence.bench.bare_wsgi:application", "/ping", "/verify"),
                                ("config.wsgi:application", "/healthz", "/api/v1/permits/verify")]:
            port = free_port()
            procs.append(serve(app, port, env, workers=workers))
            if not wait_http(port, ping):
                raise RuntimeError(f"{app} did not start")
            targets.append(Target(port, path, lambda _round: bodies))
        connection.close()  # the servers' workers read and write; this process only waits
        for t in targets:
            post_load(t.port, t.path, warm, seconds=seconds)
        bare, ninja, project = interleaved_loads(targets, seconds=seconds)
    finally:
        for proc in procs:
            stop(proc)
        bare_api.table_drop()
    return bare, ninja, project


def online_figures(bare: Load, ninja: Load, project: Load, clients: int = VERIFY_CLIENTS) -> list[Figure]:
    return [Figure(f"raw: bare JSON WSGI endpoint, POST ({clients} clients)", bare.rate, "req/s"),
            Figure(f"raw: bare ninja endpoint, body parsed + one INSERT ({clients} clients)", ninja.rate, "req/s"),
            Figure(f"online verification through the API ({clients} clients)", project.rate, "req/s", "≥ 30%",
                   "bare JSON", bare.rate),
            Figure("online verification beside the bare ninja endpoint", project.rate, "req/s", "",
                   "bare ninja INSERT", ninja.rate),
            Figure("online verification latency, p50", percentile(project.latencies, 50) * 1000, "ms"),
            Figure("online verification latency, p99", percentile(project.latencies, 99) * 1000, "ms", "≤ 50 ms")]


# --- offline ---------------------------------------------------------------------------------------------------
def offline_rate(cards: list[Card], list_token: str, *, seconds: float = 3.0) -> float:
    """Tokens per second, one process: `decode_permit` with the published keys, then the card's entry in a decoded
    status list (decoded once, as a verifier keeps it for its `ttl`)."""
    keys = permit_keys()
    public, retired = keys.public, keys.retired
    listed = statuslist.decode_list(list_token, public)
    tokens = [c.token for c in cards]
    for token in tokens[:200]:  # warm-up
        listed.status(decode_permit(token, public, retired=retired).status_index)
    n = 0
    t = time.perf_counter()
    deadline = t + seconds
    while n == 0 or time.perf_counter() < deadline:
        for token in tokens[n % len(tokens):][:500]:
            listed.status(decode_permit(token, public, retired=retired).status_index)
            n += 1
    return n / (time.perf_counter() - t)


def raw_signature_rate(cards: list[Card], *, library: str = "libsodium", seconds: float = 3.0) -> float:
    """The raw limit under offline verification: Ed25519 signature checks per second of the same tokens with one
    library alone (no parsing, no JOSE library), in this one process: libsodium (PyNaCl), which `tokens` uses, or
    OpenSSL (`cryptography`), shown beside it for what the choice gained."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from nacl.bindings import crypto_sign_open

    from residence.permits.epermit.tokens import public_jwk, unb64

    keys = permit_keys()
    raw = {kid: unb64(public_jwk(key, kid)["x"], "key") for kid, key in keys.public.items()}
    signed = []
    for c in cards[:500]:
        head, body, sig = c.token.split(".")
        kid = json.loads(unb64(head, "header"))["kid"]
        signed.append((raw[kid], unb64(sig, "signature"), f"{head}.{body}".encode()))
    if library == "libsodium":
        def check(key: bytes, signature: bytes, message: bytes) -> None:
            crypto_sign_open(signature + message, key)
    else:
        openssl = {key: Ed25519PublicKey.from_public_bytes(key) for key in raw.values()}

        def check(key: bytes, signature: bytes, message: bytes) -> None:
            openssl[key].verify(signature, message)
    n = 0
    t = time.perf_counter()
    deadline = t + seconds
    while n == 0 or time.perf_counter() < deadline:
        for key, signature, message in signed:
            check(key, signature, message)
        n += len(signed)
    return n / (time.perf_counter() - t)


# --- the status list -------------------------------------------------------------------------------------------
def drawn_codes(entries: int, seed: int = 7) -> np.ndarray:
    """`entries` status codes drawn at random in `MIX` (fixed seed)."""
    rng = np.random.default_rng(seed)
    values = np.array([CODE_OF[s] for s in MIX], dtype=np.uint8)
    return rng.choice(values, size=entries, p=list(MIX.values()))


def size_figures(entries: int = ENTRIES) -> list[Figure]:
    """The compressed list of `entries` drawn entries (zlib as published), the signed list's length, and the time
    to pack and compress it; the list decompresses to the same entries."""
    codes = drawn_codes(entries)
    t = time.perf_counter()
    blob = statuslist.compress(codes)
    secs = time.perf_counter() - t
    packed = zlib.decompress(blob)
    assert packed == statuslist.pack(codes), "the compressed list does not give back its entries"
    keys = permit_keys()
    signed = statuslist.list_token(codes, uri=STATUS_URI, key=keys.private[keys.active_id], kid=keys.active_id,
                                   issued_at=int(time.time()), lifetime=LIST_LIFETIME, ttl=LIST_TTL)
    return [Figure(f"status list of {entries:,} permits (90/4/3/3), zlib", len(blob) / 1e6, "MB", "≤ 2 MB"),
            Figure("  the same, signed JWT as served (base64url)", len(signed) / 1e6, "MB"),
            Figure("  the same, packed and compressed", secs, "s")]


def publish_figures(list_token_out: list[str] | None = None) -> list[Figure]:
    """What publishing costs: every card's entry read from the database (`services.status_codes`), then packed,
    compressed and signed (as `status_list_publish` does, without keeping the row)."""
    t = time.perf_counter()
    codes = status_codes()
    read = time.perf_counter() - t
    keys = permit_keys()
    t = time.perf_counter()
    token = statuslist.list_token(codes, uri=STATUS_URI, key=keys.private[keys.active_id], kid=keys.active_id,
                                  issued_at=int(time.time()), lifetime=LIST_LIFETIME, ttl=LIST_TTL)
    signed = time.perf_counter() - t
    if list_token_out is not None:
        list_token_out.append(token)
    n = len(codes)
    return [Figure(f"status list from the database: status_codes ({n:,} entries)", read * 1000, "ms"),
            Figure(f"status list from the database: pack, compress, sign ({n:,} entries)", signed * 1000, "ms")]


# --- all of it -------------------------------------------------------------------------------------------------
def epermit_figures(n_cards: int, *, seconds: float, entries: int = ENTRIES, clients: int = VERIFY_CLIENTS,
                    say: Callable[[str], None] = lambda _m: None) -> list[Figure]:
    cards = bench_cards(n_cards, say=say)
    if not cards:
        raise RuntimeError("no permits in the bench database: run the demo generation with permits first")
    say(f"e-permit: online verification ({clients} clients) beside the bare JSON and ninja endpoints (granian, 2 "
        "workers) …")
    bare, ninja, project = served_verification(cards, seconds=seconds, clients=clients)
    expected = {c.expected for c in cards}
    if not set(project.results) <= expected:
        raise RuntimeError(f"verification answered {dict(project.results)}; the cards are {sorted(expected)}")
    say(f"  answers: {', '.join(f'{k} {v:,}' for k, v in sorted(project.results.items()))}")
    out = online_figures(bare, ninja, project, clients)
    say("e-permit: the status list from the database, then offline verification in one process …")
    token: list[str] = []
    out += publish_figures(token)
    raw = raw_signature_rate(cards, seconds=min(seconds, 3.0))
    out += [Figure("raw: Ed25519 signature check alone (libsodium, as verification uses), one core", raw,
                   "checks/s"),
            Figure("Ed25519 signature check alone with OpenSSL (cryptography), one core", raw_signature_rate(
                cards, library="openssl", seconds=min(seconds, 3.0)), "checks/s"),
            Figure("offline verification (decode_permit + status look-up), one core", offline_rate(
                cards, token[0], seconds=min(seconds, 3.0)), "tokens/s", "≥ 5,000", "raw Ed25519", raw)]
    say(f"e-permit: status list of {entries:,} drawn entries …")
    return out + size_figures(entries)
