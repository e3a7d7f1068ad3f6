"""Declaration compliance: exact figures on a hand-built set, the officer's scope, the daily reminder, the demo's
figures, and the officer's pages in real Chromium."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, expect

from residence.audit.models import Event
from residence.conftest import PASSWORD
from residence.core.bulk import bulk_insert
from residence.core.errors import NotFound
from residence.people.models import Person
from residence.places.models import Jurisdiction, Obligor, Reminder, Unit
from residence.registrations.compliance import obligor_compliance, obligor_compliance_for_officer, obligors_behind
from residence.registrations.models import Registration
from residence.registrations.reminders import departure_reminders_send
from residence.stays.models import Stay
from residence.stays.partitions import stay_partitions_ensure, stay_row_ids
from residence.workbench.tests.test_browser import ARTIFACTS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
H = dt.timedelta(hours=1)


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@pytest.fixture
def premises(city) -> dict:
    """A landlord with one rental flat in Yantian and a hotel with one room there, on fresh units."""
    yt = Jurisdiction.objects.get(code="440308")
    landlord = Obligor.objects.create(name="守时房东", kind="landlord", jurisdiction=yt, phone="13712345678")
    hotel = Obligor.objects.create(name="测试酒店", kind="hotel", jurisdiction=yt)
    flat, room = Unit.objects.filter(building__grid__path__contains="/440308/", obligor__isnull=True).order_by("pk")[:2]
    Unit.objects.filter(pk=flat.pk).update(obligor=landlord, is_rental=True)
    Unit.objects.filter(pk=room.pk).update(obligor=hotel, kind="hotel")
    return {"landlord": landlord, "hotel": hotel, "flat": Unit.objects.get(pk=flat.pk),
            "room": Unit.objects.get(pk=room.pk), "persons": list(Person.objects.order_by("pk")[:20])}


def _registration(p: dict, i: int, *, started: dt.date, by: str = "obligor", late_hours: int | None = None,
                  status: str = "confirmed", **extra: object) -> Registration:
    due = _start(started + dt.timedelta(days=4))  # rentals: 3 days (YT), to the end of the third day after
    declared = due + late_hours * H if late_hours is not None else _start(started) + 5 * H
    r = Registration(person=p["persons"][i], unit=p["flat"], started_on=started, declared_by=by, channel="web",
                     declared_at=declared, due_at=due, late=late_hours is not None, status=status, **extra)
    r.save()
    return r


@pytest.fixture
def history(premises) -> dict:
    p, today = premises, timezone.localdate()
    d = dt.timedelta
    _registration(p, 0, started=today - d(days=10))  # on time
    _registration(p, 1, started=today - d(days=20), late_hours=5)  # late by 5 hours
    _registration(p, 2, started=today - d(days=30), late_hours=30)  # late by 30 hours
    _registration(p, 3, started=today - d(days=5), by="resident", status="pending")  # never by the obligor
    _registration(p, 4, started=today - d(days=7), by="grid_worker")  # found at the door
    _registration(p, 5, started=today - d(days=8), late_hours=99, status="cancelled")  # withdrawn: ignored
    _registration(p, 6, started=today - d(days=200), expected_ended_on=today - d(days=10))  # overdue now
    _registration(p, 7, started=today - d(days=200), expected_ended_on=today - d(days=2))  # not yet overdue
    _registration(p, 8, started=today - d(days=300), ended_on=today - d(days=15),  # departure declared late
                  departure_declared_at=_start(today - d(days=9)), departure_late=True,
                  departure_declared_by="obligor")
    _registration(p, 9, started=today - d(days=100), late_hours=50)  # before the period
    Registration(person=p["persons"][10], unit=p["flat"], started_on=today - d(days=3)).save()  # imported: no record
    # the hotel: stay 1 in and out on time; stay 2 in 2 hours late, its check-out never declared; stay 3 open,
    # on time in, expected out 5 hours ago (overdue)
    now = timezone.now()
    stay_partitions_ensure(timezone.localdate() - d(days=40), timezone.localdate())
    ids = stay_row_ids(5)
    room, hotel = p["room"], p["hotel"]

    def row(i: int, stay: int, event: str, person: int, arrived: dt.datetime, declared: dt.datetime,
            due: dt.datetime, late: bool, departed: dt.datetime | None = None) -> tuple:
        return (ids[i], ids[stay], event, hotel.pk, room.pk, p["persons"][person].pk, arrived, arrived + 20 * H,
                departed, declared, None, "api", due, late, None, "", room.building.grid.path)

    a1, a2, a3 = now - d(days=9), now - d(days=6), now - 25 * H
    rows = [row(0, 0, "check_in", 11, a1, a1 + 10 * d(minutes=1), a1 + H, False),
            row(1, 0, "check_out", 11, a1, a1 + 21 * H, a1 + 21 * H, False, a1 + 20 * H + d(minutes=30)),
            row(2, 2, "check_in", 12, a2, a2 + 3 * H, a2 + H, True),
            row(3, 2, "departure_missing", 12, a2, a2 + 48 * H, a2 + 48 * H, True),
            row(4, 4, "check_in", 13, a3, a3 + d(minutes=5), a3 + H, False)]
    bulk_insert(Stay, ["id", "stay_id", "event", "obligor_id", "unit_id", "person_id", "arrived_at",
                       "expected_departure", "departed_at", "declared_at", "declared_by_id", "channel", "due_at",
                       "late", "overlaps", "idempotency_key", "area_path"], rows)
    return p


@pytest.mark.django_db
def test_the_figures_are_exact_on_a_hand_built_set(history) -> None:
    t = obligor_compliance(obligor=history["landlord"])
    # arrivals 0-4 and departure 8 due; 0 on time; 1, 2, 8 late; 3 and 4 never by the obligor; 6 overdue
    assert (t.due, t.on_time, t.late, t.never, t.overdue) == (6, 1, 3, 2, 1)
    assert t.rate_percent == 16  # 1 / 6
    # arrivals 5 and 30 hours late; departure 8 declared 48 hours and a minute after its deadline (23:59 of the
    # third day after it): 49 hours, rounded up
    assert (t.median_late_hours, t.max_late_hours) == (30, 49)
    h = obligor_compliance(obligor=history["hotel"])
    assert (h.due, h.on_time, h.late, h.never, h.overdue) == (5, 3, 1, 1, 1)
    assert (h.rate_percent, h.max_late_hours, h.median_late_hours) == (60, 2, 2)


@pytest.mark.django_db
def test_the_officer_sees_the_obligors_of_their_area_worst_first_and_nothing_outside(history, make_user) -> None:
    officer = make_user("enf_yt", "enforcement", "440308")
    rows = obligors_behind(user=officer)
    rates = [r.tally.rate if r.tally.rate is not None else 2 for r in rows]
    assert rates == sorted(rates)
    mine = {r.obligor.pk: r.tally for r in rows}
    assert (mine[history["landlord"].pk].due, mine[history["landlord"].pk].overdue) == (6, 1)
    assert mine[history["hotel"].pk].never == 1
    found = obligor_compliance_for_officer(user=officer, obligor_id=history["landlord"].pk)
    kinds = sorted(m.what for m in found.missed)
    assert kinds == ["arrival", "arrival", "arrival", "arrival", "departure", "overdue"]
    [left] = [m for m in found.missed if m.what == "departure"]  # registration 8: left 15 days ago, declared at 9
    assert (left.due_text, left.late_hours) == (f"{timezone.localdate() - dt.timedelta(days=12)} 23:59", 49)
    assert all(m.person.id_number_masked.endswith("************") for m in found.missed)
    assert Event.objects.get(action="obligor.compliance.viewed", actor_id=officer.pk).data["declarations"] == 6
    other = make_user("enf_lh", "enforcement", "440303")
    assert history["landlord"].pk not in {r.obligor.pk for r in obligors_behind(user=other)}
    with pytest.raises(NotFound):
        obligor_compliance_for_officer(user=other, obligor_id=history["landlord"].pk)
    with pytest.raises(NotFound):  # a clerk holds no such capability
        obligors_behind(user=make_user("clerk_yt", "clerk", "440308"))


@pytest.mark.django_db
def test_pages_answer_in_scope_and_404_outside(history, client: Client, make_user) -> None:
    pk = history["landlord"].pk
    client.force_login(make_user("enf_lh", "enforcement", "440303"))
    assert client.get(f"/compliance/{pk}/").status_code == 404
    assert "守时房东" not in client.get("/compliance/").content.decode()
    client.force_login(make_user("enf_yt", "enforcement", "440308"))
    page = client.get(f"/compliance/{pk}/").content.decode()
    assert "守时房东" in page
    assert "*******5678" in page
    assert "13712345678" not in page
    client.force_login(make_user("clerk_yt", "clerk", "440308"))
    assert client.get("/compliance/").status_code == 404


@pytest.mark.django_db
def test_the_daily_reminder_is_sent_once_a_day(history, sms_outbox) -> None:
    landlord = history["landlord"]
    first = departure_reminders_send()
    assert first >= 2  # the landlord and the hotel, and the city's own overdue obligors
    assert Reminder.objects.get(obligor=landlord).count == 1
    assert Reminder.objects.get(obligor=history["hotel"]).texted is False  # no phone on record
    texts = [text for phone, text in sms_outbox if phone == "13712345678"]
    assert texts == ["居住登记提醒:您的房屋有1人逾期未申报离开,请及时申报。"]
    assert departure_reminders_send() == 0  # the same day again: nothing new
    assert len([1 for phone, _ in sms_outbox if phone == "13712345678"]) == 1
    runs = Event.objects.filter(action="registration.reminders.sent").order_by("pk")
    assert [e.data["reminded"] for e in runs] == [first, 0]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert departure_reminders_send(today=tomorrow) == first


@pytest.mark.django_db
def test_the_demo_city_declares_mostly_on_time_with_a_few_late(city) -> None:
    by_obligor = Registration.objects.filter(declared_by="obligor")
    share = by_obligor.filter(late=True).count() / by_obligor.count()
    assert 0.05 <= share <= 0.2
    who = dict(Registration.objects.values_list("declared_by").annotate(n=Count("id")))
    assert who["obligor"] > who["resident"] > 0
    assert who["staff"] > 0
    assert who["grid_worker"] > 0
    assert Registration.objects.filter(declared_at__lt=timezone.now(), declared_at__isnull=False).count() == \
        Registration.objects.count()
    assert Registration.objects.current().filter(expected_ended_on__lt=timezone.localdate()).exists()


@pytest.mark.django_db
def test_the_demo_writes_a_year_of_stays(db) -> None:
    from residence.demo.services import demo_city_generate

    demo_city_generate(persons=400, seed=3, stays=True)
    events = dict(Stay.objects.values_list("event").annotate(n=Count("id")))
    assert events["check_in"] == 400
    assert events["check_out"] > events["departure_missing"] > 0
    late = Stay.objects.filter(late=True, event="check_in").count() / events["check_in"]
    assert 0.03 <= late <= 0.25
    first = Stay.objects.order_by("arrived_at").first()
    assert first is not None
    assert first.arrived_at > timezone.now() - dt.timedelta(days=366)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_officer_opens_the_worst_obligor_and_sees_its_late_declarations_masked(live_server, browser: Browser,
                                                                                   history, make_user) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    officer = make_user("enforcer", "enforcement", "440308")
    worst = obligors_behind(user=officer)[0]
    for name, width, height in [("phone", 390, 844), ("desktop", 1280, 900)]:
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "enforcer")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        expect(page.locator("h1")).to_have_text("工作台")
        page.click("text=未按规定申报的义务人")
        expect(page.locator("#behind tbody tr").first).to_contain_text(worst.obligor.name)
        page.screenshot(path=str(ARTIFACTS / f"compliance-list-{name}.png"), full_page=True)
        page.locator("#behind tbody tr").first.locator("a").click()
        expect(page.locator("h1")).to_have_text(worst.obligor.name)
        expect(page.locator("#missed")).to_contain_text("************")
        page.screenshot(path=str(ARTIFACTS / f"compliance-obligor-{name}.png"), full_page=True)
        page.close()
    from residence.places.services import obligor_account_bind

    make_user("ll_own", "landlord", "")
    obligor_account_bind(actor=None, obligor_id=history["landlord"].pk, username="ll_own")
    for name, width, height in [("phone", 390, 844), ("desktop", 1280, 900)]:
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "ll_own")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.goto(f"{live_server.url}/registrations/mine/")
        expect(page.locator("#compliance")).to_contain_text("16%")
        page.screenshot(path=str(ARTIFACTS / f"compliance-own-{name}.png"), full_page=True)
        page.close()
    ident = Person.objects.get(pk=history["persons"][1].pk)
    assert Event.objects.filter(action="obligor.compliance.viewed", actor_id=officer.pk).count() == 2
    assert ident.name  # the masked rows carry names, never full numbers (checked on the page above)


@pytest.mark.django_db
def test_the_obligor_sees_its_own_figures_and_declares_an_overdue_departure(history, client: Client,
                                                                            make_user) -> None:
    from residence.places.services import obligor_account_bind

    landlord = history["landlord"]
    make_user("ll_own", "landlord", "")
    obligor_account_bind(actor=None, obligor_id=landlord.pk, username="ll_own")
    departure_reminders_send()
    client.force_login(landlord.__class__.objects.get(pk=landlord.pk).account)
    page = client.get("/registrations/mine/").content.decode()
    assert ">16%<" in page
    assert 'id="reminder"' in page
    overdue = Registration.objects.get(person=history["persons"][6], unit=history["flat"])
    assert f"/registrations/mine/{overdue.pk}/departure/" in page
    gone = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    assert client.post(f"/registrations/mine/{overdue.pk}/departure/", {"ended_on": gone}).status_code == 302
    assert obligor_compliance(obligor=landlord).overdue == 0
    # the morning's reminder said "declare it below": with nothing left below, the page no longer says so
    assert 'id="reminder"' not in client.get("/registrations/mine/").content.decode()
    make_user("hotel_own", "hotel", "")
    obligor_account_bind(actor=None, obligor_id=history["hotel"].pk, username="hotel_own")
    client.force_login(history["hotel"].__class__.objects.get(pk=history["hotel"].pk).account)
    desk = client.get("/stays/").content.decode()
    assert ">60%<" in desk
    assert "逾期未申报退房" in desk
    assert 'id="reminder"' in desk  # its overdue check-outs are listed below the reminder
