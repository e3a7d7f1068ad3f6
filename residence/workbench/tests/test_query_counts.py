"""List pages make a fixed number of queries however many rows they show (no query per row)."""

from __future__ import annotations

import pytest
from django.db.models import Count
from django.test import Client

from residence.audit.services import event_record
from residence.places.models import Building, Jurisdiction, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(city, make_user, client: Client):
    user = make_user("qc-clerk", "clerk", "440308")
    client.force_login(user)
    return user


def test_name_search_is_constant(client: Client, clerk, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(12):
        response = client.post("/people/", {"q": "z"})
    assert response.status_code == 200
    assert response.content.decode().count('href="/people/') >= 10  # many rows, same queries


def test_area_and_building_pages_are_constant(client: Client, clerk, django_assert_max_num_queries) -> None:
    grid = Jurisdiction.objects.filter(level="grid", path__contains="/440308/").order_by("code").first()
    assert grid is not None
    with django_assert_max_num_queries(12):
        assert client.get(f"/places/area/{grid.code}/").status_code == 200
    building = (Building.objects.filter(grid__path__contains="/440308/").annotate(n=Count("units"))
                .order_by("-n", "pk").first())
    assert building is not None
    assert building.n >= 15  # type: ignore[attr-defined]  # many rows, still the same few queries
    with django_assert_max_num_queries(12):
        assert client.get(f"/places/building/{building.address_code}/").status_code == 200


def test_audit_trail_is_constant(client: Client, make_user, django_assert_max_num_queries) -> None:
    client.force_login(make_user("qc-manager", "manager", "440300"))
    for i in range(60):
        event_record(actor=None, action="person.searched", data={"i": i})
    with django_assert_max_num_queries(10):
        response = client.get("/audit/")
    assert response.content.decode().count("person.searched") == 50


def test_premises_page_is_constant(client: Client, city, make_user, django_assert_max_num_queries) -> None:
    unit = Unit.objects.filter(obligor__isnull=False, obligor__kind="landlord").order_by("pk").first()
    assert unit is not None
    user = make_user("qc-landlord", "landlord", "")
    unit.obligor.account = user  # type: ignore[union-attr]
    unit.obligor.save()  # type: ignore[union-attr]
    client.force_login(user)
    with django_assert_max_num_queries(10):
        response = client.get("/places/mine/")
    assert response.status_code == 200
