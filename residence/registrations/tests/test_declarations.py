"""Obligors declare arrivals and departures at their units: deadlines from the rules, masked lists, nothing across
premises; and the tenant sees the registration on their phone."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, expect

from residence.accounts.models import User
from residence.accounts.services import user_create
from residence.audit.models import Event
from residence.core.errors import NotFound, ValidationError
from residence.people.identity import resident_username
from residence.people.models import Person
from residence.registrations.models import Registration
from residence.registrations.services import registration_declare_arrival, registration_declare_departure
from residence.registrations.tests.conftest import ident
from residence.workbench.tests.test_browser import ARTIFACTS, PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.django_db
def test_an_arrival_is_registered_with_its_deadline_and_a_departure_closes_it(landlords) -> None:
    yt = landlords["yt"]
    today = timezone.localdate()
    on_time = registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"],
                                           id_number=ident(1), name="周九", started_on=today - dt.timedelta(days=2))
    assert (on_time.late, on_time.declared_by, on_time.channel) == (False, "obligor", "web")
    assert on_time.area_path.startswith("/440300/440308/")
    late = registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"],
                                        id_number=ident(2), name="吴十", started_on=today - dt.timedelta(days=10))
    assert late.late is True  # rentals: tenant changes within 3 days (YT)
    assert timezone.localtime(late.due_at).date() == today - dt.timedelta(days=7)
    event = Event.objects.get(action="registration.arrival.declared", data__registration=late.pk)
    assert event.data["late"] is True
    assert ident(2) not in str(event.data)
    with pytest.raises(ValidationError, match="已在此房屋登记"):
        registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"],
                                     id_number=ident(1), name="周九", started_on=today)
    gone = registration_declare_departure(actor=yt["account"], obligor=yt["obligor"], registration_id=on_time.pk,
                                          ended_on=today)
    assert (gone.ended_on, gone.departure_late) == (today, False)
    with pytest.raises(NotFound):  # already left
        registration_declare_departure(actor=yt["account"], obligor=yt["obligor"], registration_id=on_time.pk,
                                       ended_on=today)


@pytest.mark.django_db
def test_bad_input_and_other_premises_are_refused_and_nothing_is_written(landlords) -> None:
    yt, lh = landlords["yt"], landlords["lh"]
    before = (Person.objects.count(), Registration.objects.count())
    today = timezone.localdate()
    bad_id = ident(3)[:-1] + ("0" if ident(3)[-1] != "0" else "1")
    for kwargs, message in [
        ({"unit_code": lh["unit"], "id_number": ident(3), "name": "郑一"}, "没有此编码"),  # another landlord's unit
        ({"unit_code": yt["unit"], "id_number": bad_id, "name": "郑一"}, "校验"),
        ({"unit_code": yt["unit"], "id_number": ident(3), "name": "<script>"}, "姓名"),
    ]:
        with pytest.raises(ValidationError, match=message):
            registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], started_on=today, **kwargs)
    with pytest.raises(ValidationError, match="晚于今天"):
        registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"],
                                     id_number=ident(3), name="郑一", started_on=today + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="早于本人出生日期"):  # a year mistyped: before the ID number's birth
        registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"],
                                     id_number=ident(3), name="郑一", started_on=dt.date(1900, 1, 1))
    assert (Person.objects.count(), Registration.objects.count()) == before
    theirs = registration_declare_arrival(actor=lh["account"], obligor=lh["obligor"], unit_code=lh["unit"],
                                          id_number=ident(4), name="王二", started_on=today)
    with pytest.raises(NotFound):
        registration_declare_departure(actor=yt["account"], obligor=yt["obligor"], registration_id=theirs.pk,
                                       ended_on=today)
    assert Registration.objects.get(pk=theirs.pk).ended_on is None


@pytest.mark.django_db
def test_the_residents_page_declares_over_http_with_its_csrf_token(landlords) -> None:
    yt = landlords["yt"]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.get(pk=yt["account"].pk))
    page = browser.get("/registrations/mine/")
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    r = browser.post("/registrations/mine/", {"unit": yt["unit"], "id_number": ident(5), "name": "钱二",
                                               "started_on": timezone.localdate().isoformat(),
                                               "csrfmiddlewaretoken": token})
    assert r.status_code == 302
    listed = browser.get("/registrations/mine/").content.decode()
    assert "钱二" in listed
    assert ident(5)[:6] + "************" in listed
    assert ident(5) not in listed
    assert browser.post("/registrations/mine/", {"unit": yt["unit"]}).status_code == 403  # no CSRF token


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_landlord_declares_an_arrival_and_the_tenant_sees_it_on_their_phone(live_server, browser: Browser,
                                                                             landlords) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    yt = landlords["yt"]
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ll_yt")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.click("nav >> text=住户")
    page.fill("#id_id_number", ident(6))
    page.fill("#id_name", "冯三")
    page.click("#arrival button[type=submit]")
    expect(page.locator(".msg.success")).to_contain_text("已登记来人")
    expect(page.locator("table.list tbody tr")).to_contain_text("冯三")
    page.screenshot(path=str(ARTIFACTS / "landlord-residents-phone.png"), full_page=True)
    page.close()
    person = Person.objects.get(name="冯三")
    assert Registration.objects.get(person=person).unit.code == yt["unit"]  # at the landlord's own unit
    user_create(actor=None, username=resident_username(person.pk), password=PASSWORD, role="resident",
                person_id=person.pk, check_password=False)
    tenant = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    tenant.goto(f"{live_server.url}/me/login/")
    tenant.fill("#id_username", ident(6))
    tenant.fill("#id_password", PASSWORD)
    tenant.click("main button[type=submit]")
    expect(tenant.locator("h1")).to_have_text("我的信息")
    expect(tenant.locator("main")).to_contain_text("至今")  # the registration, current
    tenant.close()
