"""An employer on a phone, in real Chromium: reports a hire, sees the worker, reports the separation."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from residence.employment.models import Employment
from residence.employment.tests.test_pages import ID1
from residence.places.models import Obligor
from residence.workbench.tests.test_browser import ARTIFACTS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_employer_on_a_phone(live_server, browser: Browser, city, make_user) -> None:
    user = make_user("boss", "employer", "")
    Obligor.objects.filter(pk=Obligor.objects.filter(kind="employer").order_by("pk")[0].pk).update(account=user)
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "Test-pass#2026")
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/employment/mine/")
    page.fill("#id_id_number", ID1)
    page.fill("#id_name", "王小明")
    page.fill("#id_hired_on", (timezone.localdate() - dt.timedelta(days=1)).isoformat())
    page.click("#hire button[type=submit]")
    expect(page.locator("#workers")).to_contain_text("王小明")
    page.screenshot(path=str(ARTIFACTS / "employment-employer-phone.png"), full_page=True)
    page.screenshot(path="/tmp/empdemo-employer-phone.png", full_page=True)
    page.click("#workers button[type=submit]")
    expect(page.locator("#history")).to_contain_text("王小明")
    page.close()
    assert Employment.objects.get().separated_on == timezone.localdate()
