"""Residents open an account with ID number + the phone on record + a password, log in with the ID number, and
see only their own record."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from residence.accounts.models import User
from residence.audit.models import Event
from residence.core.errors import ValidationError
from residence.people.models import PhoneChallenge
from residence.people.residents import (
    resident_account_open,
    resident_password_reset,
    resident_reset_start,
    resident_signup_start,
)
from residence.people.services import person_create
from residence.people.tests.test_people import new_id, register

pytestmark = pytest.mark.django_db
PASSWORD = "Lantern-river#2026"


@pytest.fixture
def resident_person(city):
    person = person_create(actor=None, id_number=new_id(7), name="林小雨", phone="13912345678")
    register(person, "440308")
    return person


def withheld(challenge: PhoneChallenge) -> str:
    """Why the challenge is a decoy (no code sent), as the audit trail records it; "" for a real one."""
    event = Event.objects.filter(action__startswith="account.resident.code_").latest("pk")
    assert (challenge.person_id is None) == (event.action == "account.resident.code_withheld")
    return str(event.data.get("reason", ""))


def sent_code(outbox: list[tuple[str, str]]) -> str:
    phone, text = outbox[-1]
    assert phone == "13912345678"
    return re.search(r"\d{6}", text).group(0)  # type: ignore[union-attr]


def test_account_needs_the_id_number_the_phone_on_record_and_the_code_sent_to_it(resident_person,
                                                                                   sms_outbox) -> None:
    for id_number, phone in [(new_id(7), "13900000000"), (new_id(8), "13912345678")]:
        assert withheld(resident_signup_start(id_number=id_number, phone=phone)) == "no_match"  # a decoy
    assert sms_outbox == []

    challenge = resident_signup_start(id_number=new_id(7).lower(), phone="139 1234 5678")
    code = sent_code(sms_outbox)
    assert code not in challenge.code_digest  # only a keyed digest is kept
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(ValidationError) as err:
        resident_account_open(challenge_id=challenge.pk, code=wrong, password=PASSWORD)
    assert err.value.code == "wrong_code"
    assert not User.objects.filter(role="resident").exists()

    user = resident_account_open(challenge_id=challenge.pk, code=code, password=PASSWORD)
    assert user.person_id == resident_person.pk
    assert user.kind == "resident"
    assert user.username == f"resident-{resident_person.pk}"  # no ID number in the account table
    assert Event.objects.filter(action="account.resident.opened", actor_id=user.pk).exists()
    assert Event.objects.filter(action="account.resident.code_sent", subject_id=str(resident_person.pk)).exists()
    with pytest.raises(ValidationError) as err:  # a code is used once
        resident_account_open(challenge_id=challenge.pk, code=code, password=PASSWORD)
    assert err.value.code == "expired"
    assert withheld(resident_signup_start(id_number=new_id(7), phone="13912345678")) == "exists"
    assert len(sms_outbox) == 1


def test_codes_expire_allow_few_tries_and_are_not_sent_too_often(resident_person, sms_outbox) -> None:
    challenge = resident_signup_start(id_number=new_id(7), phone="13912345678")
    assert withheld(resident_signup_start(id_number=new_id(7), phone="13912345678")) == "too_soon"
    assert len(sms_outbox) == 1
    code = sent_code(sms_outbox)
    for _i in range(5):
        with pytest.raises(ValidationError):
            resident_account_open(challenge_id=challenge.pk, code="000000" if code != "000000" else "111111",
                                  password=PASSWORD)
    with pytest.raises(ValidationError) as err:  # the right code, too late: five wrong tries voided it
        resident_account_open(challenge_id=challenge.pk, code=code, password=PASSWORD)
    assert err.value.code == "expired"
    PhoneChallenge.objects.update(created_at=timezone.now() - dt.timedelta(minutes=30),
                                  expires_at=timezone.now() - dt.timedelta(minutes=20))
    fresh = resident_signup_start(id_number=new_id(7), phone="13912345678")
    PhoneChallenge.objects.filter(pk=fresh.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationError) as err:
        resident_account_open(challenge_id=fresh.pk, code=sent_code(sms_outbox), password=PASSWORD)
    assert err.value.code == "expired"
    PhoneChallenge.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    for _i in range(3):
        PhoneChallenge.objects.create(person=resident_person, code_digest="x", created_at=timezone.now()
                                      - dt.timedelta(minutes=5), expires_at=timezone.now())
    sent = len(sms_outbox)
    assert withheld(resident_signup_start(id_number=new_id(7), phone="13912345678")) == "too_many"
    assert len(sms_outbox) == sent


@pytest.mark.parametrize("id_number", ["4403081990010100", "44030819900101001X", "440308199013010012"])
def test_malformed_id_number_is_refused_naming_the_field(resident_person, id_number: str) -> None:
    with pytest.raises(ValidationError) as err:
        resident_signup_start(id_number=id_number, phone="13912345678")
    assert err.value.field == "id_number"
    assert err.value.code.startswith("id_")  # said what is wrong with the number itself
    assert not PhoneChallenge.objects.exists()


def test_weak_password_is_refused_on_the_password_field(resident_person, sms_outbox) -> None:
    challenge = resident_signup_start(id_number=new_id(7), phone="13912345678")
    with pytest.raises(ValidationError) as err:
        resident_account_open(challenge_id=challenge.pk, code=sent_code(sms_outbox), password="123")
    assert err.value.field == "password"
    assert not User.objects.filter(role="resident").exists()


def test_sign_up_log_in_and_see_only_ones_own_masked_record(client: Client, resident_person, sms_outbox) -> None:
    assert client.get("/me/signup/code/")["Location"] == "/me/signup/"  # no code asked for yet
    response = client.post("/me/signup/", {"id_number": new_id(7), "phone": "13900000000"})
    assert response["Location"] == "/me/signup/code/"  # the same answer as a match (test_resident_oracles)
    assert sms_outbox == []
    response = client.post("/me/signup/", {"id_number": new_id(7), "phone": "13912345678"})
    assert response["Location"] == "/me/signup/code/"
    form = {"code": sent_code(sms_outbox), "password": PASSWORD, "password_again": PASSWORD + "x"}
    response = client.post("/me/signup/code/", form)
    assert response.status_code == 400
    assert "两次输入的密码不一致" in response.content.decode()
    response = client.post("/me/signup/code/", {**form, "password_again": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    page = client.get("/me/").content.decode()
    assert "林小雨" in page
    assert resident_person.id_number_masked in page
    assert new_id(7) not in page
    assert "*******5678" in page
    assert "13912345678" not in page
    client.logout()

    for who in (new_id(9), "not-an-id-number"):  # no such person: the same answer as a wrong password
        response = client.post("/me/login/", {"username": who, "password": PASSWORD})
        assert response.status_code == 200
        assert "身份证号或密码错误" in response.content.decode()
    response = client.post("/me/login/", {"username": new_id(7), "password": "wrong"})
    assert response.status_code == 200
    assert "身份证号或密码错误" in response.content.decode()
    response = client.post("/me/login/", {"username": new_id(7), "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").url == "/me/"  # the workbench sends a resident to their record
    assert client.get(f"/people/{resident_person.pk}/").status_code == 404  # no staff pages
    assert client.post("/api/people/search", {"q": new_id(7)}, content_type="application/json").status_code == 404


def test_forgotten_password_is_reset_with_a_code_to_the_phone_on_record(client: Client, resident_person,
                                                                        sms_outbox) -> None:
    assert withheld(resident_reset_start(id_number=new_id(7), phone="13912345678")) == "no_account"
    assert sms_outbox == []
    opened = resident_signup_start(id_number=new_id(7), phone="13912345678")
    resident_account_open(challenge_id=opened.pk, code=sent_code(sms_outbox), password=PASSWORD)
    PhoneChallenge.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))  # past the resend wait

    response = client.post("/me/reset/", {"id_number": new_id(7), "phone": "13912345678"})
    assert response["Location"] == "/me/reset/code/"
    code = sent_code(sms_outbox)
    with pytest.raises(ValidationError) as err:  # a reset code does not open accounts, and the reverse
        resident_account_open(challenge_id=PhoneChallenge.objects.latest("pk").pk, code=code, password=PASSWORD)
    assert err.value.code == "expired"
    new_password = "Another-lantern#2027"
    response = client.post("/me/reset/code/", {"code": code, "password": new_password, "password_again": new_password})
    assert response["Location"] == "/me/"
    assert Event.objects.filter(action="account.resident.password_reset").count() == 1
    client.logout()
    assert client.post("/me/login/", {"username": new_id(7), "password": PASSWORD}).status_code == 200
    assert client.post("/me/login/", {"username": new_id(7), "password": new_password}).status_code == 302
    with pytest.raises(ValidationError) as err:  # the code is used up
        resident_password_reset(challenge_id=PhoneChallenge.objects.latest("pk").pk, code=code, password=new_password)
    assert err.value.code == "expired"
