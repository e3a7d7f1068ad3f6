"""The administration screens in real Chromium: an administrator creates a clerk, the clerk locks themselves out
with wrong passwords, the administrator unlocks them on the screen, and the clerk logs in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from residence.accounts.models import User
from residence.accounts.services import api_client_create, user_create
from residence.audit.models import Event
from residence.places.models import Jurisdiction, Obligor

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
ADMIN_PASSWORD = "Browser#2026-admin"
CLERK_PASSWORD = "Lantern-river#2026"


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_admin_creates_a_clerk_who_locks_themselves_out_and_is_unlocked(live_server, browser: Browser,
                                                                       settings) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    city = Jurisdiction.objects.create(code="440300", name="深圳市", level="city", path="/440300/")
    Jurisdiction.objects.create(code="440308", name="盐田区", level="district", parent=city, path="/440300/440308/")
    user_create(actor=None, username="admin", password=ADMIN_PASSWORD, role="admin", jurisdiction_code="440300",
                display_name="系统管理员甲", check_password=False)
    base = live_server.url

    admin = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    log_in(admin, base, "admin", ADMIN_PASSWORD)
    expect(admin.locator("h1")).to_have_text("工作台")
    shot(admin, "admin-home-desktop")
    admin.click("a.tile:has-text('工作人员账号')")
    admin.click("text=新建工作人员账号")
    admin.fill("#id_username", "clerk_wang")
    admin.fill("#id_display_name", "王小明")
    admin.select_option("#id_role", "clerk")
    admin.fill("#id_jurisdiction_code", "440308")
    admin.fill("#id_password1", "short")
    admin.fill("#id_password2", "short")
    admin.click("main button[type=submit]")
    expect(admin.locator(".errorlist")).to_contain_text("密码太短，至少需要 12 个字符。")
    shot(admin, "account-new-error-desktop")
    admin.fill("#id_password1", CLERK_PASSWORD)
    admin.fill("#id_password2", CLERK_PASSWORD)
    admin.click("main button[type=submit]")
    expect(admin.locator(".messages")).to_contain_text("已创建账号 clerk_wang。")
    expect(admin.locator("#state")).to_have_text("正常")
    clerk = User.objects.get(username="clerk_wang")
    assert (clerk.role, clerk.jurisdiction_code) == ("clerk", "440308")

    # the clerk forgets the password: wrong ones until the log-in lockout holds the account
    phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(phone, base, "clerk_wang", f"Wrong-password#{n}")
    expect(phone.locator("h1")).to_have_text("账号已锁定")
    expect(phone.locator("main")).to_contain_text("联系管理员解锁")
    shot(phone, "locked-out-phone")
    log_in(phone, base, "clerk_wang", CLERK_PASSWORD)  # the right password does not pass either
    expect(phone.locator("h1")).to_have_text("账号已锁定")

    admin.goto(f"{base}/manage/accounts/")
    row = admin.locator("#accounts tr", has_text="clerk_wang")
    expect(row).to_contain_text("已锁定")
    expect(row).to_contain_text("盐田区")
    shot(admin, "accounts-desktop")
    row.locator("a", has_text="clerk_wang").click()
    expect(admin.locator("#state")).to_contain_text("已锁定")
    shot(admin, "account-locked-desktop")
    admin.click("#unlock button")  # no reason: the browser asks for one, nothing is sent
    assert not Event.objects.filter(action="account.unlocked").exists()
    admin.fill("#unlock-reason", "本人来电，核实身份")
    admin.click("#unlock button")
    expect(admin.locator(".messages")).to_contain_text("账号已解锁，工作人员可以重新登录。")
    expect(admin.locator("#state")).to_have_text("正常")
    event = Event.objects.get(action="account.unlocked")
    assert (event.actor_label, event.data["reason"], event.data["failed_logins"]) == (
        "admin", "本人来电，核实身份", settings.AXES_FAILURE_LIMIT + 1)  # the wrong ones and the right one refused

    log_in(phone, base, "clerk_wang", CLERK_PASSWORD)
    expect(phone.locator("h1")).to_have_text("工作台")
    expect(phone.locator("main")).to_contain_text("王小明")
    shot(phone, "clerk-home-phone")

    # the same screens on a phone
    admin_phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    log_in(admin_phone, base, "admin", ADMIN_PASSWORD)
    admin_phone.goto(f"{base}/manage/accounts/")
    shot(admin_phone, "accounts-phone")
    admin_phone.goto(f"{base}/manage/accounts/clerk_wang/")
    shot(admin_phone, "account-phone")
    admin_phone.click("#password-code button")
    code = admin_phone.locator("#code").inner_text()
    shot(admin_phone, "password-code-phone")
    admin_phone.goto(f"{base}/manage/accounts/new/")
    shot(admin_phone, "account-new-phone")
    api_client_create(actor=None, name="盐田区教育局", scopes=["person.search", "person.view"],
                      jurisdiction_code="440308")
    Obligor.objects.create(name="海景旅馆", kind="hotel", code="HT-0001", jurisdiction_id=city.pk)
    for name in ("clients", "obligors", "obligors/new", "obligors/import"):
        admin_phone.goto(f"{base}/manage/{name}/")
        expect(admin_phone.locator("h1")).to_have_text(
            {"clients": "部门客户端", "obligors": "申报义务人", "obligors/new": "新建申报义务人",
             "obligors/import": "导入申报义务人"}[name])
        shot(admin_phone, f"manage-{name.replace('/', '-')}-phone")
    admin.goto(f"{base}/manage/clients/")
    shot(admin, "manage-clients-desktop")

    # the code sets a new password on the page linked from the log-in page
    phone.context.clear_cookies()
    phone.goto(f"{base}/accounts/login/")
    phone.click("#forgot")
    phone.fill("#id_username", "clerk_wang")
    phone.fill("#id_code", code)
    phone.fill("#id_password1", "Quiet-willow#2027")
    phone.fill("#id_password2", "Quiet-willow#2027")
    shot(phone, "password-with-code-phone")
    phone.click("main button[type=submit]")
    expect(phone.locator(".messages")).to_contain_text("新密码已设置，请用新密码登录。")
    log_in(phone, base, "clerk_wang", "Quiet-willow#2027")
    expect(phone.locator("h1")).to_have_text("工作台")
    for page in (admin, phone, admin_phone):
        page.close()
