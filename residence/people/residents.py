"""Residents' own accounts: opening one and resetting its password, each proved by a code sent by SMS to the phone
on the person's record. Log-in is with the ID number (see forms.ResidentLoginForm).

A code is valid for CODE_MINUTES, allows CODE_TRIES wrong tries, is used once; at most one is sent a minute and
CODES_PER_DAY a day to a person. Only a keyed digest of it is stored.

No oracle: step 1 answers the same way, with the same work, whether or not the ID number is on record, the phone
matches, an account exists, or a code may be sent now. Each time a challenge is made and hashed, and step 2 follows;
only when everything holds is its code texted to the phone on record (otherwise it is a decoy, whose code no one
has and which no code opens). Step 1 is limited to RESIDENT_CODE_TRIES_PER_HOUR tries per client address and per
ID number, across both flows (residence.core.ratelimit).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Role
from residence.accounts.services import user_create
from residence.audit.services import event_record
from residence.core import crypto
from residence.core.errors import ValidationError
from residence.core.idnumber import parse_id_number
from residence.core.ratelimit import hit
from residence.core.sms import sms_send
from residence.people.identity import clean_phone, id_index, phone_index, resident_username
from residence.people.models import Person, PhoneChallenge

CODE_MINUTES = 10
CODE_TRIES = 5
RESEND_SECONDS = 60
CODES_PER_DAY = 5


def resident_login_name(id_number: str) -> str:
    """The user name to authenticate for an ID number typed at log-in. For a number on no record, a name no
    account has, so that the answer (and the lockout count) is the same as for a wrong password."""
    index = id_index(id_number.strip().upper())
    person_id = Person.objects.filter(id_number_index=index).values_list("pk", flat=True).first()
    return resident_username(person_id) if person_id is not None else f"resident-unknown-{index[:16]}"


def resident_signup_start(*, id_number: str, phone: str, address: str = "") -> PhoneChallenge:
    """Step 1 of opening an account: the ID number and the phone on record; a code goes to that phone when they
    match a person without an account. The answer is the same either way (see the module's docstring)."""
    return _code_request(id_number, phone, address, PhoneChallenge.Purpose.SIGNUP)


def resident_account_open(*, challenge_id: int, code: str, password: str) -> User:
    """Step 2: the code from the text message and a password; the account is opened."""
    challenge = _code_check(challenge_id, code, PhoneChallenge.Purpose.SIGNUP)
    person = challenge.person
    if person is None:  # never: _code_check refuses every code of a decoy
        raise _expired()
    username = resident_username(person.pk)
    _check_password(password, User(username=username, display_name=person.name))
    with transaction.atomic():
        _code_use(challenge)
        if User.objects.filter(person_id=person.pk).exists():
            raise ValidationError(_("An account already exists for this ID number. Log in, or reset the "
                                    "password."), code="exists", field="code")
        user = user_create(actor=None, username=username, password=password, role=Role.RESIDENT,
                           display_name=person.name, check_password=False, person_id=person.pk)
        event_record(actor=user, action="account.resident.opened", subject_type="person", subject_id=person.pk)
    return user


def resident_reset_start(*, id_number: str, phone: str, address: str = "") -> PhoneChallenge:
    """Step 1 of a forgotten password: the ID number and the phone on record; a code goes to that phone when they
    match a person with an account. The answer is the same either way."""
    return _code_request(id_number, phone, address, PhoneChallenge.Purpose.RESET)


def resident_password_reset(*, challenge_id: int, code: str, password: str) -> User:
    """Step 2: the code from the text message and a new password."""
    challenge = _code_check(challenge_id, code, PhoneChallenge.Purpose.RESET)
    user = User.objects.get(person_id=challenge.person_id)
    _check_password(password, user)
    with transaction.atomic():
        _code_use(challenge)
        user.set_password(password)
        user.save(update_fields=["password"])
        event_record(actor=user, action="account.resident.password_reset", subject_type="person",
                     subject_id=challenge.person_id)
    return user


def _code_request(id_number: str, phone: str, address: str, purpose: str) -> PhoneChallenge:
    """Count the try (per address, then per ID number: over either limit, RateLimited), then make a challenge:
    a real one, texted, when the person matches and may get a code now; else a decoy, made the same way."""
    tries = settings.RESIDENT_CODE_TRIES_PER_HOUR
    if address:
        hit("resident.code.address", address, limit=tries, per=3600)
    idn = parse_id_number(id_number)
    phone = clean_phone(phone)
    hit("resident.code.id", idn.value, limit=tries, per=3600)
    person = Person.objects.filter(id_number_index=id_index(idn.value), phone_index=phone_index(phone)).first()
    withheld = "no_match" if person is None else _code_withheld(person, purpose)
    now = timezone.now()
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        challenge = PhoneChallenge.objects.create(
            person=None if withheld else person, purpose=purpose, created_at=now,
            code_digest=_code_digest(person.pk if person and not withheld else 0, code),
            expires_at=now + dt.timedelta(minutes=CODE_MINUTES))
        event_record(actor=None, action="account.resident.code_withheld" if withheld else "account.resident.code_sent",
                     subject_type="person", subject_id=person.pk if person else "",
                     data={"purpose": purpose, **({"reason": withheld} if withheld else {})})
        if not withheld:
            sms_send(phone=phone, text=_("Residence system code %(code)s, valid for %(minutes)d minutes. Do not tell "
                                         "it to anyone.") % {"code": code, "minutes": CODE_MINUTES})
    return challenge


def _code_withheld(person: Person, purpose: str) -> str:
    """Why a matching person gets no code now ("" when they do): an account already open (sign-up) or none yet
    (reset), a code sent less than a minute ago, or CODES_PER_DAY sent today."""
    has_account = User.objects.filter(person_id=person.pk).exists()
    if purpose == PhoneChallenge.Purpose.SIGNUP and has_account:
        return "exists"
    if purpose == PhoneChallenge.Purpose.RESET and not has_account:
        return "no_account"
    now = timezone.now()
    sent = PhoneChallenge.objects.filter(person=person, created_at__gte=now - dt.timedelta(days=1))
    if sent.filter(created_at__gte=now - dt.timedelta(seconds=RESEND_SECONDS)).exists():
        return "too_soon"
    if sent.count() >= CODES_PER_DAY:
        return "too_many"
    return ""


def _code_digest(person_id: int, code: str) -> str:
    return crypto.blind_index(f"{person_id}:{code}", context="people.phone_challenge")


def _expired() -> ValidationError:
    return ValidationError(_("This code has expired or was tried too often. Ask for a new one."), code="expired",
                           field="code")


def _code_check(challenge_id: int, code: str, purpose: str) -> PhoneChallenge:
    """The challenge, when `code` is its right code and it is fresh and unused. Call it outside a transaction: a
    wrong code counts a try, which must stay counted although the request fails."""
    challenge = (PhoneChallenge.objects.select_related("person")
                 .filter(pk=challenge_id, purpose=purpose, used=False).first())
    if challenge is None or challenge.expires_at < timezone.now() or challenge.attempts >= CODE_TRIES:
        raise _expired()
    right = hmac.compare_digest(_code_digest(challenge.person_id or 0, code.strip()), challenge.code_digest)
    if not right or challenge.person_id is None:  # a decoy's code opens nothing, should anyone guess it
        PhoneChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
        raise ValidationError(_("The code is wrong."), code="wrong_code", field="code")
    return challenge


def _code_use(challenge: PhoneChallenge) -> None:
    """Use the code up, in the transaction of what it allows (only one of two racing requests gets it)."""
    if not PhoneChallenge.objects.filter(pk=challenge.pk, used=False).update(used=True):
        raise _expired()


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(exc.messages), code="password", field="password") from exc
