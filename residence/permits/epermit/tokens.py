"""The electronic permit's token: a compact JWS (RFC 7515) signed with Ed25519 (`alg` "Ed25519", RFC 9864's
fully specified name for EdDSA on Ed25519), small enough for a QR code on a card (at most 350 bytes). Signing is
joserfc's; the signature check is libsodium's (PyNaCl), which checks an Ed25519 signature nearly twice as fast as
OpenSSL on the same machine (`residence bench`: about 14,000 against 8,300 a second on one core) and is as
strict (it refuses a non-canonical signature and a small-order key); what is checked before it (the shape, the
algorithm, the key) is ours.

    header  {"alg": "Ed25519", "kid": "<8 hex digits>"}
    payload {"sub": "<permit number>", "nm": "<masked name>", "iat": <issued>, "exp": <expires>,
             "status": {"status_list": {"idx": <card index>, "uri": "<status list URI>"}}}

The payload carries the least that verification needs: which permit, how long the token is good for, which entry of
the status list to read, and the masked name the verifier compares with the holder (never a hash of the name: a
dictionary of names would undo it). No Django here: the offline verifier (`residence permit verify`) and the server
use the same functions, with the keys of a JWKS or of the key ring.

`decode` is strict, because a verifier's "valid" must mean it: one altered character (base64 that does not
re-encode to itself), another algorithm (`none`, HS256 keyed with the public key), an unknown or retired key, a
header or payload that is not the expected JSON, or a token longer than any we sign, is `TokenInvalid` with the
reason in words.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

ALG = "Ed25519"
MAX_TOKEN = 350  # bytes: a card's QR code stays readable (version 13 at level M holds 415 bytes)
MAX_INPUT = 4096  # longer input is refused before any decoding


class TokenInvalid(ValueError):
    """A token that must not be believed; `str()` says why."""


@dataclass(frozen=True)
class Claims:
    permit_number: str
    name_masked: str
    issued_at: int  # seconds since the epoch
    expires_at: int
    status_index: int
    status_uri: str
    key_id: str


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str, what: str) -> bytes:
    """base64url without padding, canonical: the text must be what encoding the bytes gives back (the spare bits of
    the last character are zero), so that no two texts carry the same bytes."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenInvalid(f"the {what} is not base64url") from None
    if b64(data) != text:
        raise TokenInvalid(f"the {what} is not canonical base64url")
    return data


def private_key(seed: bytes) -> OKPKey:
    """The Ed25519 signing key of a 32-byte seed (the key ring's bytes)."""
    return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "d": b64(seed),
                              "x": b64(_public_of(seed))})


def _public_of(seed: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_jwk(key: OKPKey, kid: str) -> dict[str, str]:
    """The public half of `key` as a JWK (RFC 8037), as the JWKS publishes it."""
    return {"kty": "OKP", "crv": "Ed25519", "x": str(key.as_dict(private=False)["x"]), "kid": kid, "alg": ALG,
            "use": "sig"}


def keys_from_jwks(jwks: Any) -> dict[str, OKPKey]:
    """The Ed25519 keys of a JWKS document by id; other kinds of key are skipped (this verifier does not use them)."""
    keys: dict[str, OKPKey] = {}
    for jwk in jwks.get("keys", []) if isinstance(jwks, Mapping) else []:
        if isinstance(jwk, Mapping) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("kid"):
            try:
                keys[str(jwk["kid"])] = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": str(jwk.get("x"))})
            except (JoseError, ValueError, TypeError):
                continue
    return keys


def sign(payload: Mapping[str, Any], *, key: OKPKey, kid: str, typ: str = "") -> str:
    header: dict[str, str] = {"alg": ALG, "kid": kid}
    if typ:
        header["typ"] = typ
    return jws.serialize_compact(header, _json(payload), key, algorithms=[ALG])


def _json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def verify_jws(token: str, keys: Mapping[str, OKPKey], *, retired: frozenset[str] = frozenset(),
               typ: str = "", max_length: int = MAX_INPUT) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and payload of a compact JWS signed by one of `keys`, or TokenInvalid."""
    if not isinstance(token, str):
        raise TokenInvalid("the token is not text")
    token = token.strip()
    if len(token) > max_length:
        raise TokenInvalid(f"the token is {len(token)} characters long; at most {max_length} are expected")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise TokenInvalid("the token is not three base64url parts joined by dots (it may be cut short)")
    header = header_of(parts[0])
    if header.get("alg") != ALG:
        raise TokenInvalid(f"the algorithm {str(header.get('alg'))[:20]!r} is not accepted; only {ALG}")
    if typ and header.get("typ") != typ:
        raise TokenInvalid(f"the token is not a {typ}")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise TokenInvalid("the token names no key")
    if kid in retired:
        raise TokenInvalid(f"the token was signed by key {kid}, which is retired; the card must be reissued")
    if kid not in keys:
        raise TokenInvalid(f"the token was signed by an unknown key {kid[:20]!r}")
    signature = unb64(parts[2], "signature")
    payload = _object(unb64(parts[1], "payload"), "payload")
    # the parts are checked above: the signature is over them (RFC 7515 5.2), checked without parsing the token a
    # second time (a school's gate checks a permit a second)
    try:
        if len(signature) != 64:
            raise BadSignatureError
        crypto_sign_open(signature + f"{parts[0]}.{parts[1]}".encode("ascii"), keys[kid].public_key.public_bytes_raw())
    except BadSignatureError:
        raise TokenInvalid("the signature does not match: the token was altered or forged") from None
    return header, payload


def header_of(token: str) -> dict[str, Any]:
    """A token's header, read before (and without) checking its signature: which key and which kind of token to
    check it as. TokenInvalid when it is not a JSON object in base64url."""
    return _object(unb64(token.strip().split(".", 1)[0], "header"), "header")


def _object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TokenInvalid(f"the {what} is not JSON") from None
    if not isinstance(value, dict):
        raise TokenInvalid(f"the {what} is not a JSON object")
    return value


def permit_payload(*, number: str, name_masked: str, issued_at: int, expires_at: int, index: int,
                   uri: str) -> dict[str, Any]:
    return {"sub": number, "nm": name_masked, "iat": issued_at, "exp": expires_at,
            "status": {"status_list": {"idx": index, "uri": uri}}}


def permit_token(claims: Mapping[str, Any], *, key: OKPKey, kid: str) -> str:
    token = sign(claims, key=key, kid=kid)
    if len(token) > MAX_TOKEN:  # a longer name or number than we planned for: the QR code would not read
        raise ValueError(f"a permit token of {len(token)} bytes is over {MAX_TOKEN}")
    return token


def decode_permit(token: str, keys: Mapping[str, OKPKey], *,
                  retired: frozenset[str] = frozenset()) -> Claims:
    """The claims of a genuine permit token (its validity dates are not judged here), or TokenInvalid."""
    header, p = verify_jws(token, keys, retired=retired)
    try:
        ref = p["status"]["status_list"]
        claims = Claims(permit_number=p["sub"], name_masked=p.get("nm", ""), issued_at=p["iat"],
                        expires_at=p["exp"], status_index=ref["idx"], status_uri=ref["uri"], key_id=header["kid"])
    except (KeyError, TypeError):
        raise TokenInvalid("the payload lacks a permit number, dates or a status reference") from None
    if not (isinstance(claims.permit_number, str) and isinstance(claims.name_masked, str)
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                    for v in (claims.issued_at, claims.expires_at, claims.status_index))):
        raise TokenInvalid("the payload's fields are not of the expected kinds")
    return claims
