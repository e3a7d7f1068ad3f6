"""The bench's timeline figure times the real selector on a stays table topped up by raw COPY (speed itself is
measured by `residence bench`, not here)."""

from __future__ import annotations

import pytest

from residence.bench import timeline
from residence.demo.services import demo_city_generate, demo_users_create
from residence.stays.models import Stay

pytestmark = pytest.mark.django_db


def test_the_stays_table_is_topped_up_in_pairs_and_timelines_are_timed() -> None:
    demo_city_generate(persons=60, seed=8)
    demo_users_create()
    said: list[str] = []
    assert timeline.stays_fill(400, progress=said.append) == 400
    assert len(said) == 1
    assert said[0].startswith("  stays: 400 rows (")
    assert Stay.objects.filter(event="check_in").count() == Stay.objects.filter(event="check_out").count() == 200
    check_in = Stay.objects.filter(event="check_in").first()
    check_out = Stay.objects.get(stay_id=check_in.stay_id, event="check_out")
    assert (check_out.person_id, check_out.arrived_at, check_out.area_path) == (
        check_in.person_id, check_in.arrived_at, check_in.area_path)  # as the API writes them: scope reads on it
    assert check_out.departed_at > check_in.arrived_at
    assert timeline.stays_fill(300) == 400  # already there: nothing added
    clerk, persons = timeline.timeline_persons(5)
    assert clerk.username == "clerk"
    assert len(persons) == len(set(persons)) == 5
    lat = timeline.timeline_latencies(clerk, persons)
    assert len(lat) == 5
    assert all(s > 0 for s in lat)
    page = timeline.timeline_page_latencies(clerk, persons)  # each page 200 with its timeline, or it raises
    assert len(page) == 5
    assert all(s > 0 for s in page)
