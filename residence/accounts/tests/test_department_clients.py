"""Other departments' systems on the API: a bearer token bound to a jurisdiction, holding only its scopes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from residence.accounts.models import ApiClient, ApiToken
from residence.accounts.services import api_client_create
from residence.audit.models import Event
from residence.core.errors import ValidationError
from residence.core.idnumber import check_character
from residence.people.services import person_create
from residence.places.models import Unit
from residence.registrations.models import Registration

pytestmark = pytest.mark.django_db
ID = "44030819850505002" + check_character("44030819850505002")


@pytest.fixture
def person(city):
    p = person_create(actor=None, id_number=ID, name="部门测", phone="13700000000")
    unit = Unit.objects.filter(building__grid__path__contains="/440308/").order_by("pk").first()
    Registration.objects.create(person=p, unit=unit, started_on=dt.date(2025, 1, 1))
    return p


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_token_reads_within_its_area_and_scopes_and_is_audited_as_the_department(client: Client, person) -> None:
    token = api_client_create(actor=None, name="市教育局", scopes=["person.view"], jurisdiction_code="440308")
    response = client.get(f"/api/people/{person.pk}?purpose=school-enrolment", **bearer(token))
    assert response.status_code == 200
    assert response.json()["id_number_masked"] == person.id_number_masked
    event = Event.objects.get(action="person.record.viewed", subject_id=str(person.pk))
    assert event.actor_label == "dept:市教育局"
    assert event.data == {"purpose": "school-enrolment"}
    # no search scope: a search is "not found", and no search is logged
    response = client.post("/api/people/search", {"q": ID}, content_type="application/json", **bearer(token))
    assert response.status_code == 404
    assert not Event.objects.filter(action="person.searched").exists()


def test_token_of_another_district_does_not_see_the_person(client: Client, person) -> None:
    token = api_client_create(actor=None, name="罗湖区卫健局", scopes=["person.search", "person.view"],
                              jurisdiction_code="440303")
    assert client.get(f"/api/people/{person.pk}", **bearer(token)).status_code == 404
    response = client.post("/api/people/search", {"q": ID}, content_type="application/json", **bearer(token))
    assert response.status_code == 200
    assert response.json() == []


def test_wrong_revoked_or_missing_token_is_401(client: Client, person) -> None:
    token = api_client_create(actor=None, name="市人社局", scopes=["person.view"], jurisdiction_code="440308")
    assert client.get(f"/api/people/{person.pk}", **bearer(token + "x")).status_code == 401
    ApiClient.objects.filter(name="市人社局").update(is_active=False)
    assert client.get(f"/api/people/{person.pk}", **bearer(token)).status_code == 401
    assert client.get(f"/api/people/{person.pk}").status_code == 401


def test_the_client_account_cannot_log_in_to_the_web(client: Client, city) -> None:
    token = api_client_create(actor=None, name="市民政局", scopes=["person.view"], jurisdiction_code="440300")
    account = ApiClient.objects.get(name="市民政局").account
    assert not account.has_usable_password()
    for password in ("", token):  # no password works, not even the token
        client.post("/accounts/login/", {"username": "dept:市民政局", "password": password})
        assert client.get("/").status_code == 302  # still anonymous


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"scopes": ["person.unmask"]}, "scopes"),  # beyond what a department may hold
    ({"scopes": []}, "scopes"),
    ({"jurisdiction_code": "999999"}, "jurisdiction_code"),
    ({"name": "  "}, "name"),
])
def test_bad_client_definitions_are_refused(city, kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"name": "某局", "scopes": ["person.view"], "jurisdiction_code": "440308", **kwargs}
    with pytest.raises(ValidationError) as err:
        api_client_create(actor=None, **args)  # type: ignore[arg-type]
    assert err.value.field == field
    assert not ApiClient.objects.exists()


def test_createclient_prints_the_token_once(city, capsys, client: Client) -> None:
    call_command("createclient", "市公安局人口支队", jurisdiction="440300", scopes="person.search,person.view")
    token = capsys.readouterr().out.strip().splitlines()[-1]
    stored = ApiToken.objects.get(owner__api_client__name="市公安局人口支队")
    assert token not in (stored.digest, stored.prefix)
    assert stored.prefix in token
    response = client.post("/api/people/search", {"q": "zs"}, content_type="application/json", **bearer(token))
    assert response.status_code == 200
    with pytest.raises(CommandError, match="scopes"):
        call_command("createclient", "某局", jurisdiction="440300", scopes="audit.browse")
