"""The set-based writes on persons that bulk declarations use: the same rows as the one-person services."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from residence.core.idnumber import check_character
from residence.people.identity import id_index, protect, reveal_id_number, reveal_phone
from residence.people.models import Person, PersonRevision
from residence.people.services import NewPerson, PersonItems, person_build, persons_insert, persons_items_update


def ident(k: int) -> str:
    first = f"44030819900101{k:03d}"
    return first + check_character(first)


_COMPARED = ("id_number_index", "id_number_masked", "name", "name_initials", "sex", "birth_date", "origin_code",
             "ethnicity", "education", "marital_status", "occupation", "phone_index", "phone_masked", "hukou_address")


@pytest.mark.django_db
def test_persons_insert_writes_what_person_build_assembles() -> None:
    people = [NewPerson(ident(1), id_index(ident(1)), "张三", "13800001111", "01", "30", "20", "厨师", "北京市"),
              NewPerson(ident(2), id_index(ident(2)), "李四")]
    with transaction.atomic():
        ids = persons_insert(people, now=timezone.now())
    assert sorted(ids) == sorted(p.id_index for p in people)
    for p in people:
        stored = Person.objects.get(pk=ids[p.id_index])
        built = person_build(ident=protect(id_number=p.id_number, phone=p.phone), name=p.name,
                             ethnicity=p.ethnicity, education=p.education, marital_status=p.marital_status,
                             occupation=p.occupation, hukou_address=p.hukou_address)
        assert [getattr(stored, c) for c in _COMPARED] == [getattr(built, c) for c in _COMPARED]
        assert reveal_id_number(stored.id_number_enc) == p.id_number
        assert reveal_phone(stored.phone_enc) == p.phone
    assert Person.objects.get(pk=ids[people[1].id_index]).phone_enc is None


@pytest.mark.django_db
def test_persons_items_update_changes_what_differs_with_history_and_skips_the_rest() -> None:
    with transaction.atomic():
        ids = persons_insert([NewPerson(ident(k), id_index(ident(k)), "王五", "13800002222") for k in (1, 2)],
                             now=timezone.now())
    one, two = ids[id_index(ident(1))], ids[id_index(ident(2))]
    now = timezone.now()
    with transaction.atomic():
        changed = persons_items_update(actor=None, source="test.bulk", now=now, items={
            one: PersonItems(name="王六", phone="13900003333", occupation="电工"),
            two: PersonItems(name="王五", phone="13800002222")})  # the same as on record: no change
    assert changed == 1
    person = Person.objects.get(pk=one)
    assert (person.name, person.name_initials, person.occupation, person.phone_masked) == (
        "王六", "wl", "电工", "*******3333")
    assert reveal_phone(person.phone_enc) == "13900003333"
    [revision] = PersonRevision.objects.all()
    assert (revision.person_id, revision.source, revision.by_id) == (one, "test.bulk", None)
    assert revision.before == {"name": "王五", "occupation": "", "phone": "*******2222"}
    assert revision.after == {"name": "王六", "occupation": "电工", "phone": "*******3333"}
