"""A manager reads the day's log-ins and refused pages in Chinese, in real Chromium, on a desktop and on a phone.

The log-ins, the failed log-in and the refused pages are really done, in the browser, today. Events cannot be moved
to yesterday: an event's time is covered by its tag, and the database refuses every UPDATE of an audit row. So
"yesterday" is checked with one log-in event written as the trail writes it (tagged under the audit key) but dated
yesterday, beside today's real ones: the 昨天 filter shows it and none of today's."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from residence.accounts.services import user_create
from residence.audit.models import Event
from residence.audit.services import audit_seal, event_tag
from residence.core.keys import keyring
from residence.demo.services import demo_city_generate
from residence.people.models import Person
from residence.workbench.tests.test_browser import PASSWORD, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def written_yesterday(*, actor, action: str, data: dict) -> Event:  # type: ignore[no-untyped-def]
    """An event as event_record writes it, dated yesterday at 09:30 local time."""
    ring = keyring("audit")
    when = timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(9, 30)))
    e = Event(occurred_at=when, actor_id=actor.pk, actor_label=actor.username, action=action, subject_type="user",
              subject_id=str(actor.pk), data=json.loads(json.dumps(data, sort_keys=True)), uid=uuid.uuid4(),
              key_id=ring.active_id)
    e.tag = event_tag(e, ring.active)
    e.save(force_insert=True)
    return e


def filter_trail(page: Page, period: str, kind: str) -> None:
    page.select_option("#id_period", label=period)
    page.select_option("#id_kind", label=kind)
    page.click("#trail-filters button[type=submit]")
    expect(page.locator("#id_kind")).to_have_value({"登录与退出": "logins", "被拒绝的访问": "refused"}[kind])


def sentences(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#events td.sentence").all_inner_texts()]


def one_line(page: Page, selector: str) -> bool:
    """Every cell of `selector` is a single line of text (all its boxes end on the same line)."""
    return bool(page.evaluate("""sel => [...document.querySelectorAll(sel)].every(td => {
        const r = document.createRange(); r.selectNodeContents(td);
        return new Set([...r.getClientRects()].map(x => Math.round(x.bottom))).size === 1; })""", selector))


def test_a_manager_reads_the_days_log_ins_and_refused_pages_in_chinese(live_server, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    demo_city_generate(persons=120, seed=21)
    accounts = {}
    for username, role, area, name in [("zhangsan", "clerk", "440308", "张三"),
                                       ("qianqi", "grid_worker", "440303", "钱七"),
                                       ("zhaoliu", "manager", "440300", "赵六")]:
        accounts[username] = user_create(actor=None, username=username, password=PASSWORD, role=role,
                                         jurisdiction_code=area, display_name=name, check_password=False)
    person = (Person.objects.filter(registrations__unit__building__grid__path__contains="/440308/",
                                    registrations__ended_on__isnull=True)
              .exclude(registrations__unit__building__grid__path__contains="/440303/").order_by("pk").first())
    assert person is not None
    written_yesterday(actor=accounts["zhangsan"], action="account.login.succeeded",
                      data={"door": "staff", "address": "10.1.2.3"})
    base = str(live_server.url).replace("localhost", "127.0.0.1")

    # today: the clerk mistypes the password, logs in, and opens the trail, which is not for clerks
    clerk = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    clerk.goto(f"{base}/accounts/login/")
    clerk.fill("#id_username", "zhangsan")
    clerk.fill("#id_password", "Not-the-password#1")
    clerk.click("main button[type=submit]")
    expect(clerk.locator("main")).to_contain_text("请输入一个正确的用户名和密码")
    log_in(clerk, base, "zhangsan")
    assert clerk.goto(f"{base}/audit/").status == 404  # type: ignore[union-attr]
    # a Luohu grid worker opens a person who lives in Yantian
    worker = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    log_in(worker, base, "qianqi")
    assert worker.goto(f"{base}/people/{person.pk}/").status == 404  # type: ignore[union-attr]
    expect(worker.locator("main")).to_contain_text("页面不存在")
    audit_seal(grace_seconds=0)  # what happened so far is sealed; the manager's own browsing will be pending

    for width, height, device in [(1280, 900, "desktop"), (390, 844, "phone")]:
        manager = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        log_in(manager, base, "zhaoliu")
        manager.click("text=审计日志")
        filter_trail(manager, "今天", "登录与退出")
        shown = sentences(manager)
        assert "受理员 张三 从 127.0.0.1 登录" in shown
        assert "有人从 127.0.0.1 以 受理员 张三 的账号登录失败：用户名或密码错误" in shown
        assert "网格员 钱七 从 127.0.0.1 登录" in shown
        assert "受理员 张三 从 10.1.2.3 登录" not in shown  # yesterday's
        expect(manager.locator("#events tr[data-action='account.login.failed'] td.seal")).to_have_text(
            "已封存（第 1 块）")
        assert one_line(manager, "#events td.when")
        assert one_line(manager, "#events td.seal")
        assert manager.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        manager.screenshot(path=str(ARTIFACTS / f"trail-logins-today-{device}.png"), full_page=True)

        filter_trail(manager, "今天", "被拒绝的访问")
        assert sentences(manager) == [
            f"网格员 钱七 试图打开 {person.name}，被拒绝：不在其辖区内（页面 /people/<int:person_id>/）",
            "受理员 张三 试图打开其角色无权访问的页面（页面 /audit/）",
        ]
        assert one_line(manager, "#events td.when")
        assert manager.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        manager.screenshot(path=str(ARTIFACTS / f"trail-refused-today-{device}.png"), full_page=True)

        filter_trail(manager, "昨天", "登录与退出")
        assert sentences(manager) == ["受理员 张三 从 10.1.2.3 登录"]
        expect(manager.locator("#events td.seal")).to_have_text("已封存（第 1 块）")
        manager.close()

    # the manager's browsing is on the trail too, in words, and still pending
    trail = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    log_in(trail, base, "zhaoliu")
    trail.goto(f"{base}/audit/?kind=trail")
    latest = trail.locator("#events tbody tr").first
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    expect(latest.locator("td.sentence")).to_have_text(
        f"管理人员 赵六 查看了审计日志（日期 {yesterday} 至 {yesterday}；类别：登录与退出），显示 1 条")
    expect(latest.locator("td.seal")).to_have_text("待封存")
    trail.screenshot(path=str(ARTIFACTS / "trail-browsing-desktop.png"), full_page=True)
    for p in (clerk, worker, trail):
        p.close()
