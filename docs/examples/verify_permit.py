"""Verify a 居住证 e-permit token offline: the signature against the published keys, the token's dates, and, when
given, the card's entry in the published status list (or the holder's status proof). See docs/verification.md.

Needs Python 3.10+ and one package from PyPI: `pip install cryptography`. Nothing of the project is imported.

    python verify_permit.py TOKEN --keys https://residence.example.gov.cn/.well-known/jwks.json \\
        --status https://residence.example.gov.cn/permits/status-list
    python verify_permit.py TOKEN --keys jwks.json --status status-list.jwt     # files saved earlier
    python verify_permit.py TOKEN --keys jwks.json --status PROOF_TOKEN_FILE    # the holder's status proof
    echo TOKEN | python verify_permit.py - --keys jwks.json                     # the token on standard input

It prints one line and exits 0 only for a permit that is valid:

    valid as signed; status not checked (permit 440308…2347, 张**)              no --status given
    valid as signed; status as of 2026-12-01 08:00:00 UTC (permit …)          the list or proof says valid
    suspended (status as of 2026-12-01 08:00:00 UTC; permit …)                exit 1; likewise dormant, revoked
    expired: …   invalid: …   status not usable: …                            exit 1, with the reason
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
import time
import urllib.request
import zlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ALG = "Ed25519"  # RFC 9864's name for EdDSA over Ed25519; nothing else is accepted
MAX_TOKEN = 4096
STATUS = {0: "valid", 1: "revoked", 2: "suspended", 3: "dormant"}


class Invalid(Exception):
    """Not to be believed; the message says why."""


@dataclass
class Permit:
    number: str
    name_masked: str
    expires_at: int
    index: int
    uri: str


# --- reading ---------------------------------------------------------------------------------------------------
def read(source: str) -> str:
    """A file's text, or a URL's body (http or https), or standard input for "-"."""
    if source == "-":
        return sys.stdin.read()
    if source.startswith(("https://", "http://")):
        with urllib.request.urlopen(source, timeout=30) as answer:  # noqa: S310 - the operator's own URL
            return str(answer.read().decode("utf-8"))
    with open(source, encoding="utf-8") as fh:
        return fh.read()


def unb64(text: str, what: str) -> bytes:
    """base64url without padding, and canonical: re-encoding gives the same text (no two texts for one token)."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise Invalid(f"the {what} is not base64url") from None
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") != text:
        raise Invalid(f"the {what} is not canonical base64url")
    return data


def keys_from_jwks(jwks: Any) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 public keys of a JWKS by key id (a retired key is simply no longer listed)."""
    keys = {}
    for jwk in jwks.get("keys", []) if isinstance(jwks, dict) else []:
        if isinstance(jwk, dict) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("kid"):
            try:
                keys[str(jwk["kid"])] = Ed25519PublicKey.from_public_bytes(unb64(str(jwk.get("x")), "key"))
            except (Invalid, ValueError):
                continue
    return keys


def verify_jws(token: str, keys: dict[str, Ed25519PublicKey], *, typ: str = "",
               max_length: int = MAX_TOKEN) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a compact JWS signed with Ed25519 by one of `keys`, or Invalid."""
    token = token.strip()
    if len(token) > max_length:
        raise Invalid(f"the token is {len(token)} characters long; at most {max_length} are expected")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise Invalid("the token is not three base64url parts joined by dots (it may be cut short)")
    header = _object(unb64(parts[0], "header"), "header")
    if header.get("alg") != ALG:  # never "none", never HS256 keyed with the public key
        raise Invalid(f"the algorithm {str(header.get('alg'))[:20]!r} is not accepted; only {ALG}")
    if typ and header.get("typ") != typ:
        raise Invalid(f"the token is not a {typ}")
    kid = header.get("kid")
    if not isinstance(kid, str) or kid not in keys:
        raise Invalid(f"the token was signed by a key the JWKS does not publish ({str(kid)[:20]!r}): unknown or "
                      "retired")
    signature = unb64(parts[2], "signature")
    try:
        keys[kid].verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature:
        raise Invalid("the signature does not match: the token was altered or forged") from None
    return header, _object(unb64(parts[1], "payload"), "payload")


def _object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Invalid(f"the {what} is not JSON") from None
    if not isinstance(value, dict):
        raise Invalid(f"the {what} is not a JSON object")
    return value


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# --- the permit token ------------------------------------------------------------------------------------------
def decode_permit(token: str, keys: dict[str, Ed25519PublicKey]) -> Permit:
    _header, p = verify_jws(token, keys)
    ref = p.get("status", {}).get("status_list", {}) if isinstance(p.get("status"), dict) else {}
    permit = Permit(number=p.get("sub"), name_masked=p.get("nm", ""), expires_at=p.get("exp"),
                    index=ref.get("idx") if isinstance(ref, dict) else None,
                    uri=ref.get("uri") if isinstance(ref, dict) else None)
    if not (isinstance(permit.number, str) and isinstance(permit.name_masked, str) and _int(permit.expires_at)
            and _int(permit.index) and isinstance(permit.uri, str)):
        raise Invalid("the payload lacks a permit number, dates or a status reference")
    return permit


# --- the status list (IETF OAuth Token Status List) and the holder's status proof --------------------------------
def status_of(token: str, keys: dict[str, Ed25519PublicKey], permit: Permit, now: float) -> tuple[int, int]:
    """(the card's status code, when the list or proof was signed), from a status list or a status proof."""
    typ = _object(unb64(token.strip().split(".", 1)[0], "header"), "header").get("typ")
    if typ == "statusproof+jwt":  # the holder's phone: one card's status, good for minutes
        _h, p = verify_jws(token, keys, typ="statusproof+jwt")
        if not (_int(p.get("idx")) and p.get("st") in STATUS and _int(p.get("iat")) and _int(p.get("exp"))):
            raise Invalid("the status proof lacks its index, status or dates")
        if p["exp"] <= now:
            raise Invalid(f"the status proof expired at {when(p['exp'])}; the holder's page refreshes it")
        if p["idx"] != permit.index or p.get("sub") != permit.number:
            raise Invalid("the status proof is for another card")
        return p["st"], p["iat"]
    _h, p = verify_jws(token, keys, typ="statuslist+jwt", max_length=64 * 1024 * 1024)
    body = p.get("status_list")
    if not (isinstance(body, dict) and body.get("bits") == 2 and isinstance(body.get("lst"), str)
            and _int(p.get("iat")) and _int(p.get("exp"))):
        raise Invalid("the status list is not two bits an entry with dates")
    if p["exp"] <= now:
        raise Invalid(f"the status list expired at {when(p['exp'])}; fetch a current one")
    if p.get("sub") != permit.uri:
        raise Invalid(f"this is the status list {str(p.get('sub'))[:60]!r}; the token names {permit.uri!r}")
    try:
        packed = zlib.decompress(unb64(body["lst"], "status list"))
    except zlib.error:
        raise Invalid("the status list's entries are not zlib data") from None
    i = permit.index
    if i // 4 >= len(packed):
        return 1, p["iat"]  # past the end: no card has this entry
    return (packed[i // 4] >> (2 * (i % 4))) & 0b11, p["iat"]  # entry i: bits 2(i mod 4) and up of byte i div 4


def when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


# --- the command -----------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a 居住证 e-permit token offline.")
    parser.add_argument("given", metavar="TOKEN", help="the token as read from the QR code, or - for standard input")
    parser.add_argument("--keys", required=True, help="JWKS: a file or the URL of /.well-known/jwks.json")
    parser.add_argument("--status", help="status list (a file or the URL of /permits/status-list) or status proof")
    parser.add_argument("--now", type=float, help="check as of this time, seconds since 1970 (default: now)")
    args = parser.parse_args(argv)
    now = time.time() if args.now is None else args.now
    try:
        keys = keys_from_jwks(json.loads(read(args.keys)))
    except (OSError, ValueError) as exc:
        print(f"cannot read the keys from {args.keys}: {exc}", file=sys.stderr)
        return 2
    if not keys:
        print(f"{args.keys} holds no Ed25519 key", file=sys.stderr)
        return 2
    given = read(args.given).strip() if args.given == "-" else args.given
    try:
        permit = decode_permit(given, keys)
    except Invalid as exc:
        print(f"invalid: {exc}")
        return 1
    who = f"permit {permit.number[:6]}…{permit.number[-4:]}, {permit.name_masked}"
    if permit.expires_at <= now:
        print(f"expired: the token's validity ended at {when(permit.expires_at)} ({who})")
        return 1
    if not args.status:
        print(f"valid as signed; status not checked ({who})")
        return 0
    try:
        code, issued_at = status_of(read(args.status), keys, permit, now)
    except OSError as exc:
        print(f"cannot read the status from {args.status}: {exc}", file=sys.stderr)
        return 2
    except Invalid as exc:
        print(f"status not usable: {exc}")
        return 1
    if code == 0:
        print(f"valid as signed; status as of {when(issued_at)} ({who})")
        return 0
    print(f"{STATUS[code]} (status as of {when(issued_at)}; {who})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
