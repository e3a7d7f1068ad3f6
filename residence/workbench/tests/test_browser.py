"""Browser journey in real Chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from residence.accounts.services import user_create
from residence.audit.models import Event
from residence.demo.services import demo_city_generate
from residence.people.identity import reveal_id_number, reveal_phone
from residence.people.models import Person

# Playwright's sync API runs an event loop in this thread; the ORM calls below are plain synchronous test code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
PASSWORD = "Browser#2026"
def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("工作台")


def test_clerk_finds_person_by_id_opens_masked_record_and_read_is_audited(live_server, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    demo_city_generate(persons=120, seed=21)
    for username, role, area in [("clerk", "clerk", "440308"), ("clerk_lh", "clerk", "440303"),
                                 ("manager", "manager", "440300")]:
        user_create(actor=None, username=username, password=PASSWORD, role=role, jurisdiction_code=area,
                    check_password=False)
    person = (Person.objects.filter(registrations__unit__building__grid__path__contains="/440308/",
                                    registrations__ended_on__isnull=True)
              .exclude(registrations__unit__building__grid__path__contains="/440303/").order_by("pk").first())
    assert person is not None
    full_id = reveal_id_number(person.id_number_enc)
    base = live_server.url

    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    log_in(page, base, "clerk")
    page.click("text=人员查询")
    page.fill("#id_q", full_id)
    page.click("button:has-text('查询')")
    link = page.locator("#results a", has_text=person.name)
    expect(link).to_be_visible()
    expect(page.locator("#results")).to_contain_text(person.id_number_masked)
    link.click()
    expect(page.locator("h1")).to_have_text(person.name)
    expect(page.locator("#id-number")).to_have_text(person.id_number_masked)
    assert full_id not in page.content()
    page.screenshot(path=str(ARTIFACTS / "person-detail-desktop.png"), full_page=True)

    viewed = Event.objects.filter(action="person.record.viewed", subject_id=str(person.pk))
    assert viewed.count() == 1
    assert viewed.get().actor_label == "clerk"

    # the manager sees the read in the audit trail page
    manager = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    log_in(manager, base, "manager")
    manager.goto(f"{base}/audit/?subject_type=person&subject_id={person.pk}")
    row = manager.locator("#events tbody tr[data-action='person.record.viewed']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"受理员 clerk 查看了 {person.name} 的登记信息，用途：在工作台查阅")
    manager.screenshot(path=str(ARTIFACTS / "audit-trail-phone.png"), full_page=True)

    # a clerk of the other district finds nothing and cannot open the record
    other = browser.new_page()
    log_in(other, base, "clerk_lh")
    other.goto(f"{base}/people/")
    other.fill("#id_q", full_id)
    other.click("button:has-text('查询')")
    expect(other.locator("#results")).to_contain_text("您的辖区内未找到此人")
    response = other.goto(f"{base}/people/{person.pk}/")
    assert response is not None
    assert response.status == 404
    assert Event.objects.filter(action="person.record.viewed", subject_id=str(person.pk)).count() == 1
    for p in (page, manager, other):
        p.close()


def test_resident_opens_an_account_on_a_phone_with_the_texted_code(live_server, browser: Browser,
                                                                    sms_outbox) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    demo_city_generate(persons=60, seed=22)
    person = Person.objects.filter(registrations__ended_on__isnull=True).order_by("pk").first()
    assert person is not None
    full_id = reveal_id_number(person.id_number_enc)
    phone = reveal_phone(person.phone_enc)
    base = live_server.url

    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(f"{base}/me/login/")
    page.click("text=用身份证号和手机号开通")
    page.fill("#id_id_number", full_id)
    page.fill("#id_phone", phone)
    page.click("main button[type=submit]")
    expect(page.locator("main")).to_contain_text("六位验证码已通过短信发送")
    code = re.search(r"\d{6}", sms_outbox[-1][1]).group(0)  # type: ignore[union-attr]  # the fake gateway
    page.fill("#id_code", code)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_again", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("我的信息")
    expect(page.locator("nav.nav a")).to_have_text(["我的信息", "电子居住证"])  # their own pages, no staff workbench
    expect(page.locator("#id-number")).to_have_text(person.id_number_masked)
    assert full_id not in page.content()
    assert phone not in page.content()
    page.screenshot(path=str(ARTIFACTS / "resident-record-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone

    page.click("button:has-text('退出')")
    page.goto(f"{base}/me/login/")
    page.fill("#id_username", full_id)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("我的信息")
    page.close()
