"""A hotel stay puts its guest in the scope of the hotel's area while it is open and for STAY_SCOPE_DAYS after,
and never in another area's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from residence.accounts.services import user_create
from residence.core.errors import NotFound
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
