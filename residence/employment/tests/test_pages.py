"""The employer's page and upload, the evidence section of the staff person page: over HTTP, and a journey in
Chromium on a phone-sized screen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from residence.audit.models import Event
from residence.core.idnumber import check_character
from residence.employment.models import Employment, Evidence
from residence.people.models import Person
from residence.places.models import Obligor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client: Client, settings) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _id(first: str) -> str:
    return first + check_character(first)


ID1, ID2 = _id("44030819900101001"), _id("44030819910202002")


@pytest.fixture
def boss(city, make_user):
    user = make_user("boss", "employer", "")
    obligor = Obligor.objects.filter(kind="employer").order_by("pk").first()
    obligor.account = user
    obligor.save()
    return user


def test_employer_reports_a_hire_and_a_separation(client: Client, boss) -> None:
    client.force_login(boss)
    today = timezone.localdate()
    page = client.get("/employment/mine/")
    assert page.status_code == 200
    assert "0 workers employed now" in page.content.decode()
    bad = client.post("/employment/mine/", {"id_number": ID1, "name": "王小明",
                                           "hired_on": (today + dt.timedelta(days=1)).isoformat()})
    assert bad.status_code == 400
    assert not Employment.objects.exists()
    done = client.post("/employment/mine/", {"id_number": ID1, "name": "王小明", "phone": "13800001111",
                                            "hired_on": (today - dt.timedelta(days=5)).isoformat()}, follow=True)
    text = done.content.decode()
    assert "王小明" in text
    assert ID1 not in text
    assert Person.objects.get(name="王小明").id_number_masked in text
    job = Employment.objects.get()
    assert job.hire_late is True
    assert client.post(f"/employment/mine/{job.pk}/separation/", {"separated_on": today.isoformat()}).status_code \
        == 302
    job.refresh_from_db()
    assert (job.separated_on, job.separation_late) == (today, False)
    assert client.post(f"/employment/mine/{job.pk + 99}/separation/",
                       {"separated_on": today.isoformat()}).status_code == 404


def test_upload_previews_then_writes(client: Client, boss) -> None:
    client.force_login(boss)
    today = timezone.localdate()
    template = client.get("/employment/mine/upload/?template=xlsx")
    assert template["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    day = (today - dt.timedelta(days=1)).isoformat()
    late = (today - dt.timedelta(days=10)).isoformat()
    csv = (f"变动类型,身份证号,姓名,日期\n招用,{ID1},王小明,{day}\n招用,{ID2},李四,{late}\n"
           f"离职,{_id('44030819920303003')},,{day}\n").encode()
    persons = Person.objects.count()
    page = client.post("/employment/mine/upload/", {"file": SimpleUploadedFile("h.csv", csv)}).content.decode()
    assert "Nobody with this ID number is employed by you now." in page
    token = page.split('name="token" value="')[1][:32]
    refused = client.post("/employment/mine/upload/", {"token": token, "mode": "all"}, follow=True)
    assert "1 rows have errors; nothing was imported." in refused.content.decode()
    assert not Employment.objects.exists()
    page = client.post("/employment/mine/upload/", {"file": SimpleUploadedFile("h.csv", csv)}).content.decode()
    token = page.split('name="token" value="')[1][:32]
    client.post("/employment/mine/upload/", {"token": token, "mode": "valid_rows"})
    assert sorted(Employment.objects.values_list("hire_late", flat=True)) == [False, True]
    assert Person.objects.count() == persons + 2
    event = Event.objects.get(action="employment.reports.uploaded")
    assert event.data == {"mode": "valid_rows", "rows": 2, "hires": 2, "separations": 0, "persons_created": 2,
                          "late": 1, "rows_with_errors": 1}
    # the separation of one of them, uploaded
    csv = f"变动类型,身份证号,姓名,日期\n离职,{ID1},,{today.isoformat()}\n".encode()
    page = client.post("/employment/mine/upload/", {"file": SimpleUploadedFile("s.csv", csv)}).content.decode()
    token = page.split('name="token" value="')[1][:32]
    client.post("/employment/mine/upload/", {"token": token, "mode": "all"})
    assert Employment.objects.filter(separated_on=today, separation_late=False).count() == 1


def test_evidence_section_and_form(client: Client, city, login) -> None:
    login("clerk")
    person = Person.objects.filter(registrations__ended_on__isnull=True,
                                   registrations__area_path__contains="/440308/").order_by("pk").first()
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert 'id="evidence"' in page
    assert "No evidence is on record for this person." in page
    bad = client.post(f"/employment/evidence/{person.pk}/", {
        "kind": "lease", "started_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
        "document": "租赁合同"})
    assert bad.status_code == 400
    assert "The evidence starts in the future" in bad.content.decode()
    ok = client.post(f"/employment/evidence/{person.pk}/", {
        "kind": "lease", "started_on": "2025-01-01", "document": "租赁合同 ZL-1", "safety_compliant": "on"})
    assert ok.status_code == 302
    assert ok["Location"] == f"/people/{person.pk}/#evidence"
    evidence = Evidence.objects.get()
    assert "租赁合同 ZL-1" in client.get(f"/people/{person.pk}/").content.decode()
    client.post(f"/employment/evidence/{evidence.pk}/withdraw/", {"reason": "录错了", "person": person.pk})
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is not None
    # a reviewer sees the person, not the section; a clerk of Luohu gets "not found"
    login("reviewer")
    assert 'id="evidence"' not in client.get(f"/people/{person.pk}/").content.decode()
    login("clerk", "440303")
    assert client.post(f"/employment/evidence/{person.pk}/", {
        "kind": "lease", "started_on": "2025-01-01", "document": "x"}).status_code == 404
    assert Evidence.objects.count() == 1
