"""One token model for every system calling the API: only a digest stored, shown once, an expiry, rotation and
revocation by command, scopes, last use recorded (at most one write a minute), a rate per client."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from residence.accounts.models import ApiToken, User
from residence.accounts.services import api_client_create, token_issue, token_revoke, token_rotate
from residence.audit.models import Event
from residence.core.errors import NotFound, ValidationError

pytestmark = pytest.mark.django_db


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def search(client: Client, token: str) -> int:
    return client.post("/api/people/search", {"q": "zs"}, content_type="application/json",
                       **bearer(token)).status_code


@pytest.fixture
def secret(city) -> str:
    return api_client_create(actor=None, name="市教育局", scopes=["person.search"], jurisdiction_code="440308",
                             days=30)


def test_a_token_is_kept_only_as_a_digest_with_a_prefix_scopes_and_an_expiry(secret: str) -> None:
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret == f"res_{token.prefix}_{secret.split('_', 2)[2]}"
    assert len(secret) > 40
    assert token.owner.username == "dept:市教育局"
    assert token.scopes == ["person.search"]
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=30))) < dt.timedelta(seconds=5)
    assert (token.revoked_at, token.last_used_at) == (None, None)
    event = Event.objects.get(action="account.token.issued")
    assert event.data == {"token": token.prefix, "scopes": ["person.search"], "days": 30}
    assert secret not in str(list(Event.objects.values_list("data", flat=True)))


def test_an_expired_a_revoked_and_a_rotated_away_token_are_refused(client: Client, secret: str) -> None:
    assert search(client, secret) == 200
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert search(client, secret) == 401
    ApiToken.objects.update(expires_at=timezone.now() + dt.timedelta(days=1))
    assert search(client, secret) == 200

    old = ApiToken.objects.get()
    new, new_secret = token_rotate(actor=None, prefix=old.prefix)
    assert search(client, secret) == 401
    assert search(client, new_secret) == 200
    assert new.scopes == old.scopes
    assert new.owner_id == old.owner_id
    old.refresh_from_db()
    assert old.replaced_by_id == new.pk
    assert old.revoked_at is not None
    assert Event.objects.get(action="account.token.rotated").data == {"token": old.prefix, "replaced_by": new.prefix}

    token_revoke(actor=None, prefix=new.prefix, reason="system retired")
    assert search(client, new_secret) == 401
    assert Event.objects.get(action="account.token.revoked").data == {"token": new.prefix, "reason": "system retired"}
    with pytest.raises(NotFound):  # a dead token can be neither rotated nor revoked again
        token_rotate(actor=None, prefix=new.prefix)
    with pytest.raises(NotFound):
        token_revoke(actor=None, prefix=new.prefix, reason="again")


def test_last_use_is_recorded_with_at_most_one_write_a_minute(client: Client, secret: str) -> None:
    def token_writes() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert search(client, secret) == 200
        return sum(1 for q in ctx.captured_queries
                   if q["sql"].startswith("UPDATE") and "accounts_apitoken" in q["sql"])

    assert token_writes() == 1
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    assert timezone.now() - first < dt.timedelta(seconds=5)
    assert token_writes() == 0  # within the minute: no write
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=timezone.now() - dt.timedelta(seconds=61))
    assert token_writes() == 1
    assert timezone.now() - ApiToken.objects.get().last_used_at < dt.timedelta(seconds=5)


def test_each_client_is_held_to_its_requests_per_minute(client: Client, secret: str, settings) -> None:
    settings.API_TOKEN_RATE_PER_MINUTE = 3
    other = api_client_create(actor=None, name="市卫健委", scopes=["person.search"], jurisdiction_code="440308")
    assert [search(client, secret) for _ in range(3)] == [200, 200, 200]
    response = client.post("/api/people/search", {"q": "zs"}, content_type="application/json", **bearer(secret))
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert search(client, other) == 200  # another client has its own count
    # rotating does not give a fresh allowance: the count is the client's, not the token's
    _new, rotated = token_rotate(actor=None, prefix=ApiToken.objects.get(owner__username="dept:市教育局").prefix)
    assert search(client, rotated) == 429


def test_tokens_are_only_for_systems_and_only_with_what_the_owner_may_do(secret: str, make_user) -> None:
    resident = make_user("someone", "resident", "")
    with pytest.raises(ValidationError) as err:
        token_issue(actor=None, owner=resident, scopes=["record.own"])
    assert err.value.field == "owner"
    landlord = make_user("lord", "landlord", "")
    with pytest.raises(ValidationError) as err:
        token_issue(actor=None, owner=landlord, scopes=["person.search"])  # beyond a landlord's grants
    assert err.value.field == "scopes"
    dept = User.objects.get(username="dept:市教育局")
    for days in (0, 1096):
        with pytest.raises(ValidationError) as err:
            token_issue(actor=None, owner=dept, scopes=["person.search"], days=days)
        assert err.value.field == "days"
    with pytest.raises(ValidationError) as err:
        token_revoke(actor=None, prefix=ApiToken.objects.get().prefix, reason=" ")
    assert err.value.field == "reason"
    assert ApiToken.objects.count() == 1


def test_token_commands_list_rotate_and_revoke(client: Client, secret: str, capsys) -> None:
    prefix = ApiToken.objects.get().prefix
    call_command("token", "list")
    out = capsys.readouterr().out
    assert f"{prefix:<16} {'dept:市教育局':<24} live" in out
    assert "never" in out
    assert "person.search" in out
    assert secret not in out

    call_command("token", "rotate", prefix, "--days", "10")
    lines = capsys.readouterr().out.strip().splitlines()
    new_secret = lines[-1]
    assert lines[0].startswith(f"token {prefix} revoked; new token ")
    assert search(client, secret) == 401
    assert search(client, new_secret) == 200
    new_prefix = ApiToken.objects.get(revoked_at__isnull=True).prefix

    call_command("token", "list", "--all")
    out = capsys.readouterr().out
    assert f"{prefix:<16} {'dept:市教育局':<24} rotated" in out
    assert f"{new_prefix:<16}" in out
    call_command("token", "revoke", new_prefix, "--reason", "leaked")
    assert capsys.readouterr().out.strip() == f"token {new_prefix} of dept:市教育局 revoked"
    assert search(client, new_secret) == 401
    call_command("token", "list")
    assert new_prefix not in capsys.readouterr().out  # only live tokens by default
    with pytest.raises(CommandError, match="no live token"):
        call_command("token", "rotate", "nosuch")


def test_staff_passwords_are_at_least_twelve_characters_with_the_message_in_chinese(make_user) -> None:
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.utils import translation

    from residence.accounts.services import user_create

    make_user("someone", "clerk")  # creates the area
    with translation.override("zh-hans"):
        with pytest.raises(DjangoValidationError) as err:
            user_create(actor=None, username="short", password="Eleven#2026", role="clerk",
                        jurisdiction_code="440308")
        assert err.value.messages == ["密码太短，至少需要 12 个字符。"]
    assert not User.objects.filter(username="short").exists()
    user_create(actor=None, username="long", password="Twelve#2026x", role="clerk", jurisdiction_code="440308")


def test_a_bearer_request_goes_past_the_browsers_middleware_but_keeps_what_every_answer_carries(
        client: Client, secret: str) -> None:
    """core.middleware.SessionlessApiMiddleware: no session is opened or read, no page headers; no-store, the request id
    and the language still hold; the same request with a dead key is refused even with a logged-in session."""
    response = client.post("/api/people/search", {"q": "zs"}, content_type="application/json",
                           HTTP_X_REQUEST_ID="bench-request-0001", **bearer(secret))
    assert response.status_code == 200
    assert response["X-Request-ID"] == "bench-request-0001"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Language"] == "zh-hans"
    assert "X-Frame-Options" not in response
    assert "Content-Security-Policy" not in response
    assert not response.cookies
    staff = User.objects.create_user(username="clerk1", password="x" * 12, kind="staff", role="clerk",
                                     jurisdiction_code="440308")
    client.force_login(staff)
    token_revoke(actor=None, prefix=ApiToken.objects.get().prefix, reason="left")
    assert search(client, secret) == 401
    page = client.get("/api/docs", **bearer(secret))  # the documentation is a page: it keeps the page headers
    assert "Content-Security-Policy" in page
