"""The e-permit in real Chromium: the resident's QR code, photographed off their phone page, is read by the public
verification page on a phone from the picture and verifies valid; after the card is reported lost and reissued the
old picture reads revoked and the new code valid; a suspended permit's card reads suspended. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import os
import re

import pytest
import segno
from playwright.sync_api import Browser, Page, expect

from residence.permits.epermit import tokens as t
from residence.permits.epermit.keys import permit_keys
from residence.permits.epermit.services import permit_card_token
from residence.permits.lifecycle import permit_number_masked, permit_reissue
from residence.permits.models import Permit
from residence.permits.tests.test_application_browser import PHONE, _as, _fits
from residence.permits.tests.test_lifecycle import make_permit, years_ago
from residence.workbench.tests.test_browser import ARTIFACTS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _verify_picture(page: Page, base: str, picture: str, word: str, shot: str) -> None:
    """On the public page (no account), choose `picture` and wait for the verdict."""
    page.goto(f"{base}/verify/")
    page.set_input_files("#qr-file", picture)
    expect(page.locator("#verify-result .verdict-word")).to_have_text(word, timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    _fits(page)


def test_the_residents_qr_read_from_a_picture_verifies_then_is_revoked_by_a_reissue(live_server, browser: Browser,
                                                                                     people) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server.url
    person = people["persons"][0]
    permit = make_permit(person, people["police"], issued_on=years_ago(0, days=-30))

    # the resident's own page on their phone: the e-permit's QR code, its expiry, the status proof
    resident, mine = _as(browser, live_server, people["resident"], PHONE)
    mine.goto(f"{base}/me/")
    card = mine.locator("#epermit")
    expect(card.locator("h2")).to_have_text("我的电子居住证")
    expect(card.locator("#epermit-word")).to_have_text("有效")
    expect(card.locator("#epermit-expires")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
    mine.screenshot(path=str(ARTIFACTS / "epermit-mine-top-phone.png"))
    card.scroll_into_view_if_needed()
    mine.screenshot(path=str(ARTIFACTS / "epermit-mine-phone.png"))
    _fits(mine)
    mine.get_by_role("link", name="电子居住证").click()  # the residents' menu: the code on a page of its own
    card = mine.locator("#epermit")
    expect(card.locator("h1")).to_have_text("我的电子居住证")
    expect(card.locator("#epermit-word")).to_have_text("有效")
    mine.screenshot(path=str(ARTIFACTS / "epermit-page-phone.png"), full_page=True)
    _fits(mine)
    old_picture = str(ARTIFACTS / "epermit-qr-old.png")
    card.locator("#epermit-code").screenshot(path=old_picture)
    old_token = card.locator("#epermit-token").input_value()
    card.get_by_role("button", name="立即更新").click()  # what the page does by itself every few minutes
    expect(card).to_have_attribute("data-renewed", "1")
    renewed = t.decode_permit(card.locator("#epermit-token").input_value(), permit_keys().public)
    assert renewed.expires_at >= t.decode_permit(old_token, permit_keys().public).expires_at  # signed again now
    assert renewed.permit_number == permit.number

    # anyone, on a phone, without an account: the picture of the code verifies valid
    visitor = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = visitor.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="核验居住证二维码（无需账户）").click()
    expect(page.locator("h1")).to_have_text("核验居住证")
    _verify_picture(page, base, old_picture, "有效", "epermit-verify-valid-phone.png")
    result = page.locator("#verify-result")
    expect(result.locator(".verdict-name")).to_have_text(person.name[0] + "*" * min(len(person.name) - 1, 4))
    expect(result.locator(".verdict-number")).to_have_text(permit_number_masked(permit.number))
    expect(result).to_contain_text("居住证真实有效。")

    # the camera: headless Chromium has none, and the page says so instead of failing silently
    page.get_by_role("button", name="用相机扫描").click()
    expect(page.locator("#camera-note")).to_contain_text("相机")

    # the card is reported lost and reissued: the old code is revoked online at once, the new one is valid
    permit_reissue(actor=people["clerk"], permit_id=permit.pk)
    _verify_picture(page, base, old_picture, "已作废", "epermit-verify-revoked-phone.png")
    expect(result.locator(".verdict-reason")).to_have_text("此卡已被新卡取代。")
    mine.reload()
    new_picture = str(ARTIFACTS / "epermit-qr-new.png")
    mine.locator("#epermit-code").screenshot(path=new_picture)
    _verify_picture(page, base, new_picture, "有效", "epermit-verify-new-phone.png")

    # the printed card of a suspended permit (the print sheet's code, as a picture) reads suspended
    Permit.objects.filter(pk=permit.pk).update(status="suspended")
    card_picture = str(ARTIFACTS / "epermit-card-qr.png")
    segno.make(permit_card_token(number=permit.number), error="m", micro=False).save(card_picture, scale=5)
    _verify_picture(page, base, card_picture, "已暂停（未签注）", "epermit-verify-suspended-phone.png")
    mine.reload()
    expect(mine.locator("#epermit-word")).to_have_text("已暂停（未签注）")

    # a picture with no code in it, and a pasted forgery
    page.set_input_files("#qr-file", str(ARTIFACTS / "epermit-verify-revoked-phone.png"))  # a page, no code
    expect(page.locator("#verify-result .msg.error")).to_contain_text("未能在图片中找到二维码")
    forged = "eyJhbGciOiJFZERTQSIsImtpZCI6ImZvcmdlZCJ9.eyJzdWIiOiJ4In0.AAAA"
    page.get_by_label("二维码的文字（以 eyJ 开头）").fill(forged)
    page.get_by_role("button", name="核验", exact=True).click()
    expect(page.locator("#verify-result .verdict-word")).to_have_text("无效")
    page.screenshot(path=str(ARTIFACTS / "epermit-verify-invalid-phone.png"), full_page=True)
    visitor.close()
    resident.close()
