"""Field encryption (AES-GCM) and keyed blind indexes (HMAC-SHA256) for personal data at rest.

Keys come from `residence.core.keys` (kinds `field` and `index`), never from SECRET_KEY.
Ciphertext layout: version byte (2) | 4-byte key id | 12-byte nonce | AES-GCM ciphertext+tag, so data encrypted
under an older key of the ring stays readable after `residence rotatekey field`.
Blind indexes use the active index key only: rotating it recomputes every stored index (`core/rotation.py`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from residence.core.keys import keyring

_VERSION = b"\x02"


@cache
def _aead(kid: str) -> AESGCM:
    return AESGCM(keyring("field").get(kid))


def _active() -> tuple[bytes, AESGCM]:
    kid = keyring("field").active_id
    return bytes.fromhex(kid), _aead(kid)


@cache
def _index_key() -> bytes:
    return keyring("index").active


def encrypt(plaintext: str, *, context: str) -> bytes:
    """Encrypt `plaintext`; `context` (e.g. "person.id_number") is bound as associated data."""
    return encrypt_bytes(plaintext.encode(), context=context)


def decrypt(token: bytes, *, context: str) -> str:
    return decrypt_bytes(token, context=context).decode()


def encrypt_bytes(data: bytes, *, context: str) -> bytes:
    kid, aead = _active()
    nonce = os.urandom(12)
    return _VERSION + kid + nonce + aead.encrypt(nonce, data, context.encode())


def decrypt_bytes(token: bytes, *, context: str) -> bytes:
    token = bytes(token)
    if token[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    return _aead(token[1:5].hex()).decrypt(token[5:17], token[17:], context.encode())


def key_id_of(token: bytes) -> str:
    """The id of the field key that encrypted `token`."""
    return bytes(token)[1:5].hex()


def blind_index(value: str, *, context: str) -> str:
    """Deterministic keyed digest for exact-match look-up without storing the value in clear."""
    return hmac.digest(_index_key(), context.encode() + b"\x00" + value.encode(), "sha256").hex()


def encrypt_many(values: Sequence[str], *, context: str) -> list[bytes]:
    """`encrypt` for a batch (bulk loads): one call for all the nonces, the cipher bound once."""
    kid, aead = _active()
    nonces = os.urandom(12 * len(values))
    seal, ad, head = aead.encrypt, context.encode(), _VERSION + kid
    out = []
    for i, value in enumerate(values):
        nonce = nonces[12 * i:12 * i + 12]
        out.append(head + nonce + seal(nonce, value.encode(), ad))
    return out


def blind_index_many(values: Sequence[str], *, context: str) -> list[str]:
    """`blind_index` for a batch: the keyed state after the context is computed once and copied per value."""
    keyed = hmac.new(_index_key(), context.encode() + b"\x00", hashlib.sha256)
    out = []
    for value in values:
        h = keyed.copy()
        h.update(value.encode())
        out.append(h.hexdigest())
    return out


def reset_key_cache() -> None:
    """After a key ring changed (rotation, tests)."""
    keyring.cache_clear()
    _aead.cache_clear()
    _index_key.cache_clear()
