"""The site's frame in real Chromium: the browser's own form hints in the page's language, the icon, and who is
logged in on a phone's header."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, expect

from residence.accounts.services import user_create
from residence.demo.services import demo_city_generate
from residence.people.models import Person
from residence.places.models import Jurisdiction
from residence.workbench.tests.test_browser import ARTIFACTS, PASSWORD, log_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_english_browser_gets_chinese_form_hints_on_a_chinese_page(live_server, browser: Browser) -> None:
    demo_city_generate(persons=30, seed=5)
    user_create(actor=None, username="clerk_hint", password=PASSWORD, role="clerk", jurisdiction_code="440308",
                check_password=False)
    person = Person.objects.filter(registrations__unit__building__grid__path__contains="/440308/").first()
    assert person is not None
    page = browser.new_page(locale="en-US")  # the browser's own language is English
    log_in(page, live_server.url, "clerk_hint")
    page.goto(f"{live_server.url}/people/{person.pk}/")
    page.click("form[action$='/unmask/'] button[type=submit]")  # no purpose given: the browser holds the form
    assert page.url.endswith(f"/people/{person.pk}/")
    hint = page.eval_on_selector("#id_purpose", "el => el.validationMessage")
    assert hint == "请填写此字段。"
    page.fill("#id_purpose", "窗口办理")  # typing clears the hint
    assert page.eval_on_selector("#id_purpose", "el => el.validationMessage") == ""
    page.close()


def test_the_page_has_an_icon_and_the_phone_header_shows_who_is_logged_in(live_server, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    Jurisdiction.objects.create(code="440308", name="盐田区", level="district", path="/440308/", official=True)
    user = user_create(actor=None, username="clerk_yt", password=PASSWORD, role="clerk", jurisdiction_code="440308",
                       check_password=False)
    user.display_name = "张三"
    user.save(update_fields=["display_name"])
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    log_in(page, live_server.url, "clerk_yt")
    who = page.locator(".topbar .who")
    expect(who).to_be_visible()
    expect(who).to_have_text("张三 · 受理员")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon
    assert icon.endswith(".svg")
    r = page.request.get(f"{live_server.url}{icon}")
    assert r.status == 200
    assert r.body().startswith(b"<svg")
    r = page.request.get(f"{live_server.url}/favicon.ico")  # followed to the same icon
    assert r.status == 200
    assert r.body().startswith(b"<svg")
    page.screenshot(path=str(ARTIFACTS / "header-phone.png"))
    page.close()


def test_a_refused_page_is_the_chinese_404_in_the_sites_layout(live_server, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    Jurisdiction.objects.create(code="440308", name="盐田区", level="district", path="/440308/", official=True)
    user_create(actor=None, username="clerk_404", password=PASSWORD, role="clerk", jurisdiction_code="440308",
                check_password=False)
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    log_in(page, live_server.url, "clerk_404")
    response = page.goto(f"{live_server.url}/audit/")  # a clerk may not read the audit trail
    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("页面不存在")
    expect(page.locator(".topbar .who")).to_be_visible()  # in the site's frame, still logged in
    page.click("text=返回工作台")
    expect(page.locator("h1")).to_have_text("工作台")
    page.goto(f"{live_server.url}/audit/")
    page.screenshot(path=str(ARTIFACTS / "refused-404-phone.png"))
    page.close()
