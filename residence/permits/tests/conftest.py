"""The permits tests' people: a resident of Yantian registered for two years with a labour contract on record, their
own account, a clerk bound to a police station, a reviewer and a grid worker of Yantian."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from residence.accounts.models import User
from residence.accounts.services import user_create
from residence.employment.models import Evidence
from residence.people.models import Person
from residence.places.models import AcceptancePoint
from residence.registrations.models import Registration

PASSWORD = "Test-pass#2026"


def settled(person: Person, *, years: int = 2) -> None:
    """Give `person` one registration in Yantian running for `years` years (their others ended long ago), and a
    labour contract on record."""
    today = timezone.localdate()
    reg = Registration.objects.filter(person=person, area_path__contains="/440308/").order_by("pk").first()
    assert reg is not None
    Registration.objects.filter(person=person).exclude(pk=reg.pk).update(
        started_on=dt.date(2000, 1, 1), ended_on=dt.date(2000, 12, 31))
    Registration.objects.filter(pk=reg.pk).update(started_on=today - dt.timedelta(days=365 * years), ended_on=None,
                                                  status="confirmed")
    Evidence.objects.create(person=person, kind="labour_contract", started_on=today - dt.timedelta(days=300),
                            ended_on=today + dt.timedelta(days=400), document="劳动合同 HT-1",
                            entered_at=timezone.now())


@pytest.fixture
def people(city, make_user) -> dict:
    """Persons registered now in Yantian (the first ones by id), a resident account for the first, staff."""
    persons = list(Person.objects.filter(registrations__ended_on__isnull=True,
                                         registrations__area_path__contains="/440308/")
                   .exclude(birth_date__gt=dt.date(2000, 1, 1)).distinct().order_by("pk")[:3])
    for p in persons:
        settled(p)
    police = AcceptancePoint.objects.filter(kind="police_station", jurisdiction__code__startswith="440308") \
        .order_by("code").first()
    station = AcceptancePoint.objects.filter(kind="community_station", jurisdiction__code__startswith="440308") \
        .order_by("code").first()
    resident = user_create(actor=None, username=f"resident-{persons[0].pk}", password=PASSWORD, role="resident",
                           person_id=persons[0].pk, check_password=False)
    clerk = make_user("clerk_ps", "clerk")
    User.objects.filter(pk=clerk.pk).update(acceptance_point_code=police.code)
    clerk.refresh_from_db()
    return {"persons": persons, "resident": resident, "clerk": clerk, "reviewer": make_user("rev", "reviewer"),
            "grid": make_user("grid", "grid_worker"), "police": police, "station": station,
            "luohu_reviewer": make_user("rev_lh", "reviewer", "440303")}
