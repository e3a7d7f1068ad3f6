"""The bench's upload figure is a real job: an XLSX of new arrivals by the demo landlord, run by the command the bench
starts in a subprocess, every row stored (its speed and memory are measured by `residence bench`, not here)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from residence.bench import uploads
from residence.core.idnumber import parse_id_number
from residence.core.models import ImportJob
from residence.core.tests.test_storage import private_storages
from residence.demo.services import demo_users_create
from residence.people.models import Person
from residence.registrations.models import Registration

pytestmark = pytest.mark.django_db


def test_the_upload_job_stores_every_row_and_reports_its_peak_memory(city, settings, tmp_path) -> None:
    private_storages(settings, tmp_path)
    demo_users_create()
    ids = uploads.arrival_ids(0, 200)
    assert len(set(ids)) == 200
    assert all(str(parse_id_number(i)) == i for i in ids)
    persons = Person.objects.count()
    job_id, size = uploads.upload_job_prepare(200)
    assert size > 0
    out = io.StringIO()
    call_command("bench_upload_job", str(job_id), stdout=out)
    result = json.loads(out.getvalue())
    assert (result["status"], result["error"]) == ("done", "")
    assert result["seconds"] > 0
    assert result["vmhwm_mb"] > 0
    assert ImportJob.objects.get(pk=job_id).result["counts"] == {
        "arrivals": 200, "departures": 0, "persons_created": 200, "persons_updated": 0}
    assert Registration.objects.filter(channel="upload").count() == 200
    assert Person.objects.count() == persons + 200
    # a second run declares other persons: nothing collides with the first
    again, _size = uploads.upload_job_prepare(200)
    call_command("bench_upload_job", str(again), stdout=io.StringIO())
    assert Registration.objects.filter(channel="upload").count() == 400
