"""The e-permit's pages without a browser: the public page checks a pasted code without JavaScript, under the same
per-address limit as the API; only the holder gets their phone token, and its renewal logs nothing."""

from __future__ import annotations

import json

import pytest
import requests
from django.test import Client

from residence.audit.models import Event
from residence.audit.services import audit_flush
from residence.permits.epermit import statuslist
from residence.permits.epermit import tokens as t
from residence.permits.epermit.keys import permit_keys
from residence.permits.epermit.services import permit_card_token
from residence.permits.lifecycle import permit_number_masked, permit_reissue
from residence.permits.models import Permit
from residence.permits.tests.test_lifecycle import make_permit, years_ago

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def permit(people) -> Permit:
    return make_permit(people["persons"][0], people["police"], issued_on=years_ago(0, days=-30))


def test_the_public_page_checks_a_pasted_code_without_javascript(client: Client, people, permit) -> None:
    page = client.get("/verify/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>核验居住证</h1>" in html
    assert 'src="/static/vendor/jsqr/jsQR.js"' in html
    assert "<script>" not in html  # the CSP: scripts are files (the words are a JSON data block)
    token = permit_card_token(number=permit.number)
    answer = client.post("/verify/", {"token": token}).content.decode()
    assert 'data-result="valid"' in answer
    assert '<p class="verdict-word">有效</p>' in answer
    assert permit_number_masked(permit.number) in answer
    assert permit.number not in answer
    permit_reissue(actor=people["clerk"], permit_id=permit.pk)
    revoked = client.post("/verify/", {"token": token}).content.decode()
    assert '<p class="verdict-word">已作废</p>' in revoked
    assert "此卡已被新卡取代。" in revoked
    Permit.objects.filter(pk=permit.pk).update(status="suspended")
    new = permit_card_token(number=permit.number)
    assert '<p class="verdict-word">已暂停（未签注）</p>' in client.post("/verify/", {"token": new}).content.decode()
    forged = client.post("/verify/", {"token": "a.b.c"}).content.decode()
    assert '<p class="verdict-word">无效</p>' in forged
    assert audit_flush(timeout=30)  # anonymous checks' lines are stored by the audit writer, after the answers
    assert [e.data["result"] for e in Event.objects.filter(action="permit.verified").order_by("pk")] == [
        "valid", "revoked", "suspended", "invalid"]  # logged by the service, as the API's checks are
    assert client.get("/accounts/login/").content.decode().count('href="/verify/"') == 2  # the page and its footer


def test_the_page_and_the_api_share_one_limit_per_address(live_server, settings, permit) -> None:
    settings.PERMIT_VERIFY_RATE_PER_MINUTE = 3
    s = requests.Session()
    form = s.get(f"{live_server.url}/verify/", timeout=10)
    csrf = s.cookies["csrftoken"]
    codes = [s.post(f"{live_server.url}/verify/", data={"token": "a.b.c", "csrfmiddlewaretoken": csrf},
                    headers={"Referer": form.url}, timeout=10).status_code for _ in range(2)]
    codes.append(requests.post(f"{live_server.url}/api/v1/permits/verify", json={"token": "a.b.c"},
                               timeout=10).status_code)
    over = s.post(f"{live_server.url}/verify/", data={"token": "a.b.c", "csrfmiddlewaretoken": csrf},
                  headers={"Referer": form.url}, timeout=10)
    assert [*codes, over.status_code] == [200, 200, 200, 429]
    assert "尝试次数过多" in over.text
    assert requests.post(f"{live_server.url}/api/v1/permits/verify", json={"token": "a.b.c"},
                         timeout=10).status_code == 429


def test_only_the_holder_gets_their_phone_token_and_renewing_it_logs_nothing(client: Client, people, permit,
                                                                             make_user) -> None:
    client.force_login(people["resident"])
    page = client.get("/me/").content.decode()
    assert 'id="epermit"' in page
    token = page.split('<textarea id="epermit-token" readonly rows="4">')[1].split("<")[0]
    claims = t.decode_permit(token, permit_keys().public)
    assert claims.permit_number == permit.number
    assert '<svg' in page.split('id="epermit-code"')[1][:200]
    before = Event.objects.count()
    got = client.get("/permits/epermit/mine/")
    assert "no-store" in got["Cache-Control"]
    body = json.loads(got.content)
    assert Event.objects.count() == before  # a page left open renews quietly
    assert (body["proof_status"], body["proof_word"]) == ("valid", "有效")
    assert t.decode_permit(body["token"], permit_keys().public).status_index == claims.status_index
    proof = statuslist.decode_status(body["proof"], permit_keys().public)
    assert proof.status(claims.status_index) == statuslist.VALID
    assert body["svg"].startswith("<svg")
    # the staff record of the same person shows the permit, never the holder's token
    clerk = Client()
    clerk.force_login(people["clerk"])
    staff_page = clerk.get(f"/people/{permit.person_id}/").content.decode()
    assert 'id="permit"' in staff_page
    assert 'id="epermit"' not in staff_page
    assert clerk.get("/permits/epermit/mine/").status_code == 404
    # another resident, and nobody
    other = make_user("resident-other", "resident", "")
    other.person_id = people["persons"][1].pk
    other.save(update_fields=["person_id"])
    c = Client()
    c.force_login(other)
    assert c.get("/permits/epermit/mine/").status_code == 404
    assert 'id="epermit"' not in c.get("/me/").content.decode()
    assert "您没有有效的居住证" in c.get("/permits/epermit/").content.decode()
    own = client.get("/permits/epermit/").content.decode()
    assert '<h1>我的电子居住证</h1>' in own
    assert 'id="epermit-code"' in own
    assert Client().get("/permits/epermit/mine/").status_code == 302  # to the residents' log-in
    # a cancelled permit has no code to show
    Permit.objects.filter(pk=permit.pk).update(status="cancelled")
    assert client.get("/permits/epermit/mine/").status_code == 404
    assert 'id="epermit"' not in client.get("/me/").content.decode()
