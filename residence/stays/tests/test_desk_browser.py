"""A hotel's front desk in real Chromium: check a guest in, see them listed (masked), check them out."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, expect

from residence.accounts.services import user_create
from residence.demo.services import demo_city_generate
from residence.places.models import Obligor, Unit
from residence.places.services import obligor_account_bind
from residence.stays.models import Stay, StayEvent
from residence.stays.tests.test_stays_api import ident
from residence.workbench.tests.test_browser import ARTIFACTS, PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_hotel_checks_a_guest_in_and_out_at_the_front_desk(live_server, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    demo_city_generate(persons=30, seed=4)
    hotel = Obligor.objects.create(name="海景酒店", kind="hotel")
    user_create(actor=None, username="desk", password=PASSWORD, role="hotel", check_password=False)
    obligor_account_bind(actor=None, obligor_id=hotel.pk, username="desk")
    room = Unit.objects.filter(building__grid__path__contains="/440308/").order_by("pk").first()
    assert room is not None
    Unit.objects.filter(pk=room.pk).update(obligor=hotel, label="808")
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "desk")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.click("nav >> text=住客")
    expect(page.locator("h1")).to_have_text("住客")
    page.fill("#id_id_number", ident(90))
    page.fill("#id_name", "钱七")
    page.click("#check-in button[type=submit]")
    expect(page.locator(".msg.success")).to_contain_text("已入住")
    row = page.locator("table.list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("钱七")
    expect(row).to_contain_text(ident(90)[:6] + "************")
    assert ident(90) not in page.content()  # masked on screen
    page.screenshot(path=str(ARTIFACTS / "stays-desk-phone.png"), full_page=True)
    stay = Stay.objects.get(event=StayEvent.CHECK_IN)
    assert stay.channel == "web"
    page.click("table.list button[type=submit]")
    expect(page.locator(".msg.success")).to_contain_text("已退房")
    expect(page.locator("table.list")).to_have_count(0)
    assert Stay.objects.filter(stay_id=stay.stay_id, event=StayEvent.CHECK_OUT).count() == 1
    page.close()
