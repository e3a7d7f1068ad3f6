"""The electronic permit: card and phone tokens, online verification, the published status list and the holder's
status proofs. The token format is in `tokens.py`, the list's in `statuslist.py`, the keys in `keys.py`.

- A **card token** is signed once per card (`PermitCard`), when the card's print sheet is made or the token is first
  asked for, and lasts as long as the card (`CARD_YEARS`); its bytes never change, so the card can be printed again.
- A **phone token** is signed for the resident's page, lasts `PHONE_HOURS`, and carries the current card's entry.
- **Online** (`verify`): the signature, the token's own dates, then the card's status now, from the database.
- **Offline**: the status list (`status_list_current`), signed again when the published one is older than
  `LIST_REFRESH`, so a status change (the daily job's suspensions included) is in it within that time; and status
  proofs (`status_proof`) for the holder's phone.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.audit.services import event_record
from residence.core.divisions import county_of, name_of
from residence.core.errors import NotFound, ValidationError
from residence.core.lean import prepared
from residence.people.identity import mask_name, redact_numbers
from residence.permits.epermit import statuslist
from residence.permits.epermit.keys import permit_keys
from residence.permits.epermit.tokens import (
    Claims,
    TokenInvalid,
    decode_permit,
    header_of,
    permit_payload,
    permit_token,
)
from residence.permits.lifecycle import permit_number_masked
from residence.permits.models import Permit, PermitCard, PermitStatus, StatusList
from residence.places.selectors import jurisdiction_path_for_user

CARD_YEARS = 10  # a card's token lasts as long as the card: ten years, as an adult's ID card
PHONE_HOURS = 24
PROOF_MINUTES = 15
LIST_REFRESH = 60  # seconds: a status change is in the published list within this (the bound: 5 minutes)
LIST_LIFETIME = 24 * 3600  # a list's exp; verifiers fetch a fresh one every `ttl` seconds
LIST_TTL = 300
STATUS_URI = "/permits/status-list"
RESULTS = ("valid", "suspended", "dormant", "revoked", "expired", "invalid")


# --- cards and tokens ----------------------------------------------------------------------------------------
def card_for(*, permit_number: str, seq: int, name: str) -> PermitCard:
    """The card `seq` of a permit, made (and its token's dates and key fixed) the first time it is asked for."""
    card = PermitCard.objects.filter(permit_number=permit_number, seq=seq).first()
    if card is not None:
        return card
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        card, _made = PermitCard.objects.get_or_create(
            permit_number=permit_number, seq=seq,
            defaults={"key_id": permit_keys().active_id, "name_masked": mask_name(name), "issued_at": now,
                      "expires_at": now.replace(year=now.year + CARD_YEARS) if not (now.month == 2 and now.day == 29)
                      else now.replace(year=now.year + CARD_YEARS, day=28)})
    return card


def card_token(card: PermitCard) -> str:
    """The card's token, the same bytes every time (Ed25519 signatures are deterministic), under the key that
    signed it first. Refused when that key is retired: the card must be reissued."""
    keys = permit_keys()
    if card.key_id not in keys.private:
        raise ValidationError(_("The key that signed this card (%(kid)s) is retired: reissue the card.")
                              % {"kid": card.key_id}, code="key_retired")
    claims = permit_payload(number=card.permit_number, name_masked=card.name_masked,
                            issued_at=int(card.issued_at.timestamp()), expires_at=int(card.expires_at.timestamp()),
                            index=card.pk, uri=STATUS_URI)
    return permit_token(claims, key=keys.private[card.key_id], kid=card.key_id)


def current_card(permit: Permit) -> PermitCard:
    return card_for(permit_number=permit.number, seq=permit.card_seq, name=permit.person.name)


def permit_card_token(*, number: str) -> str:
    """The current card's token of the permit `number` (operators' and integrators' tests)."""
    permit = Permit.objects.select_related("person").filter(number=number).first()
    if permit is None:
        raise NotFound(_("No permit has this number."))
    return card_token(current_card(permit))


@dataclass(frozen=True)
class PhoneToken:
    token: str
    expires_at: dt.datetime
    proof: str


def phone_token(*, permit: Permit) -> PhoneToken:
    """A token for the holder's phone (`PHONE_HOURS`), on the current card's entry, with a fresh status proof."""
    card = current_card(permit)
    keys = permit_keys()
    now = int(time.time())
    expires = now + PHONE_HOURS * 3600
    claims = permit_payload(number=permit.number, name_masked=card.name_masked, issued_at=now, expires_at=expires,
                            index=card.pk, uri=STATUS_URI)
    token = permit_token(claims, key=keys.private[keys.active_id], kid=keys.active_id)
    return PhoneToken(token, dt.datetime.fromtimestamp(expires, tz=dt.UTC), status_proof(permit=permit, card=card))


def status_proof(*, permit: Permit, card: PermitCard | None = None) -> str:
    """The holder's signed statement of their current card's status now, good for `PROOF_MINUTES`."""
    card = card or current_card(permit)
    keys = permit_keys()
    return statuslist.proof_token(permit_number=permit.number, index=card.pk, status=_code(permit.status, True),
                                  key=keys.private[keys.active_id], kid=keys.active_id,
                                  issued_at=int(time.time()), lifetime=PROOF_MINUTES * 60)


def _code(permit_status: str | None, current: bool) -> int:
    if permit_status is None or permit_status == PermitStatus.CANCELLED or not current:
        return statuslist.REVOKED
    return {"suspended": statuslist.SUSPENDED, "dormant": statuslist.DORMANT}.get(str(permit_status),
                                                                                  statuslist.VALID)


# --- online verification -------------------------------------------------------------------------------------
@dataclass
class Verification:
    result: str
    reason: str = ""
    claims: Claims | None = None
    permit_number: str = ""  # masked
    name: str = ""  # masked, from the token
    department: dict[str, Any] = field(default_factory=dict)
    checked_at: dt.datetime = field(default_factory=timezone.now)


_CARD_SQL = prepared(
    "SELECT c.permit_number, c.name_masked, c.seq, p.id, p.status, p.card_seq, p.area_path, p.endorsement_due_on, "
    "p.endorsed_years, p.person_id FROM permits_permitcard c LEFT JOIN permits_permit p ON p.number = c.permit_number "
    "WHERE c.id = %s")


def verify(*, token: str, user: User | None = None, purpose: str = "") -> Verification:
    """Anyone's check of a token: valid, suspended, dormant, revoked, expired or invalid, with the least personal
    data (the masked permit number and name). A department client holding `permit.verify` also gets, for a permit in
    its jurisdiction, the district of residence and the endorsement; its read is logged with its purpose. Every
    check is logged with the permit and the answer, never with who asked from where."""
    keys = permit_keys()
    try:
        claims = decode_permit(token, keys.public, retired=keys.retired)
    except TokenInvalid as exc:
        return _logged(Verification("invalid", reason=str(exc)), None, user, purpose)
    v = Verification("valid", claims=claims, permit_number=permit_number_masked(claims.permit_number),
                     name=claims.name_masked)
    if claims.expires_at <= time.time():
        v.result, v.reason = "expired", _("The token's own validity has passed; show a fresh one.")
        return _logged(v, None, user, purpose)
    with connection.cursor() as cur:
        cur.execute(_CARD_SQL, [claims.status_index])
        row = cur.fetchone()
    if row is None or row[0] != claims.permit_number or row[1] != claims.name_masked:
        # a card we made carries the number and name we signed: anything else was signed by someone else
        v.result, v.reason = "invalid", _("The token names a card that was never made.")
        return _logged(v, None, user, purpose)
    _number, _name, seq, permit_id, status, card_seq, area_path, due_on, years, person_id = row
    v.result = statuslist.WORDS[_code(status, permit_id is not None and seq == card_seq)]
    if v.result == "revoked":
        v.reason = (_("This card was replaced by a newer one.") if permit_id is not None and seq != card_seq
                    and status != PermitStatus.CANCELLED else _("The permit was cancelled or never issued."))
    scope = jurisdiction_path_for_user(user) if user is not None and can(user, Capability.PERMIT_VERIFY) else None
    if permit_id is not None and scope and area_path.startswith(scope):
        due = due_on if isinstance(due_on, dt.date) else dt.date.fromisoformat(str(due_on))
        v.department = {"district": name_of(county_of(area_path)) or county_of(area_path),
                        "endorsed_years": years, "endorsement_due_on": due.isoformat(), "status": status}
    return _logged(v, person_id, user, purpose)


def _logged(v: Verification, person_id: int | None, user: User | None, purpose: str) -> Verification:
    data: dict[str, Any] = {"result": v.result}
    if v.claims is not None:
        data["permit"] = v.claims.permit_number
    if v.department:
        data["purpose"] = redact_numbers(purpose or "permit.verify")[:200]
    action = "permit.department_verified" if v.department else "permit.verified"
    # an anonymous check is handed to the audit writer, unwaited for (see event_record); a department's read is not
    event_record(actor=user, action=action, subject_type="person" if person_id else "",
                 subject_id=person_id or "", data=data, durable=user is not None)
    return v


# --- the status list -----------------------------------------------------------------------------------------
_NOT_VALID_SQL = (
    "SELECT c.id, CASE WHEN p.id IS NULL OR p.status = 'cancelled' OR c.seq <> p.card_seq THEN 1 "
    "WHEN p.status = 'suspended' THEN 2 WHEN p.status = 'dormant' THEN 3 ELSE 0 END "
    "FROM permits_permitcard c LEFT JOIN permits_permit p ON p.number = c.permit_number "
    "WHERE p.id IS NULL OR p.status <> 'valid' OR c.seq <> p.card_seq")


def status_codes() -> np.ndarray:
    """Every card's entry (index = card id); entry 0 and any id no card has read revoked only where set: a card
    id is only ever in a token we signed, and every signed card has a row."""
    with connection.cursor() as cur:
        cur.execute("SELECT MAX(id) FROM permits_permitcard")
        top = cur.fetchone()[0] or 0
        codes = np.zeros(top + 1, dtype=np.uint8)
        codes[0] = statuslist.REVOKED
        cur.execute(_NOT_VALID_SQL)
        while rows := cur.fetchmany(50_000):
            ids, values = zip(*rows, strict=True)
            codes[np.fromiter(ids, dtype=np.int64)] = np.fromiter(values, dtype=np.uint8)
    return codes


def status_list_publish(*, now: dt.datetime | None = None) -> StatusList:
    """Sign the list as the database has it now and keep it as the published one (older ones go after a day)."""
    now = (now or timezone.now()).replace(microsecond=0)
    codes = status_codes()
    keys = permit_keys()
    token = statuslist.list_token(codes, uri=STATUS_URI, key=keys.private[keys.active_id], kid=keys.active_id,
                                  issued_at=int(now.timestamp()), lifetime=LIST_LIFETIME, ttl=LIST_TTL)
    published = StatusList.objects.create(issued_at=now, size=len(codes), token=token)
    StatusList.objects.filter(issued_at__lt=now - dt.timedelta(days=1)).delete()
    return published


def status_list_current(*, refresh: int = LIST_REFRESH) -> StatusList:
    """The published list, signed again first when it is older than `refresh` seconds or its key is retired."""
    latest = StatusList.objects.order_by("-issued_at").first()
    if latest is None or (timezone.now() - latest.issued_at).total_seconds() >= refresh \
            or not _key_published(latest.token):
        latest = status_list_publish()
    return latest


def _key_published(token: str) -> bool:
    try:
        return header_of(token).get("kid") in permit_keys().public
    except TokenInvalid:
        return False


def status_list_refresh() -> int:
    """The worker's job: sign the list again when it is due, so that a verifier's download never waits for it;
    1 when a list was signed."""
    before = StatusList.objects.order_by("-issued_at").values_list("pk", flat=True).first()
    return int(status_list_current().pk != before)


# --- for operators ---------------------------------------------------------------------------------------------
def permit_numbers(*, status: str, limit: int | None = None) -> Iterator[str]:
    """Permit numbers by what their current card's token would verify as: valid, suspended, dormant, revoked
    (cancelled, or with a replaced card: the number's older card is revoked) or expired (a card past its years)."""
    if status not in RESULTS[:-1]:
        raise ValidationError(_("Unknown status %(s)s.") % {"s": status}, code="status", field="status")
    permits = Permit.objects.order_by("pk")
    if status in (PermitStatus.VALID, PermitStatus.SUSPENDED, PermitStatus.DORMANT):
        rows = permits.filter(status=status)
    elif status == "revoked":
        rows = permits.filter(status=PermitStatus.CANCELLED)
    else:
        numbers = PermitCard.objects.filter(expires_at__lte=timezone.now()).values("permit_number")
        rows = permits.filter(number__in=numbers)
    yield from rows.values_list("number", flat=True)[:limit]


def key_retire(*, kid: str) -> int:
    """Retire a verify-only permit key (core.keys.key_retire); return how many cards it signed, which must be
    reissued. Logged."""
    from residence.core.keys import key_retire as ring_retire

    ring_retire("permit", kid)
    cards = PermitCard.objects.filter(key_id=kid).count()
    event_record(actor=None, action="permit.key.retired", subject_type="key", subject_id=kid,
                 data={"cards": cards})
    status_list_publish()  # the published list must not stay signed by it
    return cards
