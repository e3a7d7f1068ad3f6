"""Writes on persons. Every service records its audit event in the same transaction."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, Role, can
from residence.accounts.services import user_create
from residence.audit.services import event_record
from residence.core import crypto
from residence.core.errors import PermissionDenied, ValidationError
from residence.core.idnumber import parse_id_number
from residence.core.sms import sms_send
from residence.people.identity import (
    ProtectedIdentity,
    clean_name,
    clean_phone,
    id_index,
    name_initials,
    phone_index,
    protect,
    resident_username,
    reveal_id_number,
    reveal_phone,
)
from residence.people.models import Person, PhoneChallenge
from residence.people.selectors import person_get_for_user


def person_build(*, ident: ProtectedIdentity, name: str, ethnicity: str = "01", education: str = "",
                 marital_status: str = "", occupation: str = "", hukou_address: str = "") -> Person:
    """An unsaved Person from checked identity fields and a cleaned name: the one place a record is assembled,
    for the single-person service and the bulk import alike."""
    return Person(
        id_number_enc=ident.id_number_enc, id_number_index=ident.id_number_index,
        id_number_masked=ident.id_number_masked, name=name, name_initials=name_initials(name),
        sex=ident.id_number.sex, birth_date=ident.id_number.birth_date, origin_code=ident.id_number.division_code,
        ethnicity=ethnicity, education=education, marital_status=marital_status, occupation=occupation,
        phone_enc=ident.phone_enc, phone_index=ident.phone_index, phone_masked=ident.phone_masked,
        hukou_address=hukou_address,
    )


def person_create(
    *, actor: User | None, id_number: str, name: str, phone: str = "", ethnicity: str = "01",
    education: str = "", marital_status: str = "", occupation: str = "", hukou_address: str = "",
) -> Person:
    person = person_build(ident=protect(id_number=id_number, phone=phone), name=clean_name(name),
                          ethnicity=ethnicity, education=education, marital_status=marital_status,
                          occupation=occupation, hukou_address=hukou_address)
    with transaction.atomic():
        if Person.objects.select_for_update().filter(id_number_index=person.id_number_index).exists():
            raise ValidationError(_("A person with this ID number already exists."), code="duplicate",
                                  field="id_number")
        person.save()
        event_record(actor=actor, action="person.created", subject_type="person", subject_id=person.pk)
    return person


def person_unmask(*, actor: User, person_id: int, purpose: str) -> dict[str, str]:
    """Reveal the full ID and phone numbers of a person in scope, for a stated purpose. Always audited."""
    if not can(actor, Capability.PERSON_UNMASK):
        raise PermissionDenied(_("You may not reveal full ID numbers."))
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError(_("State the purpose of revealing the full numbers."), field="purpose")
    person = person_get_for_user(user=actor, person_id=person_id)
    with transaction.atomic():
        event_record(actor=actor, action="person.identity.unmasked", subject_type="person",
                     subject_id=person.pk, data={"purpose": purpose[:200]})
    return {"id_number": reveal_id_number(person.id_number_enc), "phone": reveal_phone(person.phone_enc)}


CODE_MINUTES = 10  # a sign-up code is valid this long
CODE_TRIES = 5  # wrong codes before it is void
RESEND_SECONDS = 60  # at most one code a minute to a phone
CODES_PER_DAY = 5


def _code_digest(person_id: int, code: str) -> str:
    return crypto.blind_index(f"{person_id}:{code}", context="people.phone_challenge")


def resident_signup_start(*, id_number: str, phone: str) -> PhoneChallenge:
    """A resident asks to open an account with their ID number and the phone number on their record; a code goes
    to that phone by SMS. Which of the two did not match is not told, so the form cannot be used to learn whether
    someone is registered."""
    idn = parse_id_number(id_number)
    phone = clean_phone(phone)
    person = Person.objects.filter(id_number_index=id_index(idn.value), phone_index=phone_index(phone)).first()
    if person is None:
        raise ValidationError(_("This ID number and phone number do not match a registered person. The phone must "
                                "be the one given when your residence was registered."), code="no_match",
                              field="id_number")
    if User.objects.filter(person_id=person.pk).exists():
        raise ValidationError(_("An account already exists for this ID number. Log in, or ask at a counter to "
                                "reset the password."), code="exists", field="id_number")
    now = timezone.now()
    recent = PhoneChallenge.objects.filter(person=person, created_at__gte=now - dt.timedelta(days=1))
    if recent.filter(created_at__gte=now - dt.timedelta(seconds=RESEND_SECONDS)).exists():
        raise ValidationError(_("A code was sent less than a minute ago. Wait a moment before asking again."),
                              code="too_soon", field="phone")
    if recent.count() >= CODES_PER_DAY:
        raise ValidationError(_("Too many codes were sent to this phone today. Try again tomorrow or ask at a "
                                "counter."), code="too_many", field="phone")
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        challenge = PhoneChallenge.objects.create(person=person, code_digest=_code_digest(person.pk, code),
                                                  created_at=now,
                                                  expires_at=now + dt.timedelta(minutes=CODE_MINUTES))
        event_record(actor=None, action="account.resident.code_sent", subject_type="person", subject_id=person.pk)
        sms_send(phone=phone, text=_("Residence system code %(code)s, valid for %(minutes)d minutes. Do not tell "
                                     "it to anyone.") % {"code": code, "minutes": CODE_MINUTES})
    return challenge


def resident_account_open(*, challenge_id: int, code: str, password: str) -> User:
    """The resident proves the phone with the code it received and chooses a password: the account is opened."""
    challenge = PhoneChallenge.objects.select_related("person").filter(pk=challenge_id, used=False).first()
    if challenge is None or challenge.expires_at < timezone.now() or challenge.attempts >= CODE_TRIES:
        raise ValidationError(_("This code has expired or was tried too often. Ask for a new one."),
                              code="expired", field="code")
    if not hmac.compare_digest(_code_digest(challenge.person_id, code.strip()), challenge.code_digest):
        PhoneChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
        raise ValidationError(_("The code is wrong."), code="wrong_code", field="code")
    person = challenge.person
    username = resident_username(person.pk)
    try:
        validate_password(password, User(username=username, display_name=person.name))
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(exc.messages), code="password", field="password") from exc
    with transaction.atomic():
        if not PhoneChallenge.objects.filter(pk=challenge.pk, used=False).update(used=True):
            raise ValidationError(_("This code has expired or was tried too often. Ask for a new one."),
                                  code="expired", field="code")
        if User.objects.filter(person_id=person.pk).exists():
            raise ValidationError(_("An account already exists for this ID number. Log in, or ask at a counter to "
                                    "reset the password."), code="exists", field="code")
        user = user_create(actor=None, username=username, password=password, role=Role.RESIDENT,
                           display_name=person.name, check_password=False, person_id=person.pk)
        event_record(actor=user, action="account.resident.opened", subject_type="person", subject_id=person.pk)
    return user
