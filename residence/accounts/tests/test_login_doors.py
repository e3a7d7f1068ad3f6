"""Log-in over real HTTP, as a browser does (the CSRF token from the page): each kind of account logs in at its own
door only; failures count per address across user names (password spraying); behind a TLS-terminating proxy,
forwarded headers are believed from trusted proxies only."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from axes.models import AccessAttempt

from residence.accounts.services import api_client_create, user_create
from residence.accounts.tests.http import form_token, post_form, session_from, without_csrf
from residence.core.idnumber import check_character
from residence.people.services import person_create
from residence.places.models import Jurisdiction

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Lantern-river#2026"
ID = "44030819850505002" + check_character("44030819850505002")


@pytest.fixture
def accounts(live_server) -> dict[str, str]:
    Jurisdiction.objects.create(code="440308", name="盐田区", level="district", path="/440308/", official=True)
    user_create(actor=None, username="clerk", password=PASSWORD, role="clerk", jurisdiction_code="440308")
    user_create(actor=None, username="landlord", password=PASSWORD, role="landlord")
    person = person_create(actor=None, id_number=ID, name="林小雨", phone="13912345678")
    user_create(actor=None, username=f"resident-{person.pk}", password=PASSWORD, role="resident",
                person_id=person.pk)
    api_client_create(actor=None, name="市教育局", scopes=["person.view"], jurisdiction_code="440308")
    return {"resident": f"resident-{person.pk}"}


def base(live_server: Any) -> str:
    return str(live_server.url).replace("localhost", "127.0.0.1")  # IPv4, to connect from 127.0.0.x


def log_in(url: str, username: str, password: str = PASSWORD, address: str | None = None,
           **kwargs: Any) -> requests.Response:
    return post_form(session_from(address), url, {"username": username, "password": password}, **kwargs)


def test_each_kind_of_account_logs_in_at_its_own_door_only(live_server, accounts) -> None:
    staff_door, resident_door = f"{base(live_server)}/accounts/login/", f"{base(live_server)}/me/login/"
    wrong = log_in(staff_door, "clerk", "Wrong-password#1")
    assert wrong.status_code == 200
    for username in (accounts["resident"], "dept:市教育局"):  # the right password, at the wrong door
        r = log_in(staff_door, username)
        assert (r.status_code, r.headers.get("Location")) == (200, None)
        assert "sessionid" not in r.cookies
        # the same page as a wrong password (only the user name typed and the CSRF token differ)
        assert without_csrf(r.text).replace(username, "clerk") == without_csrf(wrong.text)
    for username in ("clerk", "landlord"):  # staff and obligors log in here
        r = log_in(staff_door, username)
        assert (r.status_code, r.headers["Location"]) == (302, "/")
    r = log_in(resident_door, ID)  # a resident logs in with the ID number, at the residents' door
    assert (r.status_code, r.headers["Location"]) == (302, "/")
    for username in ("clerk", "landlord", accounts["resident"]):  # not with a staff name, nor the internal name
        r = log_in(resident_door, username, address="127.0.0.4")  # (from another address: 3 failures so far)
        assert (r.status_code, r.headers.get("Location")) == (200, None)
        assert "sessionid" not in r.cookies


def test_one_address_spraying_one_password_over_ten_user_names_is_locked_out(live_server, accounts,
                                                                            settings) -> None:
    door = f"{base(live_server)}/accounts/login/"
    answers = [log_in(door, f"user{n}", "Spring-2026!pw").status_code for n in range(3)]
    assert log_in(door, "landlord").status_code == 302  # the sprayer's own account: does not wipe the count
    answers += [log_in(door, f"user{n}", "Spring-2026!pw").status_code for n in range(3, 10)]
    limit = settings.AXES_FAILURE_LIMIT
    assert answers == [200] * (limit - 1) + [429] * (10 - limit + 1)
    assert log_in(door, "clerk").status_code == 429  # the address is locked, even for a right password
    # a forwarded address from an untrusted client is ignored: still the same address, still locked
    assert log_in(door, "clerk", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 429
    assert log_in(door, "clerk", address="127.0.0.3").status_code == 302  # another address is not
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_a_trusted_proxy_a_browser_logs_in_over_https(live_server, accounts, settings) -> None:
    settings.TRUSTED_PROXIES = ["127.0.0.2"]
    url = f"{base(live_server)}/accounts/login/"
    public = base(live_server).replace("http://", "https://")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7", "Origin": public,
                 "Referer": f"{public}/accounts/login/"}

    def attempt(address: str, password: str) -> tuple[requests.Response, requests.Response]:
        s = session_from(address)
        page = s.get(url, headers=forwarded)
        token = form_token(s, url, headers=forwarded)
        cookie = f"csrftoken={s.cookies.get('csrftoken')}"  # a Secure cookie: sent by hand over the test's http
        r = s.post(url, data={"username": "clerk", "password": password, "csrfmiddlewaretoken": token},
                   headers={**forwarded, "Cookie": cookie}, allow_redirects=False)
        return page, r

    page, r = attempt("127.0.0.2", PASSWORD)  # the proxy: its forwarded scheme and address are believed
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in page.headers["Set-Cookie"]
    assert (r.status_code, r.headers["Location"]) == (302, "/")
    assert "sessionid=" in r.headers["Set-Cookie"]
    assert "Secure" in r.headers["Set-Cookie"]
    _page, failed = attempt("127.0.0.2", "Wrong-password#1")
    assert failed.status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.7"]

    page, r = attempt("127.0.0.1", PASSWORD)  # anyone else sending the same headers: ignored
    assert "Strict-Transport-Security" not in page.headers
    assert "Secure" not in page.headers["Set-Cookie"]
    assert r.status_code == 403  # a plain-http request with an https Origin: the CSRF check refuses it
    assert "sessionid" not in r.headers.get("Set-Cookie", "")
    _page, failed = attempt("127.0.0.1", "Wrong-password#1")
    assert failed.status_code == 403
    with_plain_origin = {**forwarded, "Origin": base(live_server), "Referer": url}
    s = session_from("127.0.0.1")
    token = form_token(s, url)
    r = s.post(url, data={"username": "nobody", "password": "x", "csrfmiddlewaretoken": token},
               headers=with_plain_origin, allow_redirects=False)
    assert r.status_code == 200
    assert sorted(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1", "198.51.100.7"]
