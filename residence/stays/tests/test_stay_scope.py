"""A hotel stay puts its guest in the scope of the hotel's area while it is open and for STAY_SCOPE_DAYS after,
and never in another area's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from residence.accounts.services import user_create
from residence.core.errors import NotFound
from residence.people.identity import id_index
from residence.people.models import Person
from residence.people.selectors import person_get_for_user, person_scope, person_search
from residence.places.models import Obligor, Unit
from residence.places.services import obligor_account_bind
from residence.stays.models import Stay, StayEvent
from residence.stays.services import stays_check_in, stays_check_out
from residence.stays.tests.test_stays_api import PASSWORD, ident

pytestmark = pytest.mark.django_db


@pytest.fixture
def hotel(city) -> dict:
    hotel = Obligor.objects.create(name="海景酒店", kind="hotel")
    account = user_create(actor=None, username="pms", password=PASSWORD, role="hotel", check_password=False)
    obligor_account_bind(actor=None, obligor_id=hotel.pk, username="pms")
    room = Unit.objects.filter(building__grid__path__contains="/440308/").order_by("pk").first()
    Unit.objects.filter(pk=room.pk).update(obligor=hotel)
    return {"obligor": Obligor.objects.get(pk=hotel.pk), "account": account, "room": room.code,
            "yantian": user_create(actor=None, username="c_yt", password=PASSWORD, role="clerk",
                                   jurisdiction_code="440308", check_password=False),
            "luohu": user_create(actor=None, username="c_lh", password=PASSWORD, role="clerk",
                                 jurisdiction_code="440303", check_password=False)}


def check_in(h: dict, n: int) -> int:
    arrived = (timezone.localtime() - dt.timedelta(hours=2)).isoformat()
    res = stays_check_in(actor=h["account"], obligor=h["obligor"], items=[
        {"idempotency_key": f"k{n}", "id_number": ident(n), "name": "孙八", "unit_code": h["room"],
         "arrived_at": arrived}])
    assert res[0]["status"] == "accepted"
    return int(res[0]["stay_id"])


def test_an_open_stay_puts_the_guest_in_the_hotels_area_only(hotel) -> None:
    check_in(hotel, 301)
    guest = Person.objects.get(id_number_index__isnull=False, name="孙八")
    assert person_get_for_user(user=hotel["yantian"], person_id=guest.pk) == guest
    assert person_scope(user=hotel["yantian"]).filter(pk=guest.pk).exists()
    assert [p.pk for p in person_search(user=hotel["yantian"], query=ident(301))] == [guest.pk]
    with pytest.raises(NotFound):
        person_get_for_user(user=hotel["luohu"], person_id=guest.pk)
    assert not person_scope(user=hotel["luohu"]).filter(pk=guest.pk).exists()


def test_after_check_out_the_guest_stays_in_scope_for_the_set_days_then_leaves_it(hotel, settings) -> None:
    stay = check_in(hotel, 302)
    done = stays_check_out(actor=hotel["account"], obligor=hotel["obligor"], items=[
        {"idempotency_key": "o302", "stay_id": stay, "departed_at": timezone.localtime().isoformat()}])
    assert done[0]["status"] == "accepted"
    guest = Person.objects.get(name="孙八")
    assert person_scope(user=hotel["yantian"]).filter(pk=guest.pk).exists()  # checked out today: still in scope
    # the check-out, as if it had been 31 days ago (rows are never changed in the service; here only in the test)
    Stay.objects.filter(stay_id=stay, event=StayEvent.CHECK_OUT).update(
        departed_at=timezone.now() - dt.timedelta(days=31), declared_at=timezone.now() - dt.timedelta(days=31))
    assert settings.STAY_SCOPE_DAYS == 30
    assert not person_scope(user=hotel["yantian"]).filter(pk=guest.pk).exists()
    with pytest.raises(NotFound):
        person_get_for_user(user=hotel["yantian"], person_id=guest.pk)
    settings.STAY_SCOPE_DAYS = 60
    assert person_get_for_user(user=hotel["yantian"], person_id=guest.pk) == guest


def _closed_days_ago(stay: int, days: int) -> None:
    """The stay's later row as if declared `days` ago (rows are never changed in the service; here only in tests)."""
    at = timezone.now() - dt.timedelta(days=days)
    Stay.objects.filter(stay_id=stay).exclude(event=StayEvent.CHECK_IN).update(departed_at=at, declared_at=at)


def test_the_look_up_by_record_number_agrees_with_the_scope_query_on_every_kind_of_stay(hotel) -> None:
    """`person_get_for_user` reads a guest's own stay rows grouped by stay (the later rows repeat the check-in's
    person and area); `person_scope` probes each check-in's later rows by stay number. Both must say the same."""
    h = hotel
    cases = {}
    old_open = check_in(h, 311)  # open for 400 days: still a guest
    Stay.objects.filter(stay_id=old_open).update(arrived_at=timezone.now() - dt.timedelta(days=400))
    cases[311] = True
    for n, days, expected in [(312, 31, False), (313, 10, True)]:
        stay = check_in(h, n)
        assert stays_check_out(actor=h["account"], obligor=h["obligor"], items=[
            {"idempotency_key": f"o{n}", "stay_id": stay, "departed_at": timezone.localtime().isoformat()}
        ])[0]["status"] == "accepted"
        _closed_days_ago(stay, days)
        cases[n] = expected
    first = check_in(h, 314)  # checked in again without a check-out: the first stay closed by the system today
    check_in_again = stays_check_in(actor=h["account"], obligor=h["obligor"], items=[
        {"idempotency_key": "k314b", "id_number": ident(314), "name": "孙八", "unit_code": h["room"],
         "arrived_at": (timezone.localtime() - dt.timedelta(hours=1)).isoformat()}])
    assert check_in_again[0]["flags"][0]["stay_id"] == first
    assert Stay.objects.filter(stay_id=first, event=StayEvent.DEPARTURE_MISSING).exists()
    cases[314] = True
    gone = Stay.objects.get(pk=check_in(h, 315))  # checked out today, declaring a departure 90 days back
    Stay.objects.create(stay_id=gone.pk, event=StayEvent.CHECK_OUT, obligor=h["obligor"], unit_id=gone.unit_id,
                        person_id=gone.person_id, arrived_at=gone.arrived_at, declared_at=timezone.now(),
                        due_at=timezone.now(), departed_at=timezone.now() - dt.timedelta(days=90), channel="api",
                        area_path=gone.area_path)
    cases[315] = False
    # every later row repeats its check-in's person and area: the rule the look-up stands on
    for later in Stay.objects.exclude(event=StayEvent.CHECK_IN):
        check = Stay.objects.get(pk=later.stay_id)
        assert (later.person_id, later.area_path, later.arrived_at) == (check.person_id, check.area_path,
                                                                         check.arrived_at)
    for n, expected in cases.items():
        guest = Person.objects.get(id_number_index=id_index(ident(n)))
        assert person_scope(user=h["yantian"]).filter(pk=guest.pk).exists() is expected, n
        try:
            person_get_for_user(user=h["yantian"], person_id=guest.pk)
            found = True
        except NotFound:
            found = False
        assert found is expected, n
        assert [p.pk for p in person_search(user=h["yantian"], query=ident(n))] == ([guest.pk] if expected else [])
        with pytest.raises(NotFound):
            person_get_for_user(user=h["luohu"], person_id=guest.pk)
