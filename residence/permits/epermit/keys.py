"""The e-permit's signing keys, from the `permit` key ring (core/keys.py: kept in the key directory or the
environment, never in the database or the repository), in three states:

- **active**: the ring's active key; it signs new tokens, status lists and proofs;
- **verify-only**: the ring's other keys; published in the JWKS, so that cards they signed still verify, and used
  to print such a card's token again;
- **retired**: `residence permit retire-key KID`; its bytes are gone, it leaves the JWKS, and what it signed is
  refused by name (its cards must be reissued).

`residence rotatekey permit` makes a new active key; the old one becomes verify-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from joserfc.jwk import OKPKey

from residence.core.keys import KeyRing, keyring
from residence.permits.epermit.tokens import private_key, public_jwk


@dataclass(frozen=True)
class Keys:
    active_id: str
    private: dict[str, OKPKey]
    public: dict[str, OKPKey]
    retired: frozenset[str]


_made: tuple[KeyRing, Keys] | None = None


def permit_keys() -> Keys:
    """The ring's keys as signing and verifying keys, made once per ring (a rotation makes a new ring)."""
    global _made
    ring = keyring("permit")
    if _made is None or _made[0] is not ring:
        private = {kid: private_key(seed) for kid, seed in ring.keys.items()}
        public = {kid: OKPKey.import_key(key.as_dict(private=False)) for kid, key in private.items()}
        _made = (ring, Keys(ring.active_id, private, public, ring.retired))
    return _made[1]


def jwks() -> dict[str, Any]:
    """The public keys (active first, then verify-only) as a JWKS document."""
    k = permit_keys()
    order = [k.active_id, *sorted(kid for kid in k.public if kid != k.active_id)]
    return {"keys": [public_jwk(k.public[kid], kid) for kid in order]}


def key_state(kid: str) -> str:
    k = permit_keys()
    if kid == k.active_id:
        return "active"
    if kid in k.public:
        return "verify-only"
    return "retired" if kid in k.retired else "unknown"
