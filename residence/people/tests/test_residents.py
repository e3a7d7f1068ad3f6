"""Residents open an account with ID number + the phone on record + a password, log in with the ID number, and
see only their own record."""

from __future__ import annotations

import pytest
from django.test import Client

from residence.accounts.models import User
from residence.audit.models import Event
from residence.core.errors import ValidationError
from residence.people.services import person_create, resident_account_open
from residence.people.tests.test_people import new_id, register

pytestmark = pytest.mark.django_db
PASSWORD = "Lantern-river#2026"


@pytest.fixture
def resident_person(city):
    person = person_create(actor=None, id_number=new_id(7), name="林小雨", phone="13912345678")
    register(person, "440308")
    return person


def test_account_needs_the_id_number_and_the_phone_on_record(resident_person) -> None:
    for id_number, phone in [(new_id(7), "13900000000"), (new_id(8), "13912345678")]:
        with pytest.raises(ValidationError) as err:
            resident_account_open(id_number=id_number, phone=phone, password=PASSWORD)
        assert err.value.field == "id_number"
        assert err.value.code == "no_match"
    assert not User.objects.filter(role="resident").exists()

    user = resident_account_open(id_number=new_id(7).lower(), phone="+86 139 1234 5678", password=PASSWORD)
    assert user.person_id == resident_person.pk
    assert user.kind == "resident"
    assert user.username == f"resident-{resident_person.pk}"  # no ID number in the account table
    assert Event.objects.filter(action="account.resident.opened", actor_id=user.pk).exists()
    with pytest.raises(ValidationError) as err:
        resident_account_open(id_number=new_id(7), phone="13912345678", password=PASSWORD)
    assert err.value.code == "exists"


@pytest.mark.parametrize("id_number", ["4403081990010100", "44030819900101001X", "440308199013010012"])
def test_malformed_id_number_is_refused_naming_the_field(resident_person, id_number: str) -> None:
    with pytest.raises(ValidationError) as err:
        resident_account_open(id_number=id_number, phone="13912345678", password=PASSWORD)
    assert err.value.field == "id_number"
    assert err.value.code != "no_match"  # said what is wrong with the number itself


def test_weak_password_is_refused_on_the_password_field(resident_person) -> None:
    with pytest.raises(ValidationError) as err:
        resident_account_open(id_number=new_id(7), phone="13912345678", password="123")
    assert err.value.field == "password"
    assert not User.objects.filter(role="resident").exists()


def test_sign_up_log_in_and_see_only_ones_own_masked_record(client: Client, resident_person) -> None:
    form = {"id_number": new_id(7), "phone": "13912345678", "password": PASSWORD, "password_again": PASSWORD + "x"}
    response = client.post("/me/signup/", form)
    assert response.status_code == 400
    assert "两次输入的密码不一致" in response.content.decode()
    response = client.post("/me/signup/", {**form, "password_again": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    page = client.get("/me/").content.decode()
    assert "林小雨" in page
    assert resident_person.id_number_masked in page
    assert new_id(7) not in page
    assert "139****5678" in page
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
