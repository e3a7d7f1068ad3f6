"""A grid worker pages through a common surname in real Chromium (Debian's /usr/bin/chromium, via Playwright)."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from playwright.sync_api import Browser, expect

from residence.accounts.models import User
from residence.audit.models import Event
from residence.demo.services import DEMO_PASSWORD, demo_city_generate, demo_users_create
from residence.people.selectors import person_scope
from residence.workbench.tests import test_browser

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
ARTIFACTS = test_browser.ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_grid_worker_pages_through_a_common_surname(live_server, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    demo_city_generate(persons=30_000, seed=7)
    demo_users_create()
    worker = User.objects.get(username="gridworker")
    surnames = Counter(name[0] for name in person_scope(user=worker).values_list("name", flat=True))
    surname, in_area = surnames.most_common(1)[0]
    assert in_area > 50  # more than one page
    count = f"找到 {in_area:,} 人" if in_area <= 1000 else "找到 1,000 以上"

    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "gridworker")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("工作台")
    page.goto(f"{live_server.url}/people/")
    page.fill("#id_q", surname)
    page.click("main form button[type=submit]")
    expect(page.locator("#search-count")).to_contain_text(count)
    rows = page.locator("#search-results tbody tr")
    expect(rows).to_have_count(50)
    first = rows.locator("td:first-child a").all_inner_texts()
    first_links = rows.locator("td:first-child a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert all(name.startswith(surname) for name in first)
    page.click("#next-page button")
    expect(page.locator("#search-count")).to_contain_text("第 2 页")
    expect(page.locator("#search-count")).to_contain_text(count)
    expect(rows).to_have_count(min(50, in_area - 50))
    second_links = rows.locator("td:first-child a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert not set(first_links) & set(second_links)  # the second page's rows differ from the first's
    assert all(name.startswith(surname) for name in rows.locator("td:first-child a").all_inner_texts())
    assert surname not in page.url  # the query and the cursor went by POST
    assert "after" not in page.url
    page.screenshot(path=str(ARTIFACTS / "search-second-page.png"), full_page=True)
    assert [e.data["next_page"] for e in Event.objects.filter(action="person.searched", actor_id=worker.pk)
            .order_by("pk")] == [False, True]
