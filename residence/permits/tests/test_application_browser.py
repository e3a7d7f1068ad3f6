"""The application journeys in real Chromium: a resident applies on a phone, a clerk accepts at the counter, a
reviewer reads the rules' explanation and approves; a grid worker files on a phone for an elderly resident who
cannot come, with a close relative as applicant. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

from residence.accounts.models import User
from residence.people.models import Person
from residence.permits.models import ApplicationStep, PermitApplication
from residence.permits.tests.test_application_pages import NOT_FOR_OTHERS
from residence.workbench.tests.test_browser import ARTIFACTS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def _as(browser: Browser, live_server, user: User, viewport: dict[str, int] | None = None) -> tuple[BrowserContext,
                                                                                                   Page]:
    """A browser logged in as `user` (the session made by the test client, its cookie handed to Chromium)."""
    c = Client()
    c.force_login(user)
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale="zh-CN")
    context.add_cookies([{"name": "sessionid", "value": c.cookies["sessionid"].value, "url": live_server.url}])
    return context, context.new_page()


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing wider than the phone


def test_a_resident_applies_on_a_phone_a_clerk_accepts_a_reviewer_approves(live_server, browser: Browser,
                                                                           people) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server.url
    person = people["persons"][0]

    # the resident: their page says where to apply; the apply page says first whether they appear eligible
    context, page = _as(browser, live_server, people["resident"], PHONE)
    page.goto(f"{base}/me/")
    section = page.locator("#permit")
    expect(section.locator("h2")).to_have_text("居住证")
    expect(section).to_contain_text("您尚未申领居住证。")
    section.get_by_role("link", name="申领居住证").click()
    expect(page.locator("h1")).to_have_text("申领居住证")
    expect(page.locator("#eligibility h2")).to_have_text("根据您的记录，您看来符合申领条件")
    expect(page.locator("#eligibility")).to_contain_text("您已在本地连续居住登记 730 天。")
    expect(page.locator("#eligibility")).to_contain_text("您满足的条件：合法稳定就业。")
    page.get_by_label(f"{people['police'].name}（派出所）").check()
    page.get_by_label("居民身份证").check()
    page.get_by_label("照片").check()
    page.screenshot(path=str(ARTIFACTS / "permit-apply-phone.png"), full_page=True)
    _fits(page)
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".msg.success")).to_contain_text(f"申请已提交。请携带材料到{people['police'].name}")
    expect(page.locator(".stepbar li[aria-current=step]")).to_have_text("已提交")
    expect(page.locator("ul.missing li")).to_have_text(["住所证明", "就业证明"])  # all of them, at once
    page.screenshot(path=str(ARTIFACTS / "permit-application-phone.png"), full_page=True)
    _fits(page)
    app = PermitApplication.objects.get(person=person)
    assert (app.status, app.channel, app.materials) == ("submitted", "online", ["id_card", "photo"])
    context.close()

    # the clerk at the police station: the queue, then the documents; a material missing is named
    context, page = _as(browser, live_server, people["clerk"])
    page.goto(f"{base}/")
    page.get_by_role("link", name="受理窗口").click()
    expect(page.locator(f"#queue-submitted #app-{app.pk}")).to_contain_text(person.name)
    page.locator(f"#app-{app.pk}").get_by_role("link", name="核验材料").click()
    form = page.locator("#accept")
    form.get_by_label("住所证明").check()
    form.get_by_role("button", name="受理申请").click()
    expect(page.locator("#accept .errorlist")).to_have_text("尚缺以下材料（一次性告知）：就业证明。")
    page.locator("#accept").get_by_label("就业证明").check()
    page.locator("#accept").get_by_role("button", name="受理申请").click()
    due = (dt.date.today() + dt.timedelta(days=15)).isoformat()
    expect(page.locator(".msg.success")).to_have_text(f"已受理。应于 {due} 前发证。")
    expect(page.locator(".stepbar li[aria-current=step]")).to_have_text("已受理")
    page.screenshot(path=str(ARTIFACTS / "permit-accepted-desktop.png"), full_page=True)
    context.close()

    # the reviewer: the queue, the explanation as a nested list, start, approve
    context, page = _as(browser, live_server, people["reviewer"])
    page.goto(f"{base}/")
    page.get_by_role("link", name="审核队列").click()
    page.locator(f"#app-{app.pk}").get_by_role("link", name="审核").click()
    expect(page.locator("#person")).to_contain_text(person.id_number_masked)
    explanation = page.locator("#explanation")
    expect(explanation.locator(".verdict")).to_contain_text("符合条件")
    expect(explanation.locator("ul.tree > li").first).to_contain_text("符合居住证申领条件: 是")
    expect(explanation).to_contain_text("连续居住登记730天,达到180天")
    page.get_by_role("button", name="开始审核").click()
    expect(page.locator(".msg.success")).to_have_text("已开始审核。")
    page.screenshot(path=str(ARTIFACTS / "permit-review-desktop.png"), full_page=True)
    page.fill("#approve-note", "材料齐全")
    page.get_by_role("button", name="核准", exact=True).click()
    expect(page.locator(".msg.success")).to_have_text("已核准：转入制证。")
    expect(page.locator(".stepbar li[aria-current=step]")).to_have_text("已核准")
    context.close()
    app.refresh_from_db()
    assert (app.status, app.decided_by_id, app.decision_note) == ("approved", people["reviewer"].pk, "材料齐全")
    assert list(ApplicationStep.objects.filter(application=app).order_by("pk").values_list("transition", flat=True)) \
        == ["accept", "start_review", "approve"]


def test_a_grid_worker_files_for_an_elderly_resident_with_a_close_relative_as_applicant(live_server, browser: Browser,
                                                                                        people) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    elderly = people["persons"][1]
    Person.objects.filter(pk=elderly.pk).update(birth_date=dt.date(1946, 5, 1))
    context, page = _as(browser, live_server, people["grid"], PHONE)
    page.goto(f"{live_server.url}/people/{elderly.pk}/")
    page.locator("#file-permit summary").click()
    form = page.locator("#file-permit form")
    form.get_by_label("近亲属", exact=True).check()
    form.get_by_label(f"{people['police'].name}（派出所）").check()
    form.get_by_role("button", name="提交申请").click()
    # a close relative without a name: told on the form, beside the field
    expect(page.locator("#field-applicant_name .errorlist")).to_have_text("请填写代为申领的监护人或近亲属姓名。")
    page.screenshot(path=str(ARTIFACTS / "permit-grid-error-phone.png"), full_page=True)
    form = page.locator("#file-application")
    form.get_by_label("监护人或近亲属姓名").fill("王小明")
    form.get_by_role("button", name="提交申请").click()
    # a capable adult: a relative may not apply for them
    expect(page.locator("#field-relation .errorlist")).to_have_text(NOT_FOR_OTHERS)
    form = page.locator("#file-application")
    form.get_by_label("行动不便的老年人、残疾人，本人无法到场").check()
    form.get_by_label("居民身份证").check()
    page.screenshot(path=str(ARTIFACTS / "permit-grid-form-phone.png"), full_page=True)
    _fits(page)
    form.get_by_role("button", name="提交申请").click()
    expect(page.locator(".msg.success")).to_have_text(f"已为{elderly.name}提交申请。")
    expect(page.locator(".facts")).to_contain_text("近亲属 · 王小明 · 本人无法到场")
    expect(page.locator("ul.missing li")).to_have_text(["照片", "住所证明", "就业证明"])
    page.screenshot(path=str(ARTIFACTS / "permit-grid-filed-phone.png"), full_page=True)
    _fits(page)
    context.close()
    app = PermitApplication.objects.get(person=elderly)
    assert (app.channel, app.relation, app.applicant_name, app.unable_to_attend, app.applicant_account_id) == (
        "grid_worker", "close_relative", "王小明", True, people["grid"].pk)
