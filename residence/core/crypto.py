"""Field encryption (AES-GCM) and keyed blind indexes (HMAC-SHA256) for personal data at rest.

Keys come from settings (RESIDENCE_FIELD_KEY / RESIDENCE_INDEX_KEY, base64 of 32 bytes). When unset (development,
demo, tests), each key is derived from SECRET_KEY with HKDF under its own label, so the two never coincide.
Ciphertext layout: version byte (1) | 12-byte nonce | AES-GCM ciphertext+tag.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_VERSION = b"\x01"


def _derive(label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"residence", info=label).derive(
        settings.SECRET_KEY.encode()
    )


def _key(configured: str, label: bytes) -> bytes:
    if configured:
        key = base64.b64decode(configured)
        if len(key) != 32:
            raise ValueError(f"{label.decode()} key must be 32 bytes (base64), got {len(key)}")
        return key
    return _derive(label)


@cache
def _aead() -> AESGCM:
    return AESGCM(_key(settings.FIELD_ENCRYPTION_KEY, b"field-encryption"))


@cache
def _index_key() -> bytes:
    return _key(settings.BLIND_INDEX_KEY, b"blind-index")


def encrypt(plaintext: str, *, context: str) -> bytes:
    """Encrypt `plaintext`; `context` (e.g. "person.id_number") is bound as associated data."""
    nonce = os.urandom(12)
    return _VERSION + nonce + _aead().encrypt(nonce, plaintext.encode(), context.encode())


def decrypt(token: bytes, *, context: str) -> str:
    token = bytes(token)
    if token[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    return _aead().decrypt(token[1:13], token[13:], context.encode()).decode()


def encrypt_bytes(data: bytes, *, context: str) -> bytes:
    """`encrypt` for bytes (uploaded files, photos): the same key and layout; `context` is bound as associated
    data, so a file decrypts only under the name it was stored as."""
    nonce = os.urandom(12)
    return _VERSION + nonce + _aead().encrypt(nonce, bytes(data), context.encode())


def decrypt_bytes(token: bytes, *, context: str) -> bytes:
    token = bytes(token)
    if token[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    return _aead().decrypt(token[1:13], token[13:], context.encode())


def blind_index(value: str, *, context: str) -> str:
    """Deterministic keyed digest for exact-match look-up without storing the value in clear."""
    return hmac.digest(_index_key(), context.encode() + b"\x00" + value.encode(), "sha256").hex()


def encrypt_many(values: Sequence[str], *, context: str) -> list[bytes]:
    """`encrypt` for a batch (bulk loads): one call for all the nonces, the cipher bound once."""
    nonces = os.urandom(12 * len(values))
    seal, ad = _aead().encrypt, context.encode()
    out = []
    for i, value in enumerate(values):
        nonce = nonces[12 * i:12 * i + 12]
        out.append(_VERSION + nonce + seal(nonce, value.encode(), ad))
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
    """For tests that change keys."""
    _aead.cache_clear()
    _index_key.cache_clear()
