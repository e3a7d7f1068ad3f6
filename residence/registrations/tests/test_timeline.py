"""A person's residence timeline across units and years, its continuity under the locality's rules, the registration
certificate as a PDF with its font embedded; scope for staff, obligors and the resident; the prints audited."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import zlib

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, expect

from residence.accounts.models import User
from residence.accounts.services import user_create
from residence.audit.models import Event
from residence.core.errors import NotFound
from residence.core.idnumber import check_character
from residence.people.identity import resident_username
from residence.places.models import Jurisdiction, Obligor, Unit
from residence.places.services import obligor_account_bind
from residence.registrations.certificate import certificate_number
from residence.registrations.models import Registration
from residence.registrations.selectors import registration_certificate, residence_timeline
from residence.registrations.services import registration_declare_arrival
from residence.stays.models import Stay
from residence.stays.services import stays_check_in
from residence.workbench.tests.test_browser import ARTIFACTS, PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def ident(n: int) -> str:
    first = f"44030819900101{n:03d}"
    return first + check_character(first)


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def world(city) -> dict:
    """Two landlords (Yantian, Luohu) with a rental unit each, a hotel in Yantian, clerks of Yantian, Luohu and
    Futian, and two tenants of the Yantian landlord: 周一 (90 days, after a Luohu registration that ended 200 days
    ago, and a hotel stay in Yantian that began three hours ago) and 吴二 (two years)."""
    out: dict = {}
    for name, district, kind in [("yt", "440308", "landlord"), ("lh", "440303", "landlord"),
                                 ("hotel", "440308", "hotel")]:
        obligor = Obligor.objects.create(name=f"业主{name}", kind=kind)
        account = user_create(actor=None, username=f"ob_{name}", password=PASSWORD, role=kind, check_password=False)
        obligor_account_bind(actor=None, obligor_id=obligor.pk, username=f"ob_{name}")
        unit = (Unit.objects.filter(building__grid__path__contains=f"/{district}/", obligor__isnull=True)
                .select_related("building").order_by("pk").first())
        Unit.objects.filter(pk=unit.pk).update(obligor=obligor, is_rental=kind == "landlord")
        out[name] = {"obligor": Obligor.objects.get(pk=obligor.pk), "account": User.objects.get(pk=account.pk),
                     "unit": unit}
    Jurisdiction.objects.create(code="440304", name="福田区", level="district", path="/440300/440304/",
                                parent=Jurisdiction.objects.get(code="440300"))
    for district in ["440308", "440303", "440304"]:
        out[district] = user_create(actor=None, username=f"clerk_{district}", password=PASSWORD, role="clerk",
                                    jurisdiction_code=district, check_password=False)
    yt = out["yt"]
    out["new"] = registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"].code,
                                              id_number=ident(1), name="周一", started_on=days_ago(90))
    out["old"] = registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"].code,
                                              id_number=ident(2), name="吴二", started_on=days_ago(730))
    person = out["new"].person
    out["luohu"] = Registration(person=person, unit=out["lh"]["unit"], started_on=days_ago(500),
                                ended_on=days_ago(200))
    out["luohu"].save()
    arrived = timezone.localtime() - dt.timedelta(hours=3)  # yesterday's date between midnight and 3 a.m.
    answer = stays_check_in(actor=out["hotel"]["account"], obligor=out["hotel"]["obligor"], items=[
        {"idempotency_key": "t1", "id_number": ident(1), "name": "周一", "unit_code": out["hotel"]["unit"].code,
         "arrived_at": arrived.isoformat()}])
    assert answer[0]["status"] == "accepted"
    out["stay_day"] = arrived.date()
    out["person"] = person
    return out


def test_the_timeline_gathers_registrations_and_stays_and_explains_the_break(world) -> None:
    today, person = timezone.localdate(), world["person"]
    t = residence_timeline(user=world["440308"], person_id=person.pk)
    assert [(r.kind, r.start, r.end, r.outside) for r in t.rows] == [
        ("stay", world["stay_day"], None, False),
        ("registration", days_ago(90), None, False),
        ("registration", days_ago(500), days_ago(200), True),
    ]
    stay, current, luohu = t.rows
    assert (current.address, current.late, current.declared_by, current.counts, current.registration_id) == (
        str(world["yt"]["unit"]), True, "申报义务人", True, world["new"].pk)
    assert (stay.address, stay.counts, stay.registration_id) == (str(world["hotel"]["unit"]), False, None)
    assert (luohu.address, luohu.late, luohu.declared_by) == ("", None, "")  # outside: dates only
    assert (t.days, t.run_start, t.register_only, t.register_only_below_days) == (90, days_ago(90), True, 180)
    assert t.sentence == f"自{days_ago(90)}起在盐田区连续居住登记 90 天（截至{today}）。"
    assert t.breaks == [f"{days_ago(199)}至{days_ago(91)}无登记（109 天），连续居住中断。"]
    assert t.notes == []
    # the picture: the Luohu registration grey, the Yantian one blue, the stay a tick, today's line at the end
    assert [b.lane for b in t.picture.bars] == ["outside", "registration", "stay"]
    assert t.picture.years[-1][1] == today.year


def test_a_break_names_no_area_outside_the_viewers_and_the_resident_sees_all_their_own(world) -> None:
    person = world["person"]
    luohu = residence_timeline(user=world["440303"], person_id=person.pk)  # ended 200 days ago: still in scope
    assert [(r.kind, r.outside, r.address) for r in luohu.rows] == [
        ("stay", True, ""), ("registration", True, ""), ("registration", False, str(world["lh"]["unit"]))]
    assert luohu.sentence.startswith(f"自{days_ago(90)}起在辖区外连续居住登记 90 天")
    assert "盐田" not in luohu.sentence + "".join(luohu.breaks)
    own = user_create(actor=None, username=resident_username(person.pk), password=PASSWORD, role="resident",
                      person_id=person.pk, check_password=False)
    mine = residence_timeline(user=own, person_id=person.pk)
    assert [r.outside for r in mine.rows] == [False, False, False]
    assert mine.rows[2].address == str(world["lh"]["unit"])
    with pytest.raises(NotFound):
        residence_timeline(user=own, person_id=world["old"].person_id)


def test_a_clerk_of_another_district_finds_neither_the_person_nor_the_certificate(world, client: Client) -> None:
    futian, person = world["440304"], world["person"]
    with pytest.raises(NotFound):
        residence_timeline(user=futian, person_id=person.pk)
    with pytest.raises(NotFound):
        registration_certificate(user=futian, registration_id=world["new"].pk)
    client.force_login(futian)
    assert client.get(f"/people/{person.pk}/").status_code == 404
    assert client.get(f"/registrations/{world['new'].pk}/certificate/").status_code == 404
    # Luohu sees the person (a registration there ended 200 days ago) but not the Yantian registration's certificate
    client.force_login(world["440303"])
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert str(world["lh"]["unit"]) in page
    assert str(world["yt"]["unit"]) not in page
    assert str(world["hotel"]["unit"]) not in page
    # two rows, the sentence, the picture's grey bar and its legend; no address, no area name of Yantian
    assert page.count("辖区外") == 5
    assert "/certificate/" not in page
    assert client.get(f"/registrations/{world['new'].pk}/certificate/").status_code == 404
    assert not Event.objects.filter(action="registration.certificate.printed").exists()


def test_the_staff_page_and_the_residents_page_show_the_timeline(world, client: Client) -> None:
    person = world["person"]
    client.force_login(world["440308"])
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "居住时间线" in page
    assert f"自{days_ago(90)}起在盐田区连续居住登记 90 天" in page
    assert "仅登记，暂不发证" in page
    assert "<svg" in page
    assert 'class="outside"' in page
    assert f"/registrations/{world['new'].pk}/certificate/" in page
    own = user_create(actor=None, username=resident_username(person.pk), password=PASSWORD, role="resident",
                      person_id=person.pk, check_password=False)
    client.force_login(own)
    mine = client.get("/me/").content.decode()
    assert str(world["lh"]["unit"]) in mine
    assert "辖区外" not in mine
    assert f"/registrations/{world['new'].pk}/certificate/" in mine


def test_the_timeline_takes_the_same_few_queries_whatever_the_number_of_stays(world,
                                                                             django_assert_num_queries) -> None:
    clerk, person = User.objects.get(pk=world["440308"].pk), world["person"]
    # the clerk's area, the person in scope, registrations, stays with the units of those inside the area
    with django_assert_num_queries(4):
        residence_timeline(user=clerk, person_id=person.pk)
    hotel = world["hotel"]
    for n in range(2, 12):
        stays_check_in(actor=hotel["account"], obligor=hotel["obligor"], items=[
            {"idempotency_key": f"t{n}", "id_number": ident(1), "name": "周一", "unit_code": hotel["unit"].code,
             "arrived_at": (timezone.localtime() - dt.timedelta(days=n)).isoformat()}])
    assert Stay.objects.filter(person=person, event="check_in").count() == 11
    clerk = User.objects.get(pk=clerk.pk)
    with django_assert_num_queries(4):
        t = residence_timeline(user=clerk, person_id=person.pk)
    assert [r.start for r in t.rows if r.kind == "stay"] == [world["stay_day"], *(days_ago(n) for n in range(2, 12))]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_the_timelines_statements_are_planned_once_per_connection_not_on_every_timeline(world) -> None:
    """Planning a person's stays over every monthly partition took PostgreSQL longer than reading them (at 10 million
    stays: 3.9 ms a timeline's stay statement unprepared, 1.7 ms prepared): the person in scope, the registrations
    and the stays are prepared statements, kept by the connection."""
    clerk, person = User.objects.get(pk=world["440308"].pk), world["person"]
    for _n in range(3):
        residence_timeline(user=clerk, person_id=person.pk)
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cur.fetchall()]
    # each statement by a phrase of its own: the person in scope, the registrations, the latest stays
    for phrase in ("AS registered_here FROM people_person p", "FROM registrations_registration r JOIN",
                   "ORDER BY arrived_at DESC, id DESC LIMIT"):
        assert sum(phrase in s for s in statements) == 1, (phrase, statements)


# ---- the certificate -----------------------------------------------------------------------------------------------
def _stream(body: bytes) -> tuple[bytes, bytes]:
    head, _, rest = body.partition(b"stream")
    data = rest.lstrip(b"\r\n").rsplit(b"endstream", 1)[0].rstrip(b"\r\n")
    if b"/ASCII85Decode" in head:
        data = base64.a85decode(data.strip().removesuffix(b"~>"))
    if b"/FlateDecode" in head:
        data = zlib.decompress(data)
    return head, data


def _strings(content: bytes) -> list[tuple[bytes, bytes]]:
    """(font resource name, string) of every string shown in a content stream."""
    out, font, i = [], b"", 0
    while i < len(content):
        if content[i:i + 1] == b"/":
            m = re.match(rb"/(\S+)\s+[\d.]+\s+Tf", content[i:])
            if m:
                font = m.group(1)
                i += m.end()
                continue
        if content[i:i + 1] == b"(":
            depth, s, i = 1, bytearray(), i + 1
            while depth and i < len(content):
                c = content[i:i + 1]
                if c == b"\\":
                    nxt = content[i + 1:i + 2]
                    octal = re.match(rb"[0-7]{1,3}", content[i + 1:i + 4])
                    if octal:
                        s.append(int(octal.group(), 8))
                        i += 1 + len(octal.group())
                        continue
                    s += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(nxt, nxt)
                    i += 2
                    continue
                depth += c == b"("
                depth -= c == b")"
                if depth:
                    s += c
                i += 1
            out.append((font, bytes(s)))
            continue
        i += 1
    return out


def pdf_text(data: bytes) -> tuple[str, list[bytes]]:
    """The text a PDF shows (decoded through each font's ToUnicode map), and the bodies of its font objects."""
    objects = {int(n): body for n, body in re.findall(rb"(\d+) 0 obj\s*(.*?)endobj", data, re.S)}
    resources = dict(re.findall(rb"/(F[\w+]+) (\d+) 0 R", data))
    maps: dict[bytes, dict[int, str]] = {}
    for name, num in resources.items():
        unicode_ref = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(num)])
        if unicode_ref:
            _, cmap = _stream(objects[int(unicode_ref.group(1))])
            maps[name] = {int(a, 16): chr(int(b, 16)) for a, b in re.findall(rb"<([0-9A-F]{2})> <([0-9A-F]{4})>", cmap)}
    text = []
    for body in objects.values():
        head = body.partition(b"stream")[0]
        if b"stream" in body and b"/Length1" not in head and b"/Subtype" not in head and b"CMap" not in body:
            _, content = _stream(body)
            for font, s in _strings(content):
                text.append("".join(maps[font].get(b, "") for b in s) if font in maps else s.decode("latin-1"))
    return "\n".join(text), [b for b in objects.values() if b"/Type /Font" in b or b"/FontFile2" in b]


def test_the_certificate_is_a_pdf_with_the_font_embedded_and_register_only_under_half_a_year(world) -> None:
    from residence.registrations.certificate import certificate_pdf

    yt = world["yt"]["account"]
    new = registration_certificate(user=yt, registration_id=world["new"].pk)
    number = certificate_number(area_code="440308", started_on=days_ago(90), registration_id=world["new"].pk)
    assert new.number == number == f"440308{days_ago(90).year}{world['new'].pk:010d}"
    assert (new.name, new.id_number_masked, new.registered_since, new.register_only, new.continuous_days) == (
        "周一", world["person"].id_number_masked, days_ago(90), True, 90)
    assert (new.declared_by, new.issued_by, new.address) == ("申报义务人", "盐田区", str(world["yt"]["unit"]))
    data = certificate_pdf(new)
    assert data.startswith(b"%PDF-")
    text, fonts = pdf_text(data)
    assert any(b"/FontFile2" in body for body in fonts)  # the TrueType program itself is in the file
    assert any(re.search(rb"/BaseFont /[A-Z]{6}\+WenQuanYiMicroHei", body) for body in fonts)
    assert "居住登记凭证" in text
    assert number in text
    assert "周一" in text
    assert world["person"].id_number_masked in text
    assert ident(1) not in text
    assert ident(1).encode() not in data
    assert "仅登记，暂不发证" in text
    assert "连续居住登记 90 天，不满办理居住证所需的 180 天。" in text

    old = registration_certificate(user=yt, registration_id=world["old"].pk)
    assert (old.register_only, old.continuous_days) == (False, 730)
    old_text, _ = pdf_text(certificate_pdf(old))
    assert old.number in old_text
    assert "吴二" in old_text
    assert "仅登记" not in old_text
    assert "已连续居住登记 730 天。" in old_text


def test_who_may_download_a_certificate_and_every_print_is_audited(world, client: Client) -> None:
    url = f"/registrations/{world['new'].pk}/certificate/"
    client.force_login(world["lh"]["account"])  # the landlord of another premises
    assert client.get(url).status_code == 404
    client.force_login(world["hotel"]["account"])  # the hotel where the person stays: not its resident
    assert client.get(url).status_code == 404
    assert not Event.objects.filter(action="registration.certificate.printed").exists()
    for who in [world["yt"]["account"], world["440308"]]:
        client.force_login(who)
        r = client.get(url)
        assert r.status_code == 200
        assert r["Content-Type"] == "application/pdf"
        assert r["Content-Disposition"] == f'attachment; filename="certificate-{_number(world)}.pdf"'
        event = Event.objects.filter(action="registration.certificate.printed", actor_id=who.pk).get()
        assert (event.subject_type, event.subject_id, event.data) == (
            "person", str(world["person"].pk), {"registration": world["new"].pk, "certificate": _number(world)})
    # an ended registration has no certificate; the obligor's page links its current residents' certificates
    assert client.get(f"/registrations/{world['luohu'].pk}/certificate/").status_code == 404
    assert client.get("/registrations/0/certificate/").status_code == 404
    client.force_login(world["yt"]["account"])
    page = client.get("/registrations/mine/").content.decode()
    assert url in page
    assert f"/registrations/{world['old'].pk}/certificate/" in page
    # the resident, their own only
    own = user_create(actor=None, username=resident_username(world["person"].pk), password=PASSWORD,
                      role="resident", person_id=world["person"].pk, check_password=False)
    client.force_login(own)
    assert client.get(url).status_code == 200
    assert client.get(f"/registrations/{world['old'].pk}/certificate/").status_code == 404


def _number(world: dict) -> str:
    return certificate_number(area_code="440308", started_on=days_ago(90), registration_id=world["new"].pk)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resident_on_a_phone_sees_the_timeline_and_downloads_the_certificate(live_server, browser: Browser,
                                                                               world) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    person = world["person"]
    user_create(actor=None, username=resident_username(person.pk), password=PASSWORD, role="resident",
                person_id=person.pk, check_password=False)
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN", accept_downloads=True)
    page.goto(f"{live_server.url}/me/login/")
    page.fill("#id_username", ident(1))
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("我的信息")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text(f"自{days_ago(90)}起在盐田区连续居住登记 90 天")
    expect(timeline).to_contain_text("仅登记，暂不发证")
    expect(timeline).to_contain_text("无登记（109 天）")
    svg = timeline.locator("svg.years")
    box = svg.bounding_box()
    assert box is not None
    assert 300 <= box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
    timeline.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "resident-timeline-phone.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#timeline a:has-text('登记凭证')")
    download = info.value
    assert download.suggested_filename == f"certificate-{_number(world)}.pdf"
    with open(download.path(), "rb") as f:
        text, _ = pdf_text(f.read())
    assert _number(world) in text
    assert "仅登记，暂不发证" in text
    page.close()


pytestmark = pytest.mark.django_db
