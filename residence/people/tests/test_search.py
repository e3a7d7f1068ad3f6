"""Person search: keyset pages with a capped count, invalid ID numbers with the reason, pinyin of every reading, the
area path stamped on every write path, and the unit page's scope."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client

from residence.accounts.models import User
from residence.audit.models import Event
from residence.core.errors import ValidationError
from residence.core.idnumber import check_character
from residence.people import selectors
from residence.people.identity import name_forms
from residence.people.models import Person, PersonSearchKey
from residence.people.selectors import person_search, person_search_page
from residence.people.services import person_create, person_search_keys_stamp
from residence.places.models import Building, Jurisdiction, Unit
from residence.registrations.models import Registration
from residence.registrations.services import registration_area_path, registrations_restamp_grid

pytestmark = pytest.mark.django_db

GIVEN = ("一二三四五六七八九十百千万亿甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
         "春夏秋冬东南西北金木水火土山川河海江湖天地人和风云雷电")


def grid_unit(district: str, n: int = 1) -> Unit:
    """A unit in a grid of its own under the district (city 440300), made without the demo city."""
    city, _ = Jurisdiction.objects.get_or_create(code="440300", defaults={
        "name": "深圳市", "level": "city", "path": "/440300/"})
    d, _ = Jurisdiction.objects.get_or_create(code=district, defaults={
        "name": district, "level": "district", "parent": city, "path": f"/440300/{district}/"})
    code = f"{district}001001{n:03d}"
    grid, _ = Jurisdiction.objects.get_or_create(code=code, defaults={
        "name": code, "level": "grid", "parent": d, "path": f"{d.path}{code}/", "official": False})
    building = Building.objects.create(address_code=f"{code}000001", road="海景路", door_plate=f"{n}号", grid=grid)
    return Unit.objects.create(code=f"{code}0000010001", building=building, label="101")


def new_id(seq: int) -> str:
    first = f"43010219900101{seq:03d}"
    return first + check_character(first)


def resident(seq: int, name: str, unit: Unit, ended_on: dt.date | None = None) -> Person:
    person = person_create(actor=None, id_number=new_id(seq), name=name)
    Registration.objects.create(person=person, unit=unit, started_on=dt.date(2025, 1, 1), ended_on=ended_on)
    return person


@pytest.fixture
def yantian(make_user) -> tuple[Unit, User]:
    unit = grid_unit("440308")
    return unit, make_user("yt-clerk", "clerk", "440308")


# -- pages and count --------------------------------------------------------------------------------------------

@pytest.fixture
def ouyangs(yantian) -> list[Person]:
    """120 persons named 欧阳 + one character, two of each name (namesakes), in one Yantian unit."""
    unit, _clerk = yantian
    return [resident(i, "欧阳" + GIVEN[i // 2], unit) for i in range(120)]


def test_search_pages_by_keyset_without_overlap_and_counts_exactly(yantian, ouyangs) -> None:
    _unit, clerk = yantian
    first = person_search_page(user=clerk, query="欧阳")
    assert (first.count, first.more, len(first.persons)) == (120, False, 50)
    second = person_search_page(user=clerk, query="欧阳", after=first.next_after)
    third = person_search_page(user=clerk, query="欧阳", after=second.next_after)
    assert (len(second.persons), len(third.persons), third.next_after) == (50, 20, None)
    assert second.count == third.count == 120
    shown = [p.pk for p in first.persons + second.persons + third.persons]
    assert len(set(shown)) == 120
    # stable order: by name, then record number (namesakes in the order they were recorded)
    assert shown == [p.pk for p in sorted(ouyangs, key=lambda p: (p.name, p.pk))]
    assert first.next_after == (first.persons[-1].name, first.persons[-1].pk)


def test_more_than_the_cap_is_said_so(yantian, ouyangs, monkeypatch) -> None:
    _unit, clerk = yantian
    monkeypatch.setattr(selectors, "COUNT_CAP", 100)
    page = person_search_page(user=clerk, query="欧阳")
    assert (page.count, page.more, len(page.persons)) == (100, True, 50)
    assert person_search_page(user=clerk, query="欧阳" + GIVEN[0]).count == 2  # under the cap: exact


def test_the_search_page_pages_by_post_with_the_count(client: Client, yantian, ouyangs, monkeypatch) -> None:
    _unit, clerk = yantian
    client.force_login(clerk)
    first = client.post("/people/", {"q": "欧阳"}).content.decode()
    assert "找到 120 人" in first
    assert first.count("/people/") >= 50
    page1 = person_search_page(user=clerk, query="欧阳")
    last = sorted(ouyangs, key=lambda p: (p.name, p.pk))[49]  # 25 names × 2 namesakes
    assert f'name="after_form" value="{last.name}"' in first
    assert f'name="after_id" value="{last.pk}"' in first
    after_form, after_id = page1.next_after  # type: ignore[misc]
    second = client.post("/people/", {"q": "欧阳", "after_form": after_form, "after_id": after_id,
                                      "page": 2}).content.decode()
    assert "第 2 页" in second
    assert "找到 120 人" in second
    ids_1 = {p.pk for p in page1.persons}
    assert not any(f"/people/{pk}/\"" in second for pk in ids_1)
    monkeypatch.setattr(selectors, "COUNT_CAP", 100)
    assert "找到 100 以上" in client.post("/people/", {"q": "欧阳"}).content.decode()
    # how they searched, never what was typed
    data = [e.data for e in Event.objects.filter(action="person.searched").order_by("pk")]
    assert data[-1] == {"by": "name", "results": 50, "next_page": False}
    assert {"by": "name", "results": 50, "next_page": True} in data
    assert not any("欧阳" in str(d) for d in data)


def test_rows_tell_namesakes_apart_with_the_address_only_inside_the_area(client: Client, make_user) -> None:
    yt_unit, lh_unit = grid_unit("440308"), grid_unit("440303", n=2)
    person = resident(1, "司马光", yt_unit, ended_on=dt.date.today() - dt.timedelta(days=30))
    Registration.objects.create(person=person, unit=lh_unit, started_on=dt.date.today() - dt.timedelta(days=29))
    yt, lh = make_user("yt", "clerk", "440308"), make_user("lh", "clerk", "440303")
    [shown_yt] = selectors.persons_shown(user=yt, persons=[person], addresses=True)
    [shown_lh] = selectors.persons_shown(user=lh, persons=[person], addresses=True)
    assert shown_yt.address == "海景路1号 101"  # where they lived in Yantian, not where they went
    assert shown_lh.address == "海景路2号 101"
    assert selectors.persons_shown(user=yt, persons=[person])[0].address == ""
    client.force_login(yt)
    page = client.post("/people/", {"q": "司马"}).content.decode()
    assert str(yt_unit.building) in page
    assert new_id(1)[:6] + "************" in page
    assert str(lh_unit.building) not in page


# -- invalid ID numbers -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "code", "reason"), [
    (new_id(5)[:17] + ("0" if new_id(5)[-1] != "0" else "1"), "id_check", "校验码错误"),
    ("430102" + "19900230" + "0011", "id_birth_date", "出生日期"),  # 30 February
    ("430102" + "19901301" + "001" + check_character("43010219901301001"), "id_birth_date", "出生日期"),
    (new_id(5)[:17], "id_length", "18"),  # a digit short
])
def test_an_impossible_id_number_is_invalid_with_the_reason(client: Client, yantian, typed: str, code: str,
                                                            reason: str) -> None:
    _unit, clerk = yantian
    with pytest.raises(ValidationError) as err:
        person_search(user=clerk, query=typed)
    assert (err.value.field, err.value.code) == ("q", code)
    assert err.value.message.startswith("号码无效：")
    assert reason in err.value.message
    assert typed not in err.value.message  # the number goes nowhere
    client.force_login(clerk)
    page = client.post("/people/", {"q": typed}).content.decode()
    assert "号码无效" in page
    assert "未找到" not in page
    assert not Event.objects.filter(action="person.searched").exists()
    assert not any(typed in str(e.data) for e in Event.objects.all())


# -- pinyin -----------------------------------------------------------------------------------------------------

def test_letters_match_full_pinyin_prefixes_and_initials_of_every_reading(yantian) -> None:
    unit, clerk = yantian
    hjh, shan, zeng, wf = (resident(1, "黄建华", unit), resident(2, "单丽", unit), resident(3, "曾重", unit),
                           resident(4, "王芳", unit))
    found = {q: [p.pk for p in person_search(user=clerk, query=q)] for q in [
        "huangjianhua", "huangj", "HuangJ", "hjh", "huang jianhua", "黄 建华", "黄建", "shanli", "danli", "sl",
        "dl", "zengzhong", "cengchong", "zz", "wangfang", "wang fang", "王 芳", "wf", "w", "huangx", "xyz"]}
    assert found == {
        "huangjianhua": [hjh.pk], "huangj": [hjh.pk], "HuangJ": [hjh.pk], "hjh": [hjh.pk],
        "huang jianhua": [hjh.pk], "黄 建华": [hjh.pk], "黄建": [hjh.pk], "shanli": [shan.pk], "danli": [shan.pk],
        "sl": [shan.pk], "dl": [shan.pk], "zengzhong": [zeng.pk], "cengchong": [zeng.pk], "zz": [zeng.pk],
        "wangfang": [wf.pk], "wang fang": [wf.pk], "王 芳": [wf.pk], "wf": [wf.pk], "w": [wf.pk], "huangx": [],
        "xyz": []}
    # "z" matches 曾重 by several forms (zengzhong, zz, zc …): once, and counted once
    page = person_search_page(user=clerk, query="z")
    assert ([p.pk for p in page.persons], page.count) == ([zeng.pk], 1)
    assert [e.data["by"] for e in Event.objects.filter(action="person.searched").order_by("pk")][:2] == [
        "pinyin", "pinyin"]


def test_name_forms_bound_the_readings_and_keep_the_commonest() -> None:
    assert name_forms("黄建华") == {"黄建华", "huangjianhua", "hjh"}
    assert name_forms("吕芳") == {"吕芳", "lvfang", "lf"}
    assert {"danli", "shanli", "chanli", "dl", "sl", "cl"} <= name_forms("单丽")
    many = name_forms("阿依古丽·买买提")
    assert {"阿依古丽·买买提", "阿依古丽买买提", "ayigulimaimaiti", "ayglmmt"} <= many
    assert len([f for f in many if f.isascii() and len(f) > 7]) == 8  # READINGS_PER_NAME full readings


def test_out_of_scope_persons_are_not_found_by_pinyin(yantian, make_user) -> None:
    _unit, yt_clerk = yantian
    lh_person = resident(9, "黄建华", grid_unit("440303"))
    lh_clerk = make_user("lh", "clerk", "440303")
    assert person_search(user=yt_clerk, query="hjh") == []
    assert person_search(user=lh_clerk, query="hjh") == [lh_person]


# -- the area path on every write path --------------------------------------------------------------------------

def test_orm_writes_stamp_the_area_path_and_the_search_keys(yantian) -> None:
    unit, _clerk = yantian
    person = resident(1, "黄建华", unit)
    reg = Registration.objects.get(person=person)
    assert reg.area_path == "/440300/440308/440308001001001/" == registration_area_path(unit)
    keys = set(PersonSearchKey.objects.filter(person=person).values_list("form", "area_path", "ended_on"))
    assert keys == {(f, reg.area_path, None) for f in ("黄建华", "huangjianhua", "hjh")}
    reg.ended_on = dt.date(2025, 6, 1)
    reg.save()
    assert set(PersonSearchKey.objects.filter(person=person).values_list("ended_on", flat=True)) == {
        dt.date(2025, 6, 1)}


def test_the_demo_copy_stamps_area_paths_and_keys_as_the_services_do(city) -> None:
    regs = Registration.objects.select_related("unit__building__grid")
    assert regs.count() > 300
    assert all(r.area_path == r.unit.building.grid.path for r in regs)
    copied = sorted(PersonSearchKey.objects.values_list("person_id", "form", "area_path", "ended_on"))
    person_search_keys_stamp(person_ids=Person.objects.values_list("pk", flat=True))
    assert sorted(PersonSearchKey.objects.values_list("person_id", "form", "area_path", "ended_on")) == copied


def test_the_resident_import_stamps_area_paths(yantian, make_user) -> None:
    from residence.registrations.imports import resident_import_commit

    unit, clerk = yantian
    admin = make_user("imp-admin", "admin", "440308")
    data = f"身份证号,姓名,房屋编码,居住起始日期\n{new_id(7)},黄建华,{unit.code},2025-01-01\n".encode()
    resident_import_commit(actor=admin, filename="r.csv", data=data, mode="all")
    reg = Registration.objects.get()
    assert reg.area_path == unit.building.grid.path
    assert person_search(user=clerk, query="hjh") == [reg.person]


def test_the_migrations_backfill_area_paths_and_keys(yantian) -> None:
    unit, clerk = yantian
    person = resident(1, "黄建华", unit)
    Registration.objects.update(area_path="")
    PersonSearchKey.objects.all().delete()
    assert person_search(user=clerk, query="hjh") == []
    with connection.cursor() as cur:
        cur.execute(importlib.import_module("residence.registrations.migrations.0003_registration_area_path").BACKFILL)
    assert Registration.objects.get().area_path == unit.building.grid.path
    importlib.import_module("residence.people.migrations.0009_person_search_keys").backfill(django_apps, None)
    assert person_search(user=clerk, query="hjh") == [person]
    assert PersonSearchKey.objects.count() == 3


def test_a_redrawn_grid_restamps_its_open_registrations(make_user) -> None:
    unit = grid_unit("440308")
    moving, left = resident(1, "黄建华", unit), resident(2, "黄建国", unit, ended_on=dt.date.today())
    grid_unit("440303", n=2)  # Luohu exists
    yt, lh = make_user("yt", "clerk", "440308"), make_user("lh", "clerk", "440303")
    grid = unit.building.grid
    grid.parent = Jurisdiction.objects.get(code="440303")
    grid.path = f"/440300/440303/{grid.code}/"
    grid.save()
    assert registrations_restamp_grid(actor=None, grid=grid) == 1
    assert Registration.objects.get(person=moving).area_path == grid.path
    assert Registration.objects.get(person=left).area_path == "/440300/440308/440308001001001/"  # where it ended
    assert person_search(user=lh, query="hj") == [moving]
    assert person_search(user=yt, query=new_id(2)) == [left]  # ended here: still Yantian's, by ID number
    assert person_search(user=lh, query=new_id(2)) == []
    event = Event.objects.get(action="registration.area.restamped")
    assert (event.subject_id, event.data) == (grid.code, {"registrations": 1})
    assert registrations_restamp_grid(actor=None, grid=grid) == 0  # nothing left to do


# -- building and unit pages ------------------------------------------------------------------------------------

def test_unit_page_shows_residents_masked_and_another_district_gets_404(client: Client, make_user) -> None:
    unit = grid_unit("440308")
    person = person_create(actor=None, id_number=new_id(1), name="黄建华", phone="13800138000")
    Registration.objects.create(person=person, unit=unit, started_on=dt.date(2025, 1, 1))
    resident(2, "黄建国", unit, ended_on=dt.date(2025, 6, 1))  # moved out: not listed
    grid_unit("440303", n=2)
    client.force_login(make_user("lh", "clerk", "440303"))
    assert client.get(f"/places/unit/{unit.pk}/").status_code == 404  # a Luohu clerk, a Yantian unit
    assert client.get(f"/places/building/{unit.building.address_code}/").status_code == 404
    assert client.get("/places/unit/99999999999999999999/").status_code == 404
    assert not Event.objects.filter(action="place.residents.listed").exists()
    client.force_login(make_user("yt", "clerk", "440308"))
    page = client.get(f"/places/unit/{unit.pk}/").content.decode()
    assert "黄建华" in page
    assert "430102************" in page
    assert "*******8000" in page
    assert new_id(1) not in page
    assert "13800138000" not in page
    assert "黄建国" not in page
    building = client.get(f"/places/building/{unit.building.address_code}/").content.decode()
    assert "黄建华" in building
    assert f"/places/unit/{unit.pk}/" in building
    assert new_id(1) not in building
    assert [e.data for e in Event.objects.filter(action="place.residents.listed").order_by("pk")] == [
        {"results": 1}, {"results": 1}]
