"""Administration of staff accounts and department clients at /manage/ (an administrator, district managers):
each action through the page, its audit event, and the refusals, tried as attacks where they are security
promises (a manager granting the administrator's role, a Luohu manager acting on a Yantian account)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from residence.accounts.models import ApiClient, ApiToken, PasswordCode, User
from residence.accounts.services import (
    account_lock,
    api_client_create,
    api_token_authenticate,
    password_code_issue,
    password_code_use,
    user_create,
)
from residence.audit.models import Event
from residence.core.errors import ValidationError
from residence.places.models import Jurisdiction

pytestmark = pytest.mark.django_db
PASSWORD = "Harbour-lamp#2026"
NEW_PASSWORD = "Quiet-willow#2027"


@pytest.fixture
def areas(db: None) -> None:
    """Shenzhen with Luohu (440303) and Yantian (440308), and a street of Yantian."""
    city = Jurisdiction.objects.create(code="440300", name="深圳市", level="city", path="/440300/")
    for code, name in [("440303", "罗湖区"), ("440308", "盐田区")]:
        Jurisdiction.objects.create(code=code, name=name, level="district", parent=city, path=f"/440300/{code}/")
    Jurisdiction.objects.create(code="440308001", name="沙头角街道", level="street",
                                parent=Jurisdiction.objects.get(code="440308"), path="/440300/440308/440308001/")


def staff(username: str, role: str, area: str) -> User:
    return user_create(actor=None, username=username, password=PASSWORD, role=role, jurisdiction_code=area,
                       check_password=False)


@pytest.fixture
def manager(client: Client, areas) -> User:
    user = staff("mgr_yt", "manager", "440308")
    client.force_login(user)
    return user


def create(client: Client, **overrides: str):
    data = {"username": "clerk_new", "display_name": "王小明", "role": "clerk", "jurisdiction_code": "440308001",
            "password1": PASSWORD, "password2": PASSWORD, **overrides}
    return client.post("/manage/accounts/new/", data)


def errors(response) -> list[str]:
    return re.findall(r'<ul class="errorlist[^"]*"[^>]*><li>(.*?)</li>', response.content.decode())


def test_a_manager_creates_a_clerk_in_a_street_of_their_district(client: Client, manager: User) -> None:
    response = create(client)
    assert (response.status_code, response["Location"]) == (302, "/manage/accounts/clerk_new/")
    user = User.objects.get(username="clerk_new")
    assert (user.role, user.kind, user.jurisdiction_code, user.display_name, user.is_active) == (
        "clerk", "staff", "440308001", "王小明", True)
    assert user.check_password(PASSWORD)
    event = Event.objects.get(action="account.user.created", subject_id=str(user.pk))
    assert (event.actor_id, event.data) == (manager.pk, {"role": "clerk", "jurisdiction": "440308001"})
    page = client.get("/manage/accounts/").content.decode()
    assert "clerk_new" in page
    assert "沙头角街道" in page


@pytest.mark.parametrize(("overrides", "field_error"), [
    ({"role": "admin"}, "您无权授予该角色。"),  # a manager granting the administrator's role
    ({"role": "superuser"}, "选择一个有效的选项。 superuser 不在可用的选项中。"),
    ({"jurisdiction_code": "440303"}, "您的辖区内没有代码为 440303 的辖区。"),  # the district next door
    ({"jurisdiction_code": "440300"}, "您的辖区内没有代码为 440300 的辖区。"),  # above their own
    ({"jurisdiction_code": "999999"}, "您的辖区内没有代码为 999999 的辖区。"),  # unknown
    ({"username": "mgr_YT"}, "用户名 mgr_YT 已被占用。"),  # taken (case aside)
    ({"username": "<script>alert(1)</script>"}, "用户名最多 150 个字符，只能包含字母、数字和 @ . + - _。"),
    ({"username": "dept:教育局"}, "用户名最多 150 个字符，只能包含字母、数字和 @ . + - _。"),
    ({"display_name": "王<b>小明"}, "名称不超过 100 个字符，且不含 &lt; &gt; 或控制字符。"),
    ({"display_name": "王\u202e明"}, "名称不超过 100 个字符，且不含 &lt; &gt; 或控制字符。"),
    ({"password1": "short", "password2": "short"}, "密码太短，至少需要 12 个字符。"),
    ({"password2": "Other-pass#2026"}, "两次输入的密码不一致。"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(client: Client, manager: User, overrides,
                                                                 field_error: str) -> None:
    users, events = User.objects.count(), Event.objects.count()
    response = create(client, **overrides)
    assert response.status_code == 400
    assert field_error in errors(response)
    assert (User.objects.count(), Event.objects.count()) == (users, events)


def test_the_form_offers_a_manager_no_administrator_role(client: Client, manager: User) -> None:
    page = client.get("/manage/accounts/new/").content.decode()
    assert 'value="manager"' in page
    assert 'value="admin"' not in page


def test_a_post_without_csrf_token_is_refused_and_writes_nothing(areas) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff("admin_sz", "admin", "440300"))
    response = browser.post("/manage/accounts/new/", {
        "username": "csrf_victim", "role": "admin", "jurisdiction_code": "440300", "password1": PASSWORD,
        "password2": PASSWORD})
    assert response.status_code == 403
    assert "<h1>表单已过期</h1>" in response.content.decode()  # the site's own page (core.views.csrf_failure)
    assert not User.objects.filter(username="csrf_victim").exists()


@pytest.mark.parametrize("action", ["unlock", "deactivate", "reactivate", "otp-reset"])
def test_a_luohu_manager_cannot_act_on_a_yantian_account(client: Client, areas, action: str) -> None:
    target = staff("clerk_yt", "clerk", "440308")
    account_lock(user=target, reason="failed_lookups")
    TOTPDevice.objects.create(user=target, name="phone", confirmed=True)
    client.force_login(staff("mgr_lh", "manager", "440303"))
    events = Event.objects.count()
    assert client.get("/manage/accounts/clerk_yt/").status_code == 404
    assert client.post(f"/manage/accounts/clerk_yt/{action}/", {"reason": "试图越权"}).status_code == 404
    assert client.post("/manage/accounts/clerk_yt/password-code/").status_code == 404
    assert "clerk_yt" not in client.get("/manage/accounts/").content.decode()
    target.refresh_from_db()
    assert (target.is_active, target.locked_at is not None) == (False, True)
    assert TOTPDevice.objects.filter(user=target).count() == 1
    assert not PasswordCode.objects.exists()
    # nothing written but the three refusals themselves, each on the trail
    assert Event.objects.exclude(action="access.refused").count() == events
    assert Event.objects.filter(action="access.refused", data__reason="scope").count() == 3


def test_a_manager_cannot_see_or_act_on_an_administrator_of_their_own_area(client: Client, manager: User) -> None:
    staff("admin_yt", "admin", "440308")
    assert "admin_yt" not in client.get("/manage/accounts/").content.decode()
    assert client.get("/manage/accounts/admin_yt/").status_code == 404
    assert client.post("/manage/accounts/admin_yt/deactivate/", {"reason": "x"}).status_code == 404
    assert client.post("/manage/accounts/admin_yt/password-code/").status_code == 404
    assert User.objects.get(username="admin_yt").is_active


def test_staff_without_the_capability_get_not_found(client: Client, areas) -> None:
    staff("clerk_a", "clerk", "440308")
    client.force_login(staff("clerk_b", "clerk", "440308"))
    assert client.get("/manage/accounts/clerk_a/").status_code == 404
    assert client.post("/manage/accounts/clerk_a/deactivate/", {"reason": "x"}).status_code == 404
    assert User.objects.get(username="clerk_a").is_active


def test_deactivate_and_reactivate_with_reasons(client: Client, manager: User) -> None:
    target = staff("clerk_yt", "clerk", "440308")
    response = client.post("/manage/accounts/clerk_yt/deactivate/", {"reason": "  "}, follow=True)
    assert "请说明停用该账号的原因。" in response.content.decode()
    assert User.objects.get(pk=target.pk).is_active
    response = client.post("/manage/accounts/clerk_yt/deactivate/", {"reason": "调离"}, follow=True)
    assert "账号已停用。" in response.content.decode()
    assert not User.objects.get(pk=target.pk).is_active
    assert Event.objects.get(action="account.user.deactivated").data == {"reason": "调离"}
    refused = Client().post("/accounts/login/", {"username": "clerk_yt", "password": PASSWORD})
    assert (refused.status_code, "sessionid" in refused.cookies) == (200, False)
    response = client.post("/manage/accounts/clerk_yt/reactivate/", {"reason": "返岗"}, follow=True)
    assert "账号已重新启用。" in response.content.decode()
    assert User.objects.get(pk=target.pk).is_active
    assert Event.objects.get(action="account.user.reactivated").actor_id == manager.pk
    response = client.post("/manage/accounts/mgr_yt/deactivate/", {"reason": "自己"}, follow=True)
    assert "不能停用您自己的账号。" in response.content.decode()


def test_unlock_a_locked_account_needs_a_reason(client: Client, manager: User) -> None:
    target = staff("clerk_yt", "clerk", "440308")
    account_lock(user=target, reason="failed_lookups")
    page = client.get("/manage/accounts/").content.decode()
    assert "已锁定" in page
    response = client.post("/manage/accounts/clerk_yt/unlock/", {"reason": ""}, follow=True)
    assert "请说明解锁该账号的原因。" in response.content.decode()
    assert not User.objects.get(pk=target.pk).is_active
    response = client.post("/manage/accounts/clerk_yt/unlock/", {"reason": "本人来电确认"}, follow=True)
    assert "账号已解锁，工作人员可以重新登录。" in response.content.decode()
    target.refresh_from_db()
    assert (target.is_active, target.locked_at, target.locked_reason) == (True, None, "")
    event = Event.objects.get(action="account.unlocked")
    assert (event.actor_id, event.data) == (manager.pk, {"was": "failed_lookups", "reason": "本人来电确认"})
    response = client.post("/manage/accounts/clerk_yt/unlock/", {"reason": "再次"}, follow=True)
    assert "该账号未被锁定。" in response.content.decode()


def test_remove_a_lost_authenticator_app(client: Client, manager: User) -> None:
    target = staff("clerk_yt", "clerk", "440308")
    TOTPDevice.objects.create(user=target, name="phone", confirmed=True)
    client.post("/manage/accounts/clerk_yt/otp-reset/", {"reason": ""})
    assert TOTPDevice.objects.filter(user=target).count() == 1
    response = client.post("/manage/accounts/clerk_yt/otp-reset/", {"reason": "手机丢失"}, follow=True)
    assert "已解除身份验证器" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert Event.objects.get(action="account.otp.reset").data == {"devices": 1, "reason": "手机丢失"}


def reset_page(client: Client, username: str, code: str, password: str = NEW_PASSWORD):
    return client.post("/accounts/password/", {"username": username, "code": code, "password1": password,
                                               "password2": password})


def test_a_one_time_code_is_shown_once_sets_a_password_once_and_only_its_hash_is_kept(client: Client,
                                                                                      manager: User) -> None:
    target = staff("clerk_yt", "clerk", "440308")
    response = client.post("/manage/accounts/clerk_yt/password-code/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    code = re.search(r'<p class="mono" id="code">([A-Z2-9-]+)</p>', response.content.decode()).group(1)
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", code)
    stored = PasswordCode.objects.get(user=target)
    assert re.fullmatch(r"[0-9a-f]{64}", stored.digest)
    assert code.replace("-", "") not in str(list(PasswordCode.objects.values()))
    assert stored.issued_by_id == manager.pk
    assert dt.timedelta(hours=23, minutes=59) < stored.expires_at - timezone.now() <= dt.timedelta(hours=24)
    assert code not in client.get("/manage/accounts/clerk_yt/").content.decode()  # never shown again

    anonymous = Client()
    assert 'href="/accounts/password/"' in anonymous.get("/accounts/login/").content.decode()
    wrong = reset_page(anonymous, "clerk_yt", "AAAA-BBBB-CCCC")
    assert "用户名或验证码错误。" in errors(wrong)
    assert "用户名或验证码错误。" in errors(reset_page(anonymous, "mgr_yt", code))  # another's code
    weak = reset_page(anonymous, "clerk_yt", code, "short-pw")
    assert weak.status_code == 400
    assert "密码太短，至少需要 12 个字符。" in errors(weak)
    assert not User.objects.get(pk=target.pk).check_password("short-pw")
    done = reset_page(anonymous, "clerk_yt", code.lower().replace("-", " "))  # as typed from a note
    assert (done.status_code, done["Location"]) == (302, "/accounts/login/")
    assert User.objects.get(pk=target.pk).check_password(NEW_PASSWORD)
    assert Event.objects.get(action="account.password_code.used").data == {"issued_by": manager.pk}
    assert Event.objects.get(action="account.password_code.issued").actor_id == manager.pk
    again = reset_page(anonymous, "clerk_yt", code, "Another-pass#2028")
    assert "该验证码已使用过，请向管理员申请新的验证码。" in errors(again)
    assert User.objects.get(pk=target.pk).check_password(NEW_PASSWORD)


def test_an_expired_code_and_a_code_replaced_by_a_newer_one_are_refused(manager: User) -> None:
    staff("clerk_yt", "clerk", "440308")
    old, _expires = password_code_issue(actor=manager, username="clerk_yt")
    new, _expires = password_code_issue(actor=manager, username="clerk_yt")
    with pytest.raises(ValidationError) as refused:
        password_code_use(username="clerk_yt", code=old, password=NEW_PASSWORD)
    assert refused.value.message == "该验证码已过期（有效期为 24 小时），请向管理员申请新的验证码。"
    PasswordCode.objects.filter(used_at__isnull=True).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationError) as refused:
        password_code_use(username="clerk_yt", code=new, password=NEW_PASSWORD)
    assert refused.value.code == "expired"
    assert not User.objects.get(username="clerk_yt").check_password(NEW_PASSWORD)


def test_guessing_codes_stops_after_ten_tries_an_hour(client: Client, areas) -> None:
    staff("clerk_yt", "clerk", "440308")
    answers = [reset_page(client, "clerk_yt", f"AAAA-BBBB-{n:04d}").status_code for n in range(11)]
    assert answers == [400] * 11
    assert "尝试次数过多" in reset_page(client, "clerk_yt", "AAAA-BBBB-CCCC").content.decode()


# Department clients: the administrator's alone, inside their area.

@pytest.fixture
def admin(client: Client, areas) -> User:
    user = staff("admin_yt", "admin", "440308")
    client.force_login(user)
    return user


def shown_token(response) -> str:
    return re.search(r'<p class="mono" id="token">(res_[^<]+)</p>', response.content.decode()).group(1)


def test_create_rotate_and_revoke_a_department_client(client: Client, admin: User) -> None:
    response = client.post("/manage/clients/new/", {"name": " 盐田区 教育局 ", "scopes": ["person.search"],
                                                    "jurisdiction_code": "440308", "days": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    first = shown_token(response)
    api = ApiClient.objects.get(name="盐田区 教育局")
    assert api_token_authenticate(first).pk == api.account_id
    listing = client.get("/manage/clients/").content.decode()
    token = ApiToken.objects.get(owner=api.account)
    assert (token.scopes, (token.expires_at - timezone.now()).days) == (["person.search"], 29)
    assert f"res_{token.prefix}_…" in listing
    assert first not in listing

    second = shown_token(client.post(f"/manage/clients/{api.pk}/rotate/"))
    assert api_token_authenticate(first) is None
    assert api_token_authenticate(second).pk == api.account_id
    response = client.post(f"/manage/clients/{api.pk}/revoke/", {"reason": ""}, follow=True)
    assert "请说明吊销令牌的原因。" in response.content.decode()
    assert api_token_authenticate(second) is not None
    response = client.post(f"/manage/clients/{api.pk}/revoke/", {"reason": "协议到期"}, follow=True)
    assert "已吊销 盐田区 教育局 的令牌。" in response.content.decode()
    assert api_token_authenticate(second) is None
    assert list(Event.objects.filter(action__startswith="account.").values_list("action", flat=True)
                .order_by("pk"))[-5:] == ["account.api_client.created", "account.token.issued",
                                          "account.token.issued", "account.token.rotated", "account.token.revoked"]


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "教育局<script>"}, "名称不超过 100 个字符，且不含 &lt; &gt; 或控制字符。"),
    ({"jurisdiction_code": "440303"}, "您的辖区内没有代码为 440303 的辖区。"),
    ({"name": "既有局"}, "名为 既有局 的部门客户端已存在。"),
    ({"scopes": ["person.unmask"]}, None),  # not offered: the form refuses the choice
])
def test_bad_client_input_is_refused_and_writes_nothing(client: Client, admin: User, data, message) -> None:
    api_client_create(actor=None, name="既有局", scopes=["person.view"], jurisdiction_code="440308")
    tokens = ApiToken.objects.count()
    response = client.post("/manage/clients/new/", {"name": "教育局", "scopes": ["person.view"],
                                                    "jurisdiction_code": "440308", "days": "30", **data})
    assert response.status_code == 400
    if message:
        assert message in errors(response)
    assert (ApiClient.objects.count(), ApiToken.objects.count()) == (1, tokens)


def test_clients_of_another_district_and_managers_get_not_found(client: Client, areas) -> None:
    api_client_create(actor=None, name="盐田局", scopes=["person.view"], jurisdiction_code="440308")
    api = ApiClient.objects.get()
    client.force_login(staff("admin_lh", "admin", "440303"))
    assert "盐田局" not in client.get("/manage/clients/").content.decode()
    assert client.post(f"/manage/clients/{api.pk}/rotate/").status_code == 404
    assert client.post(f"/manage/clients/{api.pk}/revoke/", {"reason": "x"}).status_code == 404
    client.force_login(staff("mgr_yt", "manager", "440308"))
    assert client.get("/manage/clients/").status_code == 404
    assert client.post(f"/manage/clients/{api.pk}/rotate/").status_code == 404
    assert ApiToken.objects.get().revoked_at is None
