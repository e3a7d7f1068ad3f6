"""A resident sees who read their record (the office, when, why; never the staff member), and an investigation hold
keeps the reads made while it lasts back until it ends."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from playwright.sync_api import Browser, expect

from residence.accounts.services import user_create
from residence.audit.models import Event
from residence.core.errors import NotFound, PermissionDenied, ValidationError
from residence.people.identity import resident_username, reveal_id_number
from residence.people.models import Person, ReadHold
from residence.people.selectors import person_own, person_reads_for_resident, person_view
from residence.people.services import person_unmask, read_hold_place
from residence.workbench.tests.test_browser import ARTIFACTS, PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def town(city) -> dict:
    person = (Person.objects.filter(registrations__ended_on__isnull=True,
                                    registrations__area_path__startswith="/440300/440308/").order_by("pk").first())
    assert person is not None
    mk = {name: user_create(actor=None, username=name, password=PASSWORD, role=role, jurisdiction_code=area,
                            display_name=display, check_password=False)
          for name, role, area, display in [("clerk", "clerk", "440308", "张三"),
                                            ("cop", "enforcement", "440308", "李警官"),
                                            ("clerk_lh", "clerk", "440303", "王五")]}
    resident = user_create(actor=None, username=resident_username(person.pk), password=PASSWORD, role="resident",
                           person_id=person.pk, check_password=False)
    return {"person": person, "resident": resident, **mk}


@pytest.mark.django_db
def test_the_resident_sees_the_office_when_and_why_but_not_the_staff_member(town) -> None:
    person_view(user=town["clerk"], person_id=town["person"].pk, purpose="record.opened")
    person_unmask(actor=town["clerk"], person_id=town["person"].pk, purpose="核对身份")
    person_own(user=town["resident"])  # their own opening is not listed
    reads = person_reads_for_resident(user=town["resident"], person=town["person"])
    assert [(r.office, r.what, r.purpose) for r in reads] == [
        ("盐田区 · 受理员", "完整身份证号和手机号", "核对身份"),
        ("盐田区 · 受理员", "您的信息", "在工作台查阅"),
    ]
    assert all("张三" not in f"{r.office}{r.purpose}" for r in reads)
    # nobody else is shown someone's read log
    assert person_reads_for_resident(user=town["clerk"], person=town["person"]) == []


@pytest.mark.django_db
def test_a_hold_keeps_the_reads_back_until_it_ends_and_is_itself_audited(town) -> None:
    person_view(user=town["clerk"], person_id=town["person"].pk, purpose="record.opened")  # before the hold
    hold = read_hold_place(actor=town["cop"], person_id=town["person"].pk, reason="涉嫌案件 440308199001010013",
                           until=timezone.now() + dt.timedelta(days=30))
    person_view(user=town["cop"], person_id=town["person"].pk, purpose="record.opened")  # during the hold
    reads = person_reads_for_resident(user=town["resident"], person=town["person"])
    assert [r.office for r in reads] == ["盐田区 · 受理员"]  # the investigator's read is held back
    event = Event.objects.get(action="person.read_hold.placed")
    assert event.actor_id == town["cop"].pk
    assert "440308199001010013" not in str(event.data)  # numbers in the reason are redacted
    ReadHold.objects.filter(pk=hold.pk).update(until=timezone.now() - dt.timedelta(seconds=1))  # it has ended
    reads = person_reads_for_resident(user=town["resident"], person=town["person"])
    assert [r.office for r in reads] == ["盐田区 · 执法员", "盐田区 · 受理员"]


@pytest.mark.django_db
def test_a_hold_needs_the_capability_the_scope_a_reason_and_a_sensible_end(town) -> None:
    later = timezone.now() + dt.timedelta(days=7)
    with pytest.raises(PermissionDenied):
        read_hold_place(actor=town["clerk"], person_id=town["person"].pk, reason="x", until=later)
    luohu_cop = user_create(actor=None, username="cop_lh", password=PASSWORD, role="enforcement",
                            jurisdiction_code="440303", check_password=False)
    with pytest.raises(NotFound):
        read_hold_place(actor=luohu_cop, person_id=town["person"].pk, reason="x", until=later)
    with pytest.raises(ValidationError, match="原因"):
        read_hold_place(actor=town["cop"], person_id=town["person"].pk, reason="  ", until=later)
    for until in (timezone.now() - dt.timedelta(days=1), timezone.now() + dt.timedelta(days=400)):
        with pytest.raises(ValidationError):
            read_hold_place(actor=town["cop"], person_id=town["person"].pk, reason="案件", until=until)
    assert not ReadHold.objects.exists()
    with pytest.raises(CommandError, match="您无权设置调查保留"):
        call_command("readhold", str(town["person"].pk), "--by", "clerk", "--reason", "x", "--until", "2027-01-01")
    call_command("readhold", str(town["person"].pk), "--by", "cop", "--reason", "案件", "--until",
                 (timezone.localdate() + dt.timedelta(days=10)).isoformat())
    assert ReadHold.objects.count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resident_sees_on_a_phone_who_read_their_record(live_server, browser: Browser, town) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    person_view(user=town["clerk"], person_id=town["person"].pk, purpose="record.opened")
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(f"{live_server.url}/me/login/")
    page.fill("#id_username", reveal_id_number(town["person"].id_number_enc))
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("#reads")).to_have_text("谁查看了我的信息")
    row = page.locator("table.list tbody tr").last
    expect(row).to_contain_text("盐田区 · 受理员")
    expect(row).to_contain_text("在工作台查阅")
    assert "张三" not in page.content()
    page.locator("#reads").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "resident-reads-phone.png"), full_page=True)
    page.close()
