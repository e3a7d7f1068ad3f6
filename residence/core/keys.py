"""The deployment's keys: one key ring per kind, never derived from SECRET_KEY, never in the database.

Kinds: `field` (AES-GCM encryption of ID and phone numbers and uploaded files), `index` (HMAC blind indexes),
`audit` (HMAC of every audit event, and the Ed25519 seed that signs sealed blocks), `permit` (the Ed25519 seeds
that sign electronic permits and their status lists). Each key is exactly 32 random bytes, named by an id (the first
8 hex digits of its SHA-256). A ring has one active key, which encrypts and signs, and older keys that still decrypt
and verify. A key may also be retired (`key_retire`): its bytes are dropped and only its id is kept, so what it
signed is refused by name.

Where a ring comes from, first found:
1. the environment: `RESIDENCE_<KIND>_KEY` (base64, the active key) and `RESIDENCE_<KIND>_OLD_KEYS` (comma-separated
   base64 keys kept for reading), `RESIDENCE_<KIND>_RETIRED_IDS` (comma-separated ids of retired keys);
2. the key directory (`RESIDENCE_KEY_DIR`, default `var/keys/`): `<kind>.json`, mode 0600, written by
   `residence demo` on its first run (`keys_init`) and by `residence rotatekey KIND`.
There is no third place: a missing key is an error that says how to set it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import stat
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KINDS = ("field", "index", "audit", "permit")
SECRET_FILE = "django-secret"  # noqa: S105 - a file name, not a secret


@dataclass(frozen=True)
class KeyRing:
    kind: str
    active_id: str
    keys: dict[str, bytes]
    source: str  # "environment" or the file's path
    demo: bool = False  # written by `residence demo` for synthetic data
    retired: frozenset[str] = frozenset()  # ids of keys taken out of use; their bytes are gone

    @property
    def active(self) -> bytes:
        return self.keys[self.active_id]

    def get(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise ImproperlyConfigured(f"{self.kind} key {key_id} is not in the key ring ({self.source})") from None


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def _decode(kind: str, text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{where}: the {kind} key is not base64") from None
    if len(key) != 32:
        raise ImproperlyConfigured(f"{where}: the {kind} key must be exactly 32 bytes, got {len(key)}")
    if len(set(key)) < 16:  # 32 random bytes have about 30 distinct values; this catches b"a" * 32 and the like
        raise ImproperlyConfigured(f"{where}: the {kind} key does not look random (too few distinct bytes)")
    return key


def key_dir() -> Path:
    return Path(settings.KEY_DIR)


def _file(kind: str) -> Path:
    return key_dir() / f"{kind}.json"


@cache
def keyring(kind: str) -> KeyRing:
    if kind not in KINDS:
        raise ValueError(f"unknown key kind {kind!r}")
    env = f"RESIDENCE_{kind.upper()}_KEY"
    if os.environ.get(env):
        active = _decode(kind, os.environ[env], env)
        keys = {key_id(active): active}
        for text in filter(None, os.environ.get(f"RESIDENCE_{kind.upper()}_OLD_KEYS", "").split(",")):
            old = _decode(kind, text, f"RESIDENCE_{kind.upper()}_OLD_KEYS")
            keys[key_id(old)] = old
        retired = frozenset(filter(None, os.environ.get(f"RESIDENCE_{kind.upper()}_RETIRED_IDS", "").split(",")))
        return KeyRing(kind, key_id(active), keys, "environment", retired=retired - set(keys))
    path = _file(kind)
    if not path.exists():
        raise ImproperlyConfigured(
            f"No {kind} key. Set {env} (base64 of 32 random bytes; see docs/deployment.md), or run `residence demo`, "
            f"which writes development keys to {key_dir()}.")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ImproperlyConfigured(f"{path} is readable by others (mode {mode:o}); it must be 0600")
    try:
        data = json.loads(path.read_text())
        keys = {k: _decode(kind, v, str(path)) for k, v in data["keys"].items()}
        ring = KeyRing(kind, data["active"], keys, str(path), bool(data.get("demo")),
                       frozenset(data.get("retired", ())) - set(keys))
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ImproperlyConfigured(f"{path}: not a key ring ({exc})") from None
    for kid, key in keys.items():
        if key_id(key) != kid:
            raise ImproperlyConfigured(f"{path}: key {kid} does not match its id")
    ring.get(ring.active_id)
    return ring


def _write(kind: str, active: bytes, keys: dict[str, bytes], *, demo: bool, retired: frozenset[str] = frozenset()
           ) -> None:
    d = key_dir()
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    path = _file(kind)
    tmp = path.with_suffix(".tmp")
    body = {"active": key_id(active), "demo": demo, "keys": {k: base64.b64encode(v).decode() for k, v in keys.items()},
            "retired": sorted(retired)}
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(body, fh, indent=1)
    os.replace(tmp, path)
    keyring.cache_clear()
    _reset_users()


def _reset_users() -> None:
    from residence.core import crypto  # crypto reads this module; its caches hold keys of the old ring

    crypto.reset_key_cache()


def keys_init(*, demo: bool = True) -> list[str]:
    """Write a random key ring for every kind that has none (in the environment or the directory), and a random
    Django secret key file; return the kinds written. `residence demo` calls it, so a fresh clone just works."""
    written = []
    for kind in KINDS:
        if os.environ.get(f"RESIDENCE_{kind.upper()}_KEY") or _file(kind).exists():
            continue
        key = secrets.token_bytes(32)
        _write(kind, key, {key_id(key): key}, demo=demo)
        written.append(kind)
    secret = key_dir() / SECRET_FILE
    if not secret.exists():
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return written


def key_add(kind: str) -> KeyRing:
    """A new random active key for `kind`; the old ones stay for reading. Only for key rings kept in files: a ring
    from the environment is rotated by changing the environment."""
    ring = keyring(kind)
    if ring.source == "environment":
        raise ImproperlyConfigured(f"the {kind} key comes from the environment: set a new RESIDENCE_{kind.upper()}_KEY "
                                   f"and move the old one to RESIDENCE_{kind.upper()}_OLD_KEYS")
    key = secrets.token_bytes(32)
    _write(kind, key, {**ring.keys, key_id(key): key}, demo=ring.demo, retired=ring.retired)
    return keyring(kind)


def key_retire(kind: str, kid: str) -> KeyRing:
    """Take key `kid` out of use for good: its bytes leave the ring, its id stays on the retired list, so what it
    signed is refused as signed by a retired key. The active key cannot be retired (rotate first)."""
    ring = keyring(kind)
    if ring.source == "environment":
        raise ImproperlyConfigured(f"the {kind} keys come from the environment: remove the key from "
                                   f"RESIDENCE_{kind.upper()}_OLD_KEYS and add {kid} to "
                                   f"RESIDENCE_{kind.upper()}_RETIRED_IDS")
    if kid == ring.active_id:
        raise ImproperlyConfigured(f"{kid} is the active {kind} key; rotate first (`residence rotatekey {kind}`)")
    if kid not in ring.keys:
        raise ImproperlyConfigured(f"{kid} is not a {kind} key in use ({', '.join(sorted(ring.keys))})")
    keys = {k: v for k, v in ring.keys.items() if k != kid}
    _write(kind, ring.active, keys, demo=ring.demo, retired=ring.retired | {kid})
    return keyring(kind)


def key_replace(kind: str, key: bytes) -> KeyRing:
    """`key` becomes the only key of a file ring (the blind index: every index was recomputed under it)."""
    ring = keyring(kind)
    if ring.source == "environment":
        raise ImproperlyConfigured(f"the {kind} key comes from the environment: set a new RESIDENCE_{kind.upper()}_KEY")
    _write(kind, key, {key_id(key): key}, demo=ring.demo, retired=ring.retired)
    return keyring(kind)


def secret_key_problem(secret: str) -> str:
    """Why `secret` is not fit to serve real data (Django's W009 rule: at least 50 characters, at least 5 distinct,
    not Django's generated insecure prefix), or "" when it is. Where every key ring is the demo's own (synthetic data
    only), a key of 32 characters with 5 distinct ones is accepted, so test rigs can set a shorter one."""
    if secret.startswith("django-insecure-") or secret == getattr(settings, "_DEV_SECRET", None):
        return "it is a development key"
    distinct = len(set(secret))
    if distinct < 5:
        return f"it has {distinct} distinct characters; at least 5 are needed"
    need = 32 if all(_demo_ring(kind) for kind in KINDS) else 50
    if len(secret) < need:
        return f"it is {len(secret)} characters long; at least {need} are needed"
    return ""


def _demo_ring(kind: str) -> bool:
    try:
        return keyring(kind).demo
    except ImproperlyConfigured:
        return False


def configured_secret_key() -> str:
    """The secret key a server started now would use (the environment, else the key directory's file)."""
    path = key_dir() / SECRET_FILE
    return os.environ.get("RESIDENCE_SECRET_KEY") or (path.read_text().strip() if path.exists() else
                                                      settings._DEV_SECRET)


def keys_check() -> list[str]:
    """Every problem that stops serving: a weak secret key, a missing, short or non-random key of any kind."""
    problems = []
    why = secret_key_problem(configured_secret_key())
    if why:
        problems.append(f"RESIDENCE_SECRET_KEY is not fit to protect real data: {why} (Django's check W009). "
                        f"Generate one: python -c \"import secrets; print(secrets.token_urlsafe(50))\"")
    for kind in KINDS:
        try:
            keyring(kind)
        except ImproperlyConfigured as exc:
            problems.append(str(exc))
    return problems
