"""Key rotation over the data each key protects (`residence rotatekey KIND`).

Apps declare their encrypted columns here (`protect`), each with the blind index computed from the same value.
- `field`: a new active key; every protected value is re-encrypted under it in batches. The old key stays in the ring,
  so a value written by a server that has not yet reloaded its keys is still readable.
- `index`: a new key; every blind index is recomputed in one transaction, and the ring is replaced before it commits.
  Look-ups use only the active key, so servers must restart afterwards (the command says so).
- `audit`: a new active key signs from now on; earlier events and blocks verify under the old one, kept in the ring.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction

from residence.core import crypto, keys


@dataclass(frozen=True)
class Protected:
    model: str  # app_label.ModelName
    encrypted: str  # field holding crypto.encrypt(value, context=context)
    index: str  # field holding crypto.blind_index(value, context=context), or ""
    context: str


PROTECTED: list[Protected] = []


def protect(model: str, *, encrypted: str, index: str = "", context: str) -> None:
    if all(p.model != model or p.encrypted != encrypted for p in PROTECTED):
        PROTECTED.append(Protected(model, encrypted, index, context))


def _rows(p: Protected, batch: int):  # type: ignore[no-untyped-def]
    model = apps.get_model(p.model)
    qs = model.objects.exclude(**{f"{p.encrypted}__isnull": True}).order_by("pk")
    last = None
    while True:
        page = list((qs.filter(pk__gt=last) if last is not None else qs).only("pk", p.encrypted)[:batch])
        if not page:
            return
        yield model, page
        last = page[-1].pk


def rotate(kind: str, *, batch: int = 2000) -> dict[str, int]:
    """Rotate `kind`; return how many values were rewritten per column."""
    done: dict[str, int] = {}
    if kind == "field":
        keys.key_add("field")
        crypto.reset_key_cache()
        for p in PROTECTED:
            n = 0
            for model, page in _rows(p, batch):
                for obj in page:
                    setattr(obj, p.encrypted, crypto.encrypt_bytes(
                        crypto.decrypt_bytes(getattr(obj, p.encrypted), context=p.context), context=p.context))
                model.objects.bulk_update(page, [p.encrypted])
                n += len(page)
            done[f"{p.model}.{p.encrypted}"] = n
    elif kind == "index":
        new = secrets.token_bytes(32)
        with transaction.atomic():
            for p in [p for p in PROTECTED if p.index]:
                n = 0
                for model, page in _rows(p, batch):
                    for obj in page:
                        value = crypto.decrypt(getattr(obj, p.encrypted), context=p.context)
                        setattr(obj, p.index, hmac.digest(new, p.context.encode() + b"\x00" + value.encode(),
                                                          hashlib.sha256).hex())
                    model.objects.bulk_update(page, [p.index])
                    n += len(page)
                done[f"{p.model}.{p.index}"] = n
            keys.key_replace("index", new)
    elif kind in ("audit", "permit"):  # old keys stay to verify what they signed
        keys.key_add(kind)
    else:
        raise ValueError(f"unknown key kind {kind!r}; one of {', '.join(keys.KINDS)}")
    return done
