"""The registration pages over HTTP with their CSRF tokens: a grid worker at the door, a clerk at the counter from
the person page, a landlord correcting and withdrawing, a resident declaring themselves and the landlord confirming.
Each attack from outside the premises or the area is answered "not found" and changes nothing."""

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
from residence.people.identity import resident_username
from residence.people.models import Person
from residence.places.models import Unit
from residence.registrations.models import DoorCheck, Registration, RegistrationRevision
from residence.registrations.services import registration_declare_arrival
from residence.registrations.tests.conftest import ident
from residence.workbench.tests.test_browser import ARTIFACTS, PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
TODAY = timezone.localdate


def _client(user: User) -> Client:
    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    return c


def _token(c: Client, url: str) -> str:
    assert c.get(url).status_code == 200
    return c.cookies["csrftoken"].value


def _staff(username: str, role: str, code: str) -> User:
    return user_create(actor=None, username=username, password=PASSWORD, role=role, jurisdiction_code=code,
                       check_password=False)


@pytest.fixture
def tenant(landlords) -> Registration:
    yt = landlords["yt"]
    return registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"],
                                        id_number=ident(31), name="陈七", started_on=TODAY() - dt.timedelta(days=30))


@pytest.mark.django_db
def test_a_grid_worker_records_at_the_door_and_another_districts_cannot(tenant) -> None:
    grid = _client(_staff("door_yt", "grid_worker", "440308"))
    page = grid.get(f"/places/unit/{tenant.unit_id}/").content.decode()
    assert f'action="/registrations/{tenant.pk}/door/"' in page
    assert "已搬离" in page
    token = grid.cookies["csrftoken"].value
    outsider = _client(_staff("door_lh", "grid_worker", "440303"))
    _token(outsider, "/places/")
    r = outsider.post(f"/registrations/{tenant.pk}/door/", {"outcome": "moved_out", "ended_on": TODAY().isoformat(),
                                                           "csrfmiddlewaretoken": outsider.cookies["csrftoken"].value})
    assert r.status_code == 404
    assert (Registration.objects.get(pk=tenant.pk).ended_on, DoorCheck.objects.count()) == (None, 0)
    assert grid.post(f"/registrations/{tenant.pk}/door/", {"outcome": "moved_out"}).status_code == 403  # no token
    r = grid.post(f"/registrations/{tenant.pk}/door/", {"outcome": "moved_out", "ended_on": TODAY().isoformat(),
                                                       "csrfmiddlewaretoken": token})
    assert (r.status_code, r["Location"]) == (302, f"/places/unit/{tenant.unit_id}/")
    ended = Registration.objects.get(pk=tenant.pk)
    assert (ended.ended_on, ended.departure_declared_by) == (TODAY(), "grid_worker")
    assert "陈七" not in grid.get(f"/places/unit/{tenant.unit_id}/").content.decode()


@pytest.mark.django_db
def test_a_grid_worker_registers_somebody_new_at_the_door_with_errors_named(tenant) -> None:
    grid = _client(_staff("door_yt2", "grid_worker", "440308"))
    token = _token(grid, f"/places/unit/{tenant.unit_id}/")
    bad = ident(32)[:-1] + ("0" if ident(32)[-1] != "0" else "1")
    r = grid.post(f"/places/unit/{tenant.unit_id}/", {"id_number": bad, "name": "林八", "started_on": TODAY(),
                                                      "csrfmiddlewaretoken": token})
    assert r.status_code == 400
    assert "校验" in r.content.decode()
    assert not Person.objects.filter(name="林八").exists()
    r = grid.post(f"/places/unit/{tenant.unit_id}/", {"id_number": ident(32), "name": "林八",
                                                      "started_on": TODAY(), "education": "60", "reason": "work",
                                                      "csrfmiddlewaretoken": token})
    assert r.status_code == 302
    reg = Registration.objects.get(person__name="林八")
    assert (reg.channel, reg.declared_by, reg.reason, reg.person.education) == ("phone", "grid_worker", "work", "60")


@pytest.mark.django_db
def test_a_clerk_registers_a_person_from_their_page_inside_the_area_only(tenant) -> None:
    clerk = _client(_staff("ctr_yt", "clerk", "440308"))
    page = clerk.get(f"/people/{tenant.person_id}/").content.decode()
    assert f'action="/registrations/person/{tenant.person_id}/arrival/"' in page
    token = clerk.cookies["csrftoken"].value
    inside = Unit.objects.filter(building__grid__path__contains="/440308/").exclude(pk=tenant.unit_id).first()
    outside = Unit.objects.filter(building__grid__path__contains="/440303/").first()
    r = clerk.post(f"/registrations/person/{tenant.person_id}/arrival/",
                   {"unit_code": outside.code, "started_on": TODAY().isoformat(), "csrfmiddlewaretoken": token},
                   follow=True)
    assert "您辖区内没有此房屋" in r.content.decode()
    assert Registration.objects.filter(person_id=tenant.person_id).count() == 1
    r = clerk.post(f"/registrations/person/{tenant.person_id}/arrival/",
                   {"unit_code": inside.code, "started_on": TODAY().isoformat(), "reason": "study",
                    "csrfmiddlewaretoken": token})
    assert r.status_code == 302
    new = Registration.objects.get(person_id=tenant.person_id, unit=inside)
    assert (new.channel, new.declared_by, new.reason) == ("counter", "staff", "study")
    luohu = _client(_staff("ctr_lh", "clerk", "440303"))
    token = _token(luohu, "/places/")
    r = luohu.post(f"/registrations/person/{tenant.person_id}/arrival/",
                   {"unit_code": outside.code, "started_on": TODAY().isoformat(), "csrfmiddlewaretoken": token})
    assert r.status_code == 404  # a person outside their area is not found
    assert Registration.objects.filter(person_id=tenant.person_id).count() == 2


@pytest.mark.django_db
def test_a_landlord_corrects_and_withdraws_with_the_history_shown(landlords, tenant) -> None:
    landlord = Client(enforce_csrf_checks=True)
    landlord.force_login(User.objects.get(pk=landlords["yt"]["account"].pk))
    token = _token(landlord, f"/registrations/{tenant.pk}/")
    earlier = (TODAY() - dt.timedelta(days=45)).isoformat()
    r = landlord.post(f"/registrations/{tenant.pk}/correct/", {"started_on": earlier, "note": "合同日期为准",
                                                              "csrfmiddlewaretoken": token}, follow=True)
    shown = r.content.decode()
    assert "合同日期为准" in shown
    assert earlier in shown
    assert "已更正" in shown
    assert Registration.objects.get(pk=tenant.pk).late is True  # now declared 45 days after the arrival
    r = landlord.post(f"/registrations/{tenant.pk}/cancel/", {"reason": "duplicate", "csrfmiddlewaretoken": token},
                      follow=True)
    assert "已撤销" in r.content.decode()
    assert Registration.objects.get(pk=tenant.pk).status == "cancelled"
    other = Client(enforce_csrf_checks=True)
    other.force_login(User.objects.get(pk=landlords["lh"]["account"].pk))
    assert other.get(f"/registrations/{tenant.pk}/").status_code == 404
    token = _token(other, "/registrations/mine/")
    r = other.post(f"/registrations/{tenant.pk}/correct/", {"started_on": TODAY().isoformat(), "note": "x",
                                                           "csrfmiddlewaretoken": token})
    assert r.status_code == 404
    assert RegistrationRevision.objects.filter(registration=tenant).count() == 2


@pytest.mark.django_db
def test_a_resident_declares_themselves_and_the_landlord_confirms(landlords, tenant) -> None:
    yt = landlords["yt"]
    user = user_create(actor=None, username=resident_username(tenant.person_id), password=PASSWORD,
                       role="resident", person_id=tenant.person_id, check_password=False)
    me = Client(enforce_csrf_checks=True)
    me.force_login(user)
    assert "/registrations/declare/" in me.get("/me/").content.decode()
    token = _token(me, "/registrations/declare/")
    r = me.post("/registrations/declare/", {"unit_code": "NOPE", "started_on": TODAY().isoformat(),
                                            "csrfmiddlewaretoken": token})
    assert r.status_code == 400
    assert "门牌" in r.content.decode()
    second = Unit.objects.filter(building__grid__path__contains="/440308/", obligor__isnull=True).first()
    Unit.objects.filter(pk=second.pk).update(obligor=yt["obligor"])
    r = me.post("/registrations/declare/", {"unit_code": second.code, "started_on": TODAY().isoformat(),
                                            "reason": "work", "csrfmiddlewaretoken": token})
    assert (r.status_code, r["Location"]) == (302, "/me/")
    own = Registration.objects.get(person_id=tenant.person_id, unit=second)
    assert (own.status, own.declared_by) == ("pending", "resident")
    assert "待确认" in me.get("/me/").content.decode()
    queue_clerk = _staff("queue_yt", "clerk", "440308")
    queue = _client(queue_clerk).get("/registrations/pending/").content.decode()
    assert f"/registrations/{own.pk}/" in queue
    assert Event.objects.get(action="registration.pending.listed", actor_id=queue_clerk.pk).data == {
        "results": 1}
    assert ident(31) not in queue
    elsewhere = _client(_staff("queue_lh", "clerk", "440303")).get("/registrations/pending/").content.decode()
    assert f"/registrations/{own.pk}/" not in elsewhere
    landlord = Client(enforce_csrf_checks=True)
    landlord.force_login(User.objects.get(pk=yt["account"].pk))
    page = landlord.get("/registrations/mine/").content.decode()
    assert 'id="pending"' in page
    assert f"/registrations/{own.pk}/confirm/" in page
    r = landlord.post(f"/registrations/{own.pk}/confirm/", {"csrfmiddlewaretoken": landlord.cookies["csrftoken"].value})
    assert r.status_code == 302
    assert Registration.objects.get(pk=own.pk).status == "confirmed"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_grid_worker_records_moved_out_at_the_door_on_a_phone(live_server, browser: Browser, tenant) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    _staff("door_phone", "grid_worker", "440308")
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "door_phone")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/places/unit/{tenant.unit_id}/")
    row = page.locator(f"#resident-{tenant.pk}")
    expect(row).to_contain_text("陈七")
    page.screenshot(path=str(ARTIFACTS / "grid-worker-door-phone.png"), full_page=True)
    row.get_by_role("button", name="已搬离").click()
    expect(page.locator(".msg.success")).to_contain_text("已搬离")
    expect(page.locator("#residents")).to_have_count(0)  # nobody registered here now
    page.fill("#new_id_number", ident(33)[:-1] + ("0" if ident(33)[-1] != "0" else "1"))
    expect(page.locator(".idcheck")).to_contain_text("最后一位")  # checked as one types
    page.fill("#new_id_number", ident(33))
    expect(page.locator(".idcheck")).to_contain_text("号码格式正确")
    page.screenshot(path=str(ARTIFACTS / "grid-worker-door-after.png"), full_page=True)
    page.close()
    ended = Registration.objects.get(pk=tenant.pk)
    assert (ended.ended_on, ended.departure_declared_by, ended.departure_channel) == (TODAY(), "grid_worker",
                                                                                      "phone")
