from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from residence.audit.models import Event
from residence.core.errors import NotFound, PermissionDenied, ValidationError
from residence.core.idnumber import check_character
from residence.people.identity import name_initials, reveal_id_number
from residence.people.models import Person
from residence.people.selectors import person_get_for_user, person_search, person_view
from residence.people.services import person_create, person_unmask
from residence.places.models import Unit
from residence.registrations.models import Registration

pytestmark = pytest.mark.django_db


def new_id(seq: int = 1) -> str:
    first = f"43010219900101{seq:03d}"
    return first + check_character(first)


def register(person: Person, district: str, ended_on: dt.date | None = None) -> Registration:
    unit = Unit.objects.filter(building__grid__path__contains=f"/{district}/").order_by("pk").first()
    assert unit is not None
    return Registration.objects.create(person=person, unit=unit, started_on=dt.date(2025, 1, 1), ended_on=ended_on)


def test_create_stores_encrypted_blind_indexed_masked(make_user) -> None:
    clerk = make_user("c1", "clerk")
    p = person_create(actor=clerk, id_number=new_id(), name="张三", phone="13800138000")
    row = Person.objects.get(pk=p.pk)
    assert row.id_number_masked == new_id()[:6] + "************"
    assert new_id().encode() not in bytes(row.id_number_enc)
    assert reveal_id_number(row.id_number_enc) == new_id()
    assert row.phone_masked == "*******8000"
    assert (row.sex, row.birth_date, row.origin_code) == ("M", dt.date(1990, 1, 1), "430102")
    assert row.name_initials == "zs"
    assert Event.objects.filter(action="person.created", subject_id=str(p.pk), actor_id=clerk.pk).count() == 1


def test_one_person_per_id_number(make_user) -> None:
    person_create(actor=None, id_number=new_id(), name="张三")
    with pytest.raises(ValidationError) as err:
        person_create(actor=None, id_number=new_id().lower(), name="李四")
    assert err.value.field == "id_number"
    assert Person.objects.count() == 1


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "Robert'); DROP TABLE", "", "张" * 31, "·张三"])
def test_hostile_or_malformed_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError) as err:
        person_create(actor=None, id_number=new_id(), name=name)
    assert err.value.field == "name"
    assert Person.objects.count() == 0


def test_middle_dot_names_are_normalised() -> None:
    p = person_create(actor=None, id_number=new_id(), name="阿依古丽•买买提")
    assert p.name == "阿依古丽·买买提"
    assert name_initials("阿依古丽·买买提") == "ayglmmt"


def test_bad_phone_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        person_create(actor=None, id_number=new_id(), name="张三", phone="12345")
    assert err.value.field == "phone"


def test_search_by_id_name_initials_phone_within_scope(city, make_user) -> None:
    clerk = make_user("c2", "clerk", "440308")
    p = person_create(actor=None, id_number=new_id(7), name="欧阳娜娜", phone="13912345678")
    register(p, "440308")
    assert person_search(user=clerk, query=new_id(7)) == [p]
    assert person_search(user=clerk, query=new_id(7).lower()) == [p]
    assert p in person_search(user=clerk, query="欧阳")
    assert p in person_search(user=clerk, query="oynn")
    assert person_search(user=clerk, query="13912345678") == [p]
    assert person_search(user=clerk, query="+8613912345678") == [p]
    searched = Event.objects.filter(action="person.searched", actor_id=clerk.pk)
    assert searched.count() == 6
    assert all(new_id(7) not in str(e.data) for e in searched)


def test_clerk_of_another_district_cannot_reach_the_person(city, make_user) -> None:
    yantian = make_user("yt", "clerk", "440308")
    luohu = make_user("lh", "clerk", "440303")
    p = person_create(actor=None, id_number=new_id(8), name="王五")
    register(p, "440308")
    assert person_get_for_user(user=yantian, person_id=p.pk) == p
    with pytest.raises(NotFound):
        person_get_for_user(user=luohu, person_id=p.pk)
    assert person_search(user=luohu, query=new_id(8)) == []


def test_scope_keeps_ended_registrations_for_the_retention_period(city, make_user, settings) -> None:
    settings.SCOPE_RETENTION_DAYS = 30
    clerk = make_user("c3", "clerk", "440308")
    recent = person_create(actor=None, id_number=new_id(9), name="赵六")
    register(recent, "440308", ended_on=dt.date.today() - dt.timedelta(days=10))
    old = person_create(actor=None, id_number=new_id(11), name="钱七")
    register(old, "440308", ended_on=dt.date.today() - dt.timedelta(days=31))
    assert person_get_for_user(user=clerk, person_id=recent.pk) == recent
    with pytest.raises(NotFound):
        person_get_for_user(user=clerk, person_id=old.pk)


def test_unregistered_person_is_seen_by_nobody_even_the_city_admin(city, make_user) -> None:
    admin = make_user("a", "admin", "440300")
    p = person_create(actor=None, id_number=new_id(12), name="孙八")
    with pytest.raises(NotFound):
        person_get_for_user(user=admin, person_id=p.pk)


def test_view_is_logged_with_purpose(city, make_user) -> None:
    clerk = make_user("c4", "clerk", "440308")
    p = person_create(actor=None, id_number=new_id(13), name="周九")
    register(p, "440308")
    person_view(user=clerk, person_id=p.pk, purpose="counter enquiry")
    e = Event.objects.get(action="person.record.viewed", subject_id=str(p.pk))
    assert (e.actor_id, e.data) == (clerk.pk, {"purpose": "counter enquiry"})


def test_unmask_needs_capability_purpose_and_scope_and_is_audited(city, make_user) -> None:
    clerk = make_user("c5", "clerk", "440308")
    grid = make_user("g5", "grid_worker", "440308")
    luohu = make_user("l5", "clerk", "440303")
    p = person_create(actor=None, id_number=new_id(14), name="吴十", phone="13700000000")
    register(p, "440308")
    with pytest.raises(PermissionDenied):
        person_unmask(actor=grid, person_id=p.pk, purpose="x")
    with pytest.raises(ValidationError):
        person_unmask(actor=clerk, person_id=p.pk, purpose="  ")
    with pytest.raises(NotFound):
        person_unmask(actor=luohu, person_id=p.pk, purpose="curious")
    assert not Event.objects.filter(action="person.identity.unmasked").exists()
    assert person_unmask(actor=clerk, person_id=p.pk, purpose="permit application") == {
        "id_number": new_id(14), "phone": "13700000000"}
    e = Event.objects.get(action="person.identity.unmasked")
    assert (e.actor_id, e.subject_id, e.data) == (clerk.pk, str(p.pk), {"purpose": "permit application"})


def test_a_number_beyond_any_record_is_not_found_not_a_server_error(client, city, make_user) -> None:
    client.force_login(make_user("big-id", "clerk", "440308"))
    for url in ("/people/99999999999999999999999/", "/api/people/99999999999999999999999"):
        assert client.get(url).status_code == 404


def test_initials_spelled_by_character_are_pypinyins_for_every_demo_name() -> None:
    from faker.providers.person.zh_CN import Provider as ZhNames
    from pypinyin import Style, lazy_pinyin

    given = ZhNames.first_names_male + ZhNames.first_names_female
    names = [s + g for s in list(ZhNames.last_names)[:120] for g in given] + ["阿依古丽·买买提", "单丽", "吕布"]
    # a polyphonic character read as in a word it forms with its neighbours, not by its first reading
    names += ["何曾", "成宿", "陶单于", "乐师封小", "曾孙卓"]
    assert {n: name_initials(n) for n in names} == {
        n: "".join(lazy_pinyin(n.replace("·", ""), style=Style.FIRST_LETTER, errors="ignore")).lower() for n in names}
    assert name_initials("吕布") == "lb"
    assert [name_initials(n) for n in ("何曾", "陶单于", "乐师封小")] == ["hz", "tcy", "ysfx"]


def test_person_rows_hold_what_person_build_assembles() -> None:
    from django.utils import timezone

    from residence.core.idnumber import parse_id_number
    from residence.people.identity import id_index, protect
    from residence.people.services import PERSON_ROW_COLUMNS, person_build, person_rows

    number = parse_id_number(new_id(5))
    now = timezone.now()
    [row] = person_rows([(number, id_index(number.value), "单丽")], now=now)
    built = person_build(ident=protect(id_number=number.value), name="单丽")
    built.created_at = now
    fields = {f.column: f for f in Person._meta.concrete_fields}
    assert set(PERSON_ROW_COLUMNS) == set(fields) - {"id"}
    expected = {c: getattr(built, fields[c].attname) for c in PERSON_ROW_COLUMNS if c != "id_number_enc"}
    expected["photo"] = expected["photo"].name  # a FieldFile of no file: stored as ""
    assert dict(zip(PERSON_ROW_COLUMNS, row, strict=True)) | {"id_number_enc": None} == expected | {
        "id_number_enc": None}
    assert reveal_id_number(row[0]) == number.value  # encrypted afresh (another nonce), the same number


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY and its fallback are PostgreSQL's")
def test_persons_written_meanwhile_by_another_transaction_are_used_not_duplicated(city, monkeypatch) -> None:
    import threading
    import time

    from django.db import connections, transaction

    from residence.core.idnumber import parse_id_number
    from residence.people import services
    from residence.people.identity import id_index
    from residence.people.services import persons_ensure

    copies: list[bool] = []
    real = services.copy_or_conflict
    monkeypatch.setattr(services, "copy_or_conflict", lambda *a: copies.append(real(*a)) or copies[-1])
    before = Person.objects.count()

    def guests(start: int, n: int) -> list:
        numbers = [parse_id_number(new_id(seq)) for seq in range(start, start + n)]
        return [(idn, id_index(idn.value), "王芳") for idn in numbers]

    first, more = guests(100, 20), guests(200, 20)
    copied, theirs = threading.Event(), {}

    def other() -> None:  # writes the first 20 by COPY and commits a second later
        try:
            with transaction.atomic():
                theirs.update(persons_ensure(first)[0])
                copied.set()
                time.sleep(1.0)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    assert copied.wait(30)
    with transaction.atomic():  # our COPY of all 40 waits for theirs, fails on the first 20, and goes again
        found, created = persons_ensure(first + more)
    thread.join()
    assert {g[1]: found[g[1]] for g in first} == theirs
    assert created == {found[g[1]] for g in more}
    assert Person.objects.count() == before + 40
    assert copies == [True, False]  # theirs went by COPY; ours failed on their rows and went by INSERT … ON CONFLICT
