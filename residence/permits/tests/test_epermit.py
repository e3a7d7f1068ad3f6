"""The electronic permit: tokens that fit a card's QR code and refuse every forgery, online verification over real
HTTP for anyone and for a department, the signed status list and the offline verifier, key rotation and retirement.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import time

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from residence.accounts.services import api_client_create, api_token_authenticate
from residence.audit.models import Event
from residence.audit.services import audit_flush
from residence.permits.api import permit_verify_short
from residence.permits.epermit import statuslist
from residence.permits.epermit import tokens as t
from residence.permits.epermit.keys import jwks, permit_keys
from residence.permits.epermit.services import (
    STATUS_URI,
    card_for,
    card_token,
    permit_card_token,
    permit_numbers,
    phone_token,
    status_list_current,
    status_list_refresh,
    verify,
)
from residence.permits.lifecycle import permit_number_masked, permit_reissue
from residence.permits.models import Permit, PermitCard, StatusList
from residence.permits.tasks import permits_daily
from residence.permits.tests.test_lifecycle import make_permit, years_ago
from residence.workbench.schedule import jobs, run_due

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def permit(people) -> Permit:
    return make_permit(people["persons"][0], people["police"], issued_on=years_ago(0, days=-30))


def verify_http(live_server, token: str, **kwargs) -> dict:
    r = requests.post(f"{live_server.url}/api/v1/permits/verify", json={"token": token, **kwargs.pop("body", {})},
                      timeout=10, **kwargs)
    assert r.status_code == 200, r.text
    return r.json()


# --- the token ---------------------------------------------------------------------------------------------------
def test_a_card_token_fits_a_qr_code_with_the_longest_names_and_numbers() -> None:
    keys = permit_keys()
    claims = t.permit_payload(number="4403082026123456789", name_masked="买****", issued_at=1_900_000_000,
                              expires_at=2_200_000_000, index=999_999_999, uri=STATUS_URI)
    token = t.permit_token(claims, key=keys.private[keys.active_id], kid=keys.active_id)
    assert len(token.encode()) <= t.MAX_TOKEN == 350
    decoded = t.decode_permit(token, keys.public)
    assert (decoded.permit_number, decoded.name_masked, decoded.status_index) == ("4403082026123456789", "买****",
                                                                                 999_999_999)
    payload = json.loads(t.unb64(token.split(".")[1], "payload"))
    assert set(payload) == {"sub", "nm", "iat", "exp", "status"}  # the least that verification needs


def test_every_altered_character_and_every_forgery_is_invalid() -> None:
    keys = permit_keys()
    claims = t.permit_payload(number="4403082026000012347", name_masked="张*", issued_at=1, expires_at=2**31,
                              index=5, uri=STATUS_URI)
    token = t.permit_token(claims, key=keys.private[keys.active_id], kid=keys.active_id)
    alphabet = "ABCabc019-_"
    for i, ch in enumerate(token):
        if ch == ".":
            continue
        other = alphabet[(alphabet.find(ch) + 1) % len(alphabet)] if ch in alphabet else "A"
        with pytest.raises(t.TokenInvalid):
            t.decode_permit(token[:i] + other + token[i + 1:], keys.public)
    public_raw = t.unb64(t.public_jwk(keys.public[keys.active_id], "x")["x"], "key")
    _head, body = token.split(".")[:2]
    hs_head = t.b64(json.dumps({"alg": "HS256", "kid": keys.active_id}).encode())
    hs = hs_head + "." + body + "." + t.b64(hmac.digest(public_raw, f"{hs_head}.{body}".encode(), hashlib.sha256))
    none = t.b64(json.dumps({"alg": "none", "kid": keys.active_id}).encode()) + "." + body + "."
    unknown = t.b64(json.dumps({"alg": t.ALG, "kid": "deadbeef"}).encode()) + "." + body + "." + token.split(".")[2]
    cases = {"HS256 keyed with the public key": (hs, "algorithm"), "alg none": (none, "three"),
             "unknown key": (unknown, "unknown key"), "truncated": (token[:200], "three"),
             "oversized": (token + "A" * 5000, "characters long"), "not base64": ("!!.@@.##", "base64"),
             "retired key": (token, "retired")}
    for name, (bad, words) in cases.items():
        with pytest.raises(t.TokenInvalid, match=words):
            t.decode_permit(bad, keys.public, retired=frozenset({keys.active_id}) if name == "retired key"
                            else frozenset())


# --- online verification over HTTP -----------------------------------------------------------------------------
def test_anyone_verifies_over_http_valid_suspended_dormant_revoked_expired_and_invalid(live_server, people,
                                                                                     permit) -> None:
    token = permit_card_token(number=permit.number)
    assert token == permit_card_token(number=permit.number)  # the card's bytes never change
    got = verify_http(live_server, token)
    assert got["result"] == "valid"
    assert got["permit"] == {"number": permit_number_masked(permit.number),
                             "name": people["persons"][0].name[0] + "*" * min(len(people["persons"][0].name) - 1, 4)}
    assert got["department"] is None
    for status in ("suspended", "dormant"):
        Permit.objects.filter(pk=permit.pk).update(status=status)
        assert verify_http(live_server, token)["result"] == status
    Permit.objects.filter(pk=permit.pk).update(status="valid")
    permit_reissue(actor=people["clerk"], permit_id=permit.pk)  # a lost card: the old one is invalid at once
    old = verify_http(live_server, token)
    assert old["result"] == "revoked"
    assert old["reason"]
    new = permit_card_token(number=permit.number)
    assert new != token
    assert verify_http(live_server, new)["result"] == "valid"
    Permit.objects.filter(pk=permit.pk).update(status="cancelled")
    assert verify_http(live_server, new)["result"] == "revoked"
    Permit.objects.filter(pk=permit.pk).update(status="valid")
    keys = permit_keys()
    card = PermitCard.objects.get(permit_number=permit.number, seq=2)
    stale = t.permit_token(t.permit_payload(number=permit.number, name_masked=card.name_masked, issued_at=1_000,
                                            expires_at=int(time.time()) - 1, index=card.pk, uri=STATUS_URI),
                           key=keys.private[keys.active_id], kid=keys.active_id)
    assert verify_http(live_server, stale)["result"] == "expired"
    not_theirs = "李*" if card.name_masked != "李*" else "王*"
    other_name = t.permit_token(t.permit_payload(number=permit.number, name_masked=not_theirs, issued_at=1_000,
                                                 expires_at=int(time.time()) + 60, index=card.pk, uri=STATUS_URI),
                                key=keys.private[keys.active_id], kid=keys.active_id)
    assert verify_http(live_server, other_name)["result"] == "invalid"  # not the name on the card
    bad = new[:-1] + ("B" if new[-1] == "A" else "A")
    for forged in (bad, "eyJhbGciOiJFZERTQSIsImtpZCI6ImZvcmdlZCJ9.eyJzdWIiOiJ4In0.AAAA", "", "x" * 4096):
        answer = verify_http(live_server, forged)
        assert (answer["result"], answer["permit"]) == ("invalid", None)
    events = Event.objects.filter(action="permit.verified").order_by("pk")
    assert [e.data["result"] for e in events][:4] == ["valid", "suspended", "dormant", "revoked"]
    assert events[0].data["permit"] == permit.number
    assert events[0].subject_id == str(permit.person_id)
    assert not any("127.0.0.1" in json.dumps(e.data) for e in events)  # never the verifier's address


def test_a_phone_token_lasts_a_day_and_follows_the_current_card(people, permit, live_server) -> None:
    phone = phone_token(permit=permit)
    claims = t.decode_permit(phone.token, permit_keys().public)
    assert 24 * 3600 - 5 <= claims.expires_at - time.time() <= 24 * 3600
    assert verify_http(live_server, phone.token)["result"] == "valid"
    permit_reissue(actor=people["clerk"], permit_id=permit.pk)
    permit.refresh_from_db()
    assert verify_http(live_server, phone.token)["result"] == "revoked"  # a screenshot of yesterday's page
    assert verify_http(live_server, phone_token(permit=permit).token)["result"] == "valid"


def test_public_verification_is_limited_per_address_and_a_bad_body_is_no_server_error(live_server, settings,
                                                                                       permit) -> None:
    settings.PERMIT_VERIFY_RATE_PER_MINUTE = 3
    url = f"{live_server.url}/api/v1/permits/verify"
    codes = [requests.post(url, json={"token": "a.b.c"}, timeout=10).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    settings.RATELIMIT_EXEMPT_ADDRESSES = frozenset({"127.0.0.1"})
    assert requests.post(url, json={"token": "a.b.c"}, timeout=10).status_code == 200
    for body in (b"\xff\xfe", b"[]", b'{"token": 5}', b'{"token": "' + b"A" * 5000 + b'"}'):
        r = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
        assert r.status_code in (400, 422), (body[:20], r.status_code)


def test_the_short_way_answers_as_the_api_does_and_leaves_the_rest_to_it(live_server, settings, permit, rf) -> None:
    """permits.api.permit_verify_short answers a well-formed anonymous JSON POST itself, with the same body and
    headers as the API's view (reached here with another media type), and leaves everything else to that view."""
    url = f"{live_server.url}/api/v1/permits/verify"
    token = permit_card_token(number=permit.number)
    body = json.dumps({"token": token})
    short = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    full = requests.post(url, data=body, headers={"Content-Type": "text/plain"}, timeout=10)
    assert short.status_code == full.status_code == 200
    a, b = short.json(), full.json()
    assert a.pop("checked_at") <= b.pop("checked_at")
    assert a == b
    assert a["result"] == "valid"
    same = ("Content-Type", "Cache-Control", "X-Content-Type-Options", "Referrer-Policy", "Content-Language")
    assert [short.headers.get(h) for h in same] == [full.headers.get(h) for h in same]
    assert "no-store" in short.headers["Cache-Control"]
    assert short.headers["X-Request-ID"]
    assert "Set-Cookie" not in short.headers
    assert "Content-Security-Policy" not in short.headers
    assert audit_flush(timeout=30)
    assert Event.objects.filter(action="permit.verified", data__result="valid").count() == 2  # each check logged

    def request(data: str, content_type: str = "application/json", **extra: str):
        r = rf.post("/api/v1/permits/verify", data=data, content_type=content_type, **extra)
        r.META["REMOTE_ADDR"] = "127.0.0.1"
        return r

    assert permit_verify_short(request(body)) is not None
    for declined in (request(body, "text/plain"), request('{"token": 5}'), request("{"),
                     request(body, HTTP_AUTHORIZATION="Bearer x"), rf.get("/api/v1/permits/verify")):
        assert permit_verify_short(declined) is None
    settings.PERMIT_VERIFY_RATE_PER_MINUTE = 1
    over = [requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
            for _ in range(2)][-1]
    assert over.status_code == 429
    assert over.json()["code"] == "rate_limited"
    assert int(over.headers["Retry-After"]) > 0


def test_a_department_with_the_scope_learns_district_and_endorsement_and_its_read_is_logged(live_server, people,
                                                                                            permit) -> None:
    token = permit_card_token(number=permit.number)
    scoped = api_client_create(actor=None, name="教育局", scopes=["permit.verify"], jurisdiction_code="440308")
    unscoped = api_client_create(actor=None, name="医保局", scopes=["person.view"], jurisdiction_code="440308")
    far = api_client_create(actor=None, name="罗湖教育局", scopes=["permit.verify"], jurisdiction_code="440303")
    got = verify_http(live_server, token, headers={"Authorization": f"Bearer {scoped}"},
                      body={"purpose": "school enrolment 入学"})
    assert got["result"] == "valid"
    assert got["department"]["endorsement_due_on"] == permit.endorsement_due_on.isoformat()
    assert got["department"]["district"]
    assert got["department"]["status"] == "valid"
    event = Event.objects.filter(action="permit.department_verified").get()
    assert (event.actor_label, event.data["purpose"]) == ("dept:教育局", "school enrolment 入学")
    for other in (unscoped, far):
        assert verify_http(live_server, token, headers={"Authorization": f"Bearer {other}"})["department"] is None
    r = requests.post(f"{live_server.url}/api/v1/permits/verify", json={"token": token},
                      headers={"Authorization": "Bearer not-a-token"}, timeout=10)
    assert r.status_code == 401


def test_an_anonymous_checks_log_line_is_left_to_the_audit_writer_and_a_departments_read_is_not(
        people, permit, settings) -> None:
    """On PostgreSQL an anonymous check's audit line is stored by the audit writer after the answer (nobody acts
    upon it); a department's read of personal data is written before its answer, like any other read."""
    settings.AUDIT_DEFER_SECONDS = 60  # the writer holds what it is given until a flush
    token = permit_card_token(number=permit.number)
    department = api_token_authenticate(api_client_create(actor=None, name="教育局", scopes=["permit.verify"],
                                                          jurisdiction_code="440308"))
    assert verify(token=token).result == "valid"
    assert Event.objects.filter(action="permit.verified").count() == (connection.vendor != "postgresql")
    assert verify(token=token, user=department).department
    assert Event.objects.filter(action="permit.department_verified").count() == 1
    assert audit_flush(timeout=30)
    assert Event.objects.filter(action="permit.verified").count() == 1


# --- the status list and the offline verifier --------------------------------------------------------------------
def test_the_status_list_is_signed_fresh_and_read_offline(live_server, people, permit, tmp_path) -> None:
    token = permit_card_token(number=permit.number)
    (tmp_path / "jwks.json").write_text(requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=10).text)
    old_list = requests.get(f"{live_server.url}/permits/status-list", timeout=10)
    assert old_list.headers["Content-Type"] == "application/statuslist+jwt"
    (tmp_path / "old.jwt").write_text(old_list.text)
    keys = t.keys_from_jwks(json.loads((tmp_path / "jwks.json").read_text()))
    listed = statuslist.decode_list(old_list.text, keys)
    card = PermitCard.objects.get(permit_number=permit.number)
    assert listed.status(card.pk) == statuslist.VALID
    assert listed.status(0) == statuslist.REVOKED

    def offline(*args: str) -> str:
        out = io.StringIO()
        call_command("permit", "verify", token, "--keys", str(tmp_path / "jwks.json"), *args, stdout=out)
        return out.getvalue()

    assert offline().startswith("valid as signed; status not checked")
    permit_reissue(actor=people["clerk"], permit_id=permit.pk)  # the card is reported lost
    assert offline("--status", str(tmp_path / "old.jwt")).startswith("valid as signed; status as of")
    StatusList.objects.update(issued_at=timezone.now() - timezone.timedelta(seconds=61))  # older than a minute
    (tmp_path / "new.jwt").write_text(requests.get(f"{live_server.url}/permits/status-list", timeout=10).text)
    with pytest.raises(CommandError, match=r"^revoked \(status as of"):
        offline("--status", str(tmp_path / "new.jwt"))
    with pytest.raises(CommandError, match="status list expired"):
        offline("--status", str(tmp_path / "new.jwt"), "--now", str(time.time() + 2 * 24 * 3600))
    with pytest.raises(CommandError, match=r"invalid: .*signature"):
        call_command("permit", "verify", token[:-2] + ("AA" if token[-2:] != "AA" else "BA"), "--keys",
                     str(tmp_path / "jwks.json"))


def test_a_suspension_by_the_daily_job_reaches_the_published_list_within_a_minute(people, sms_outbox) -> None:
    overdue = make_permit(people["persons"][0], people["police"], issued_on=years_ago(1, days=-1))
    card = card_for(permit_number=overdue.number, seq=1, name=people["persons"][0].name)
    first = status_list_current()
    assert statuslist.decode_list(first.token, permit_keys().public).status(card.pk) == statuslist.VALID
    assert permits_daily() >= 1  # the daily job suspends the permit: its endorsement is a day overdue
    assert status_list_current().pk == first.pk  # within the refresh period the published list stands
    StatusList.objects.filter(pk=first.pk).update(issued_at=first.issued_at - timezone.timedelta(seconds=60))
    schedule = [j for j in jobs() if j.name == "permits.status_list"]
    assert schedule[0].every <= 60
    run_due(schedule, now=time.monotonic(), say=lambda s: None)  # the worker's next pass
    fresh = StatusList.objects.latest("issued_at")
    assert fresh.pk != first.pk
    assert statuslist.decode_list(fresh.token, permit_keys().public).status(card.pk) == statuslist.SUSPENDED
    assert status_list_refresh() == 0  # nothing due: the list is fresh


def test_a_status_proof_vouches_for_its_own_card_only(people, permit) -> None:
    phone = phone_token(permit=permit)
    proof = statuslist.decode_status(phone.proof, permit_keys().public)
    index = t.decode_permit(phone.token, permit_keys().public).status_index
    assert proof.status(index) == statuslist.VALID
    with pytest.raises(t.TokenInvalid, match="another card"):
        proof.status(index + 1)
    with pytest.raises(t.TokenInvalid, match="expired"):
        statuslist.decode_status(phone.proof, permit_keys().public, now=time.time() + 3600)


def test_a_list_signed_by_another_key_is_refused() -> None:
    import numpy as np

    stranger = t.private_key(os.urandom(32))
    forged = statuslist.list_token(np.zeros(8, dtype=np.uint8), uri=STATUS_URI, key=stranger,
                                   kid=permit_keys().active_id, issued_at=int(time.time()), lifetime=60, ttl=60)
    with pytest.raises(t.TokenInvalid, match="signature"):
        statuslist.decode_list(forged, permit_keys().public)


# --- keys ------------------------------------------------------------------------------------------------------
def test_rotation_keeps_old_cards_verifying_and_retirement_refuses_them(own_keys, people, permit,
                                                                        live_server) -> None:
    old_token = permit_card_token(number=permit.number)
    old_kid = permit_keys().active_id
    call_command("rotatekey", "permit", stdout=io.StringIO())
    new_kid = permit_keys().active_id
    assert new_kid != old_kid
    published = requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=10).json()
    assert [k["kid"] for k in published["keys"]] == [new_kid, old_kid]  # active first, then verify-only
    assert permit_card_token(number=permit.number) == old_token  # the card keeps its token
    assert verify_http(live_server, old_token)["result"] == "valid"
    assert t.decode_permit(phone_token(permit=permit).token, permit_keys().public).key_id == new_kid
    with pytest.raises(CommandError, match="active"):
        call_command("permit", "retire-key", new_kid)
    call_command("permit", "retire-key", old_kid, stdout=io.StringIO())
    assert [k["kid"] for k in jwks()["keys"]] == [new_kid]
    answer = verify_http(live_server, old_token)
    assert answer["result"] == "invalid"
    assert "retired" in answer["reason"]
    with pytest.raises(CommandError, match=f"签发此卡的密钥（{old_kid}）已停用：请补发新卡。"):
        call_command("permit", "token", permit.number)
    assert Event.objects.filter(action="permit.key.retired", subject_id=old_kid, data__cards=1).exists()
    ring = json.loads((own_keys / "permit.json").read_text())
    assert old_kid not in ring["keys"]
    assert ring["retired"] == [old_kid]


def test_list_and_token_commands_name_permits_by_status(people, permit, capsys) -> None:
    other = make_permit(people["persons"][1], people["police"], issued_on=years_ago(2), status="suspended")
    call_command("permit", "list", "--status", "suspended")
    assert capsys.readouterr().out.split() == [other.number]
    call_command("permit", "token", permit.number)
    token = capsys.readouterr().out.strip()
    assert t.decode_permit(token, permit_keys().public).permit_number == permit.number
    assert list(permit_numbers(status="valid")) == [permit.number]
    with pytest.raises(CommandError, match="没有此编号的居住证。"):
        call_command("permit", "token", "4403080000000000000")
    assert card_token(PermitCard.objects.get(permit_number=permit.number)) == token
