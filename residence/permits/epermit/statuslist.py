"""The status list: two bits per card, in the format of the IETF OAuth Token Status List (draft-ietf-oauth-status-
list), signed like the tokens, so that a verifier who downloads it checks any card offline and the server never learns
which card was checked.

    header  {"alg": "Ed25519", "kid": "…", "typ": "statuslist+jwt"}
    payload {"sub": "<its URI>", "iat": …, "exp": …, "ttl": 300,
             "status_list": {"bits": 2, "lst": "<base64url of the zlib-compressed entries>"}}

Entry `i` is bits 2(i mod 4) and 2(i mod 4)+1 of byte i div 4, least significant first. Values: 0 valid, 1 revoked
(the format's INVALID: replaced, reissued, cancelled, never issued), 2 suspended, 3 dormant (the format leaves 3 to
the application). A list past its `exp` is refused; `ttl` tells a verifier when to fetch a fresh one.

A *status proof* is the holder's short-lived signed statement of one card's status (`typ` "statusproof+jwt"), which
the phone refreshes while its page is open: shown with the token, it lets an offline verifier read a fresh status
without the whole list.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from joserfc.jwk import OKPKey

from residence.permits.epermit.tokens import TokenInvalid, b64, header_of, sign, unb64, verify_jws

VALID, REVOKED, SUSPENDED, DORMANT = 0, 1, 2, 3
WORDS = {VALID: "valid", REVOKED: "revoked", SUSPENDED: "suspended", DORMANT: "dormant"}
LIST_TYP = "statuslist+jwt"
PROOF_TYP = "statusproof+jwt"
MAX_LIST = 64 * 1024 * 1024  # characters: ten million cards take about 2 MB


def pack(codes: np.ndarray) -> bytes:
    """Entries (one uint8 each, 0–3) as two bits each, four to a byte, the first in the lowest bits."""
    padded = np.zeros(-(-len(codes) // 4) * 4, dtype=np.uint8)
    padded[: len(codes)] = codes
    quads = padded.reshape(-1, 4)
    return (quads[:, 0] | (quads[:, 1] << 2) | (quads[:, 2] << 4) | (quads[:, 3] << 6)).astype(np.uint8).tobytes()


def compress(codes: np.ndarray) -> bytes:
    return zlib.compress(pack(codes), 9)


@dataclass(frozen=True)
class StatusList:
    uri: str
    issued_at: int
    expires_at: int
    ttl: int
    packed: bytes  # uncompressed, two bits an entry
    key_id: str
    proof_index: int | None = None  # a status proof vouches for this one entry only

    def __len__(self) -> int:
        return len(self.packed) * 4

    def status(self, index: int) -> int:
        """The entry's value; an index past the end is revoked (no card has it)."""
        if self.proof_index is not None and index != self.proof_index:
            raise TokenInvalid("the status proof is for another card")
        if not 0 <= index < len(self):
            return REVOKED
        return (self.packed[index // 4] >> (2 * (index % 4))) & 0b11


def list_token(codes: np.ndarray, *, uri: str, key: OKPKey, kid: str, issued_at: int, lifetime: int,
               ttl: int) -> str:
    payload = {"sub": uri, "iat": issued_at, "exp": issued_at + lifetime, "ttl": ttl,
               "status_list": {"bits": 2, "lst": b64(compress(codes))}}
    return sign(payload, key=key, kid=kid, typ=LIST_TYP)


def decode_list(token: str, keys: Mapping[str, OKPKey], *, now: float | None = None,
                retired: frozenset[str] = frozenset()) -> StatusList:
    """A genuine, unexpired status list, or TokenInvalid saying what is wrong with it."""
    header, p = verify_jws(token, keys, retired=retired, typ=LIST_TYP, max_length=MAX_LIST)
    try:
        body = p["status_list"]
        bits, lst, iat, exp = body["bits"], body["lst"], p["iat"], p["exp"]
    except (KeyError, TypeError):
        raise TokenInvalid("the status list lacks its entries or dates") from None
    if bits != 2 or not isinstance(lst, str) or not isinstance(iat, int) or not isinstance(exp, int):
        raise TokenInvalid("the status list is not two bits an entry with dates")
    if exp <= (time.time() if now is None else now):
        raise TokenInvalid(f"the status list expired at {_when(exp)}; fetch a current one")
    try:
        packed = zlib.decompress(unb64(lst, "status list"))
    except zlib.error:
        raise TokenInvalid("the status list's entries are not zlib data") from None
    return StatusList(uri=str(p.get("sub", "")), issued_at=iat, expires_at=exp, ttl=int(p.get("ttl", 0)),
                      packed=packed, key_id=header["kid"])


def proof_token(*, permit_number: str, index: int, status: int, key: OKPKey, kid: str, issued_at: int,
                lifetime: int) -> str:
    payload = {"sub": permit_number, "idx": index, "st": status, "iat": issued_at, "exp": issued_at + lifetime}
    return sign(payload, key=key, kid=kid, typ=PROOF_TYP)


def decode_proof(token: str, keys: Mapping[str, OKPKey], *, now: float | None = None,
                 retired: frozenset[str] = frozenset()) -> StatusList:
    """A status proof as a list that answers for its own entry only, or TokenInvalid."""
    header, p = verify_jws(token, keys, retired=retired, typ=PROOF_TYP)
    try:
        index, status, iat, exp = int(p["idx"]), int(p["st"]), int(p["iat"]), int(p["exp"])
    except (KeyError, TypeError, ValueError):
        raise TokenInvalid("the status proof lacks its index, status or dates") from None
    if exp <= (time.time() if now is None else now):
        raise TokenInvalid(f"the status proof expired at {_when(exp)}; the holder's page refreshes it")
    if not (index >= 0 and 0 <= status <= DORMANT):
        raise TokenInvalid("the status proof's index or status is out of range")
    packed = bytearray(index // 4 + 1)
    packed[index // 4] = status << (2 * (index % 4))
    return StatusList(uri=str(p.get("sub", "")), issued_at=iat, expires_at=exp, ttl=0, packed=bytes(packed),
                      key_id=header["kid"], proof_index=index)


def decode_status(token: str, keys: Mapping[str, OKPKey], *, now: float | None = None) -> StatusList:
    """A status list or a status proof, whichever `token` is."""
    try:
        typ = header_of(token).get("typ")
    except TokenInvalid:
        typ = LIST_TYP
    return (decode_proof if typ == PROOF_TYP else decode_list)(token, keys, now=now)


def _when(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))
