"""A permit's life after issue over HTTP, per role, and in Chromium: the counter's section on the person page, the
resident's own page, the lapsed report; out of scope is "not found"."""

from __future__ import annotations

import os
import re

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser

from residence.audit.models import Event
from residence.people.identity import reveal_id_number
from residence.permits.models import Permit, PermitEvent, PermitNotice
from residence.permits.tasks import permits_daily
from residence.permits.tests.conftest import PASSWORD
from residence.permits.tests.test_lifecycle import ALL, make_permit, years_ago
from residence.registrations.models import Registration

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the fixtures' ORM calls beside Playwright's loop


@pytest.fixture
def permit(people) -> Permit:
    return make_permit(people["persons"][0], people["police"], issued_on=years_ago(1, days=10),
                       number="440308202500000123")


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_clerk_sees_the_permit_masked_with_its_next_endorsement_and_endorses_it(client: Client, people,
                                                                                      permit) -> None:
    client.force_login(people["clerk"])
    page = text(client.get(f"/people/{permit.person_id}/"))
    assert "居住证" in page
    assert "440308********0123" in page
    assert "440308202500000123" not in page
    assert f"{permit.endorsement_due_on:%Y-%m-%d}前办理，现在即可办理" in page
    response = client.post(f"/permits/{permit.pk}/endorse/", {"materials": ALL})
    assert (response.status_code, response["Location"]) == (302, f"/people/{permit.person_id}/")
    permit.refresh_from_db()
    assert permit.endorsed_years == 1
    page = text(client.get(response["Location"]))
    assert "已签注。" in page
    due = permit.endorsement_due_on
    assert f'已签注 <span class="hint">下次签注 {due:%Y-%m-%d} 前</span>' in page


def test_a_refusal_is_shown_and_changes_nothing(client: Client, people, permit) -> None:
    client.force_login(people["clerk"])
    response = client.post(f"/permits/{permit.pk}/endorse/", {"materials": ["id_card"]}, follow=True)
    assert response.status_code == 200
    assert "未签注：缺少材料：" in text(response)
    permit.refresh_from_db()
    assert permit.endorsed_years == 0
    assert not PermitEvent.objects.exists()


def test_change_replace_reissue_and_cancel_at_the_counter(client: Client, people, permit) -> None:
    client.force_login(people["clerk"])
    today = timezone.localdate()
    client.post(f"/permits/{permit.pk}/change/", {"kind": "workplace", "change_date": today.isoformat(),
                                                    "workplace": "盐田港"})
    page = text(client.post(f"/permits/{permit.pk}/reissue/", follow=True))
    assert f"收据号 BL{today:%Y%m%d}{permit.pk:08d}02" in page
    client.post(f"/permits/{permit.pk}/replace/", {"old_card_returned": "on"})
    client.post(f"/permits/{permit.pk}/cancel/", {"reason": "left"})
    permit.refresh_from_db()
    assert (permit.workplace, permit.card_seq, permit.status) == ("盐田港", 3, "cancelled")
    assert list(PermitEvent.objects.order_by("pk").values_list("kind", flat=True)) == [
        "changed", "reissued", "replaced", "cancelled"]
    page = text(client.post(f"/permits/{permit.pk}/endorse/", {"materials": ALL}, follow=True))
    assert "此居住证已于" in page  # cancelled: refused
    assert 'action="/permits/' not in page  # and no more counter forms


@pytest.mark.parametrize("role", ["reviewer", "grid_worker", "manager", "production", "enforcement"])
def test_only_counter_clerks_act_on_a_permit(client: Client, people, permit, make_user, role: str) -> None:
    client.force_login(make_user(f"{role}-x", role))
    for action in ("endorse", "change", "replace", "reissue", "cancel"):
        assert client.post(f"/permits/{permit.pk}/{action}/", {"materials": ALL, "reason": "death"}).status_code \
            == 404
    permit.refresh_from_db()
    assert permit.status == "valid"
    assert not PermitEvent.objects.exists()


def test_a_clerk_of_another_district_gets_not_found(client: Client, people, permit, make_user) -> None:
    client.force_login(make_user("clerk-lh", "clerk", "440303"))
    assert client.post(f"/permits/{permit.pk}/cancel/", {"reason": "death"}).status_code == 404
    assert client.post(f"/permits/{permit.pk + 1000}/cancel/", {"reason": "death"}).status_code == 404
    assert client.get("/permits/lapsed/").status_code == 404
    permit.refresh_from_db()
    assert permit.status == "valid"


def test_the_resident_sees_their_permit_next_endorsement_and_reminders(client: Client, people, permit) -> None:
    permits_daily()
    client.force_login(people["resident"])
    page = text(client.get("/me/"))
    assert "440308********0123" in page
    assert "您的年度签注现在即可办理" in page
    assert f"须于{permit.endorsement_due_on:%Y-%m-%d}前签注" in page
    assert 'action="/permits/' not in page  # no counter forms for the resident
    assert PermitNotice.objects.count() == 1
    # someone else's page: no permit there
    other = Client()
    other.force_login(people["clerk"])
    assert other.post(f"/permits/{permit.pk}/endorse/", {"materials": ALL}).status_code == 302


def test_the_lapsed_report_counts_per_street(client: Client, people, make_user) -> None:
    persons = people["persons"]
    make_permit(persons[0], people["police"], issued_on=years_ago(1, days=-30), status="suspended")
    make_permit(persons[1], people["police"], issued_on=years_ago(1, days=-3))  # overdue, not yet suspended
    make_permit(persons[2], people["police"], issued_on=years_ago(1, days=20))  # not due
    street = Registration.objects.get(person=persons[0], ended_on=None).area_path.split("/")[3]
    client.force_login(make_user("mgr", "manager"))
    page = text(client.get("/permits/lapsed/"))
    assert '<strong id="total-suspended">1</strong>' in page
    assert '<strong id="total-overdue">1</strong>' in page
    assert f'data-code="{street}"' in page
    client.force_login(make_user("mgr-lh", "manager", "440303"))
    page = text(client.get("/permits/lapsed/"))
    assert '<strong id="total-suspended">0</strong>' in page
    assert '<strong id="total-overdue">0</strong>' in page


def test_the_workbench_shows_managers_the_lapsed_report(client: Client, make_user, city) -> None:
    client.force_login(make_user("mgr", "manager"))
    assert 'href="/permits/lapsed/"' in client.get("/").content.decode()
    client.force_login(make_user("clk", "clerk"))
    assert 'href="/permits/lapsed/"' not in client.get("/").content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_permit_not_endorsed_in_time_shows_suspended_and_a_late_endorsement_restores_it(
        live_server, browser: Browser, people) -> None:
    permit = make_permit(people["persons"][0], people["police"], issued_on=years_ago(1, days=-3),
                         number="440308202500000777")
    permits_daily()
    # the resident, on a phone, sees it suspended
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(f"{live_server.url}/me/login/")
    page.fill("#id_username", reveal_id_number(people["persons"][0].id_number_enc))
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/me/")
    page.locator("#permit").scroll_into_view_if_needed()
    section = page.locator("#permit")
    assert section.locator("[data-status]").inner_text() == "中止使用（未签注）"
    assert "您的居住证因逾期未签注已中止使用" in section.inner_text()
    page.screenshot(path="/tmp/lifecycle-resident-suspended.png", full_page=True)
    page.close()
    # the clerk endorses late at the counter
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", people["clerk"].username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/people/{permit.person_id}/")
    section = page.locator("#permit")
    assert section.locator("[data-status]").inner_text() == "中止使用（未签注）"
    for m in ALL:
        section.locator(f"#permit-endorse input[value={m}]").check()
    page.screenshot(path="/tmp/lifecycle-clerk-endorse.png", full_page=True)
    section.locator("#permit-endorse button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".messages").inner_text().strip() == "已签注。"
    assert page.locator("#permit [data-status]").inner_text() == "有效"
    assert "逾期签注后恢复" in page.locator("#permit").inner_text()
    page.screenshot(path="/tmp/lifecycle-clerk-restored.png", full_page=True)
    page.close()
    permit.refresh_from_db()
    assert (permit.status, permit.anchor_on) == ("valid", timezone.localdate())
    assert Event.objects.filter(action="permit.restored").count() == 1
    assert permit.endorsement_due_on == timezone.localdate().replace(year=timezone.localdate().year + 1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_reads_the_lapsed_report_with_its_bars(live_server, browser: Browser, people, make_user) -> None:
    persons = people["persons"]
    make_permit(persons[0], people["police"], issued_on=years_ago(1, days=-30), status="suspended")
    make_permit(persons[1], people["police"], issued_on=years_ago(1, days=-40), status="suspended")
    make_permit(persons[2], people["police"], issued_on=years_ago(1, days=-2))
    make_user("mgr-b", "manager")
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "mgr-b")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.locator(".tile", has_text="逾期未签注的居住证").click()
    page.wait_for_url(f"{live_server.url}/permits/lapsed/")
    assert page.locator("#total-suspended").inner_text() == "2"
    assert page.locator("#total-overdue").inner_text() == "1"
    assert page.locator("svg.lapsed-chart rect.suspended").count() == page.locator("#lapsed tbody tr").count()
    page.screenshot(path="/tmp/lifecycle-lapsed.png", full_page=True)
    page.close()
