"""The bench's project figures run against the demo city (their speed is measured by `residence bench`, not here)."""

from __future__ import annotations

import pytest
from django.db import connection

from residence.audit.models import Event
from residence.bench import measure
from residence.demo.services import demo_users_create

pytestmark = pytest.mark.django_db


def test_look_ups_and_name_searches_are_real_scoped_searches(city) -> None:
    demo_users_create()
    lookups = measure.lookup_latencies(20)
    names = measure.name_search_latencies(20)
    assert 0 < len(lookups) <= 20
    assert 10 < len(names) <= 20  # random record numbers, some drawn twice
    assert all(t > 0 for t in lookups + names)
    # each was a search through the scoped selector, logged like a clerk's
    by = [e.data["by"] for e in Event.objects.filter(action="person.searched")]
    assert by.count("id_number") >= len(lookups)
    assert by.count("name") + by.count("pinyin") == 2 * len(names)  # warm-up and timed: surnames, pinyin, initials
    assert by.count("pinyin") >= len(names) // 2
    point = measure.raw_point_select_latencies(20) if connection.vendor == "postgresql" else [1.0]
    assert all(t > 0 for t in point)
    street = measure.street_user()
    assert (street.jurisdiction_code, measure.street_user().pk) == ("440308002", street.pk)
    revealed = Event.objects.get(action="person.identity.unmasked", subject_type="bench")
    assert revealed.data["persons"] == len(lookups)  # the full numbers the bench read are on the record
    assert measure.percentile([1.0, 2.0, 3.0, 4.0], 50) in (2.0, 2.5, 3.0)
