from __future__ import annotations

import pytest
from django.test import Client

from residence.audit.models import Event
from residence.people.models import Person
from residence.people.selectors import person_scope

pytestmark = pytest.mark.django_db


def test_healthz_reports_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_openapi_docs_are_served(client: Client) -> None:
    assert client.get("/api/docs").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert "/api/people/{person_id}" in schema["paths"]


def test_pages_are_chinese_by_default_and_english_on_request(client: Client, login) -> None:
    login("clerk")
    assert "工作台" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Workbench" in client.get("/").content.decode()


def test_detail_page_is_masked_and_logged(client: Client, city, login) -> None:
    clerk = login("clerk")
    person = person_scope(user=clerk).order_by("pk").first()
    assert isinstance(person, Person)
    body = client.get(f"/people/{person.pk}/").content.decode()
    assert person.id_number_masked in body
    assert person.name in body
    assert Event.objects.filter(action="person.record.viewed", subject_id=str(person.pk), actor_id=clerk.pk).exists()


def test_security_headers(client: Client, login) -> None:
    login("clerk")
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert len(response["X-Request-ID"]) >= 8


def test_lockout_after_repeated_failures(client: Client, make_user, settings) -> None:
    make_user("locky", "clerk")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        r = client.post("/accounts/login/", {"username": "locky", "password": "wrong"})
        assert r.status_code == 200
    r = client.post("/accounts/login/", {"username": "locky", "password": "wrong"})
    assert r.status_code == 429
    assert "账号已锁定" in r.content.decode()
    r = client.post("/accounts/login/", {"username": "locky", "password": "Test-pass#2026"})
    assert r.status_code == 429
    assert "_auth_user_id" not in client.session


def test_totp_second_factor_is_required_when_configured(client: Client, make_user) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_user("otpuser", "clerk")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    r = client.post("/accounts/login/", {"username": "otpuser", "password": "Test-pass#2026"})
    assert r.status_code == 200
    assert "_auth_user_id" not in client.session
    code = f"{totp(device.bin_key):06d}"
    r = client.post("/accounts/login/", {"username": "otpuser", "password": "Test-pass#2026", "otp_token": code})
    assert r.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_navigation_marks_exactly_the_current_section(client: Client, login) -> None:
    login("admin")
    body = client.get("/places/import/").content.decode()
    assert body.count('class="active"') == 1
    assert 'href="/places/import/" class="active"' in body
    assert 'href="/places/" class=""' in body
