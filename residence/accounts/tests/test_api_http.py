"""Over real HTTP: bearer clients need no cookie and no CSRF token; session clients still do, and a session cookie
riding along with a bearer header never authenticates the request."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from residence.accounts.services import api_client_create, user_create
from residence.accounts.tests.http import form_token, post_form, session_from
from residence.core.idnumber import check_character
from residence.demo.services import demo_city_generate
from residence.people.services import person_create
from residence.places.models import Unit
from residence.registrations.models import Registration

pytestmark = pytest.mark.django_db(transaction=True)
ID = "44030819850505002" + check_character("44030819850505002")
PASSWORD = "Test-pass#2026"


def test_bearer_needs_no_cookie_and_a_session_still_needs_its_csrf_token(live_server) -> None:
    demo_city_generate(persons=30, seed=3)
    person = person_create(actor=None, id_number=ID, name="部门测", phone="13700000000")
    unit = Unit.objects.filter(building__grid__path__contains="/440308/").order_by("pk").first()
    Registration.objects.create(person=person, unit=unit, started_on=dt.date(2025, 1, 1))
    scopes = ["person.search", "person.view"]
    yantian = api_client_create(actor=None, name="盐田区教育局", scopes=scopes, jurisdiction_code="440308")
    luohu = api_client_create(actor=None, name="罗湖区教育局", scopes=scopes, jurisdiction_code="440303")
    user_create(actor=None, username="clerk", password=PASSWORD, role="clerk", jurisdiction_code="440308")
    url = f"{live_server.url}/api/people/search"

    # a bearer client: no cookie at all, no CSRF token
    r = requests.post(url, json={"q": ID}, headers={"Authorization": f"Bearer {yantian}"}, timeout=10)
    assert r.status_code == 200
    assert [p["id"] for p in r.json()] == [person.pk]
    assert "Set-Cookie" not in r.headers
    r = requests.post(url, json={"q": ID}, headers={"Authorization": f"Bearer {yantian}x"}, timeout=10)
    assert r.status_code == 401

    # a browser session: logged in through the form, then the API without the CSRF token is refused
    browser = session_from()
    assert post_form(browser, f"{live_server.url}/accounts/login/",
                     {"username": "clerk", "password": PASSWORD}).status_code == 302
    r = browser.post(url, json={"q": ID})
    assert r.status_code == 403
    assert r.json() == {"detail": "CSRF check Failed"}
    # ... a cross-site page posting with the cookie is refused too
    r = browser.post(url, json={"q": ID}, headers={"Origin": "https://evil.example", "Referer": "https://evil.example/"})
    assert r.status_code == 403
    # ... and with its CSRF token, as the site's own pages send it, it answers
    token = form_token(browser, f"{live_server.url}/people/")
    r = browser.post(url, json={"q": ID}, headers={"X-CSRFToken": token, "Referer": f"{live_server.url}/people/"})
    assert r.status_code == 200
    assert [p["id"] for p in r.json()] == [person.pk]

    # the session cookie riding along with a bearer header does not authenticate: the header alone decides
    r = browser.post(url, json={"q": ID}, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    r = browser.post(url, json={"q": ID}, headers={"Authorization": "Basic Y2xlcms6eA=="})
    assert r.status_code == 401
    r = browser.post(url, json={"q": ID}, headers={"Authorization": f"Bearer {luohu}"})
    assert r.status_code == 200
    assert r.json() == []  # it acts as the Luohu client, not as the Yantian clerk whose cookie it carries


def test_a_search_with_a_nul_character_is_refused_as_invalid_not_a_server_error(client, city) -> None:
    token = api_client_create(actor=None, name="某局", scopes=["person.search", "person.view"],
                              jurisdiction_code="440308")
    r = client.post("/api/people/search", {"q": "王\x00"}, content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 400  # the API's parser refuses a NUL anywhere in a body (PostgreSQL cannot store one)
    assert r.json()["detail"] == "请求正文含有 NUL 字符（U+0000），任何字段都不接受。"
