"""After a declaration: a person's items updated with history, corrections, withdrawals, residents' own
declarations waiting for confirmation, clerks at the counter and grid workers at the door. Each change is kept and
audited; nobody acts outside their premises or area."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from residence.accounts.services import user_create
from residence.audit.models import Event
from residence.core.errors import NotFound, ValidationError
from residence.people.identity import resident_username
from residence.people.models import Person, PersonRevision
from residence.people.services import PersonItems
from residence.places.models import Unit
from residence.registrations.models import DoorCheck, Registration, RegistrationRevision
from residence.registrations.services import (
    registration_cancel,
    registration_confirm,
    registration_correct,
    registration_declare_arrival,
    registration_door_check,
    registration_record_arrival,
    registration_record_departure,
    registration_self_declare,
)
from residence.registrations.tests.conftest import ident
from residence.workbench.tests.test_browser import PASSWORD

TODAY = timezone.localdate


def _staff(username: str, role: str, code: str):
    return user_create(actor=None, username=username, password=PASSWORD, role=role, jurisdiction_code=code,
                       check_password=False)


@pytest.mark.django_db
def test_a_later_declaration_updates_the_persons_items_and_keeps_the_old_values(landlords) -> None:
    yt = landlords["yt"]
    first = registration_declare_arrival(
        actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"], id_number=ident(11), name="周九",
        phone="13900001111", started_on=TODAY() - dt.timedelta(days=40),
        items=PersonItems(education="60", occupation="厨师"), reason="work",
        expected_ended_on=TODAY() + dt.timedelta(days=200))
    assert (first.reason, first.expected_ended_on) == ("work", TODAY() + dt.timedelta(days=200))
    person = Person.objects.get(pk=first.person_id)
    assert (person.education, person.occupation, person.phone_masked) == ("60", "厨师", "*******1111")
    registration_declare_departure_today(yt, first)
    registration_declare_arrival(
        actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"], id_number=ident(11), name="周九",
        phone="13900002222", started_on=TODAY(), items=PersonItems(education="60", occupation="厨师长",
                                                                   marital_status="20"))
    person.refresh_from_db()
    assert (person.occupation, person.marital_status, person.phone_masked) == ("厨师长", "20", "*******2222")
    [rev] = PersonRevision.objects.filter(person=person)
    assert rev.before == {"occupation": "厨师", "marital_status": "", "phone": "*******1111"}
    assert rev.after == {"occupation": "厨师长", "marital_status": "20", "phone": "*******2222"}
    assert rev.by_id == yt["account"].pk
    assert "13900001111" not in str(rev.before)
    event = Event.objects.get(action="person.items.updated", subject_id=str(person.pk))
    assert event.data["items"] == ["marital_status", "occupation", "phone"]
    assert Person.objects.filter(pk=person.pk).count() == 1  # updated, not refused, not duplicated


def registration_declare_departure_today(who: dict, registration: Registration) -> None:
    from residence.registrations.services import registration_declare_departure

    registration_declare_departure(actor=who["account"], obligor=who["obligor"], registration_id=registration.pk,
                                   ended_on=TODAY())


@pytest.mark.django_db
def test_bad_items_name_their_field_and_write_nothing(landlords) -> None:
    yt = landlords["yt"]
    before = (Person.objects.count(), Registration.objects.count())
    for kwargs, field in [
        ({"items": PersonItems(education="99")}, "education"),
        ({"items": PersonItems(occupation="<b>老板</b>")}, "occupation"),
        ({"items": PersonItems(hukou_address="x" * 201)}, "hukou_address"),
        ({"reason": "holiday"}, "reason"),
        ({"expected_ended_on": TODAY() - dt.timedelta(days=30)}, "expected_ended_on"),
    ]:
        with pytest.raises(ValidationError) as caught:
            registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"],
                                         id_number=ident(12), name="吴十", started_on=TODAY() - dt.timedelta(days=3),
                                         **kwargs)
        assert caught.value.field == field
    assert (Person.objects.count(), Registration.objects.count()) == before


@pytest.mark.django_db
def test_a_correction_keeps_the_values_before_and_recomputes_lateness(landlords) -> None:
    yt = landlords["yt"]
    reg = registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"],
                                       id_number=ident(13), name="郑一", started_on=TODAY() - dt.timedelta(days=1))
    assert reg.late is False
    fixed = registration_correct(actor=yt["account"], registration_id=reg.pk, note="租客实际上个月入住",
                                 started_on=TODAY() - dt.timedelta(days=20), reason="family")
    assert (fixed.started_on, fixed.reason, fixed.late) == (TODAY() - dt.timedelta(days=20), "family", True)
    [rev] = RegistrationRevision.objects.filter(registration=reg)
    assert (rev.kind, rev.note, rev.by_role) == ("corrected", "租客实际上个月入住", "landlord")
    assert rev.before == {"started_on": (TODAY() - dt.timedelta(days=1)).isoformat(), "reason": ""}
    assert rev.after == {"started_on": (TODAY() - dt.timedelta(days=20)).isoformat(), "reason": "family"}
    assert Event.objects.filter(action="registration.corrected", data__registration=reg.pk).count() == 1
    for kwargs, code in [({"note": "", "reason": "work"}, "required"),
                         ({"note": "x", "started_on": TODAY() + dt.timedelta(days=1)}, "dates"),
                         ({"note": "x", "ended_on": TODAY()}, "open"),
                         ({"note": "x", "reason": "family"}, "unchanged")]:
        with pytest.raises(ValidationError) as caught:
            registration_correct(actor=yt["account"], registration_id=reg.pk, **kwargs)
        assert caught.value.code == code
    with pytest.raises(ValidationError) as caught:  # ident(13) was born on 1988-08-08
        registration_correct(actor=yt["account"], registration_id=reg.pk, note="x", started_on=dt.date(1988, 8, 7))
    assert (caught.value.code, caught.value.field) == ("before_birth", "started_on")
    assert RegistrationRevision.objects.filter(registration=reg).count() == 1
    with pytest.raises(NotFound):  # another landlord's registration
        registration_correct(actor=landlords["lh"]["account"], registration_id=reg.pk, note="x", reason="work")


@pytest.mark.django_db
def test_an_arrival_corrected_to_after_its_declaration_is_on_time_not_a_server_error(landlords) -> None:
    """Declared five days ago as arriving that day; the tenant in fact came two days later: declared ahead of the
    arrival, so on time."""
    yt = landlords["yt"]
    reg = registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"],
                                       id_number=ident(15), name="钱三", started_on=TODAY() - dt.timedelta(days=5))
    Registration.objects.filter(pk=reg.pk).update(declared_at=timezone.now() - dt.timedelta(days=5))
    fixed = registration_correct(actor=yt["account"], registration_id=reg.pk, note="实际晚两天入住",
                                 started_on=TODAY() - dt.timedelta(days=3))
    assert (fixed.started_on, fixed.late) == (TODAY() - dt.timedelta(days=3), False)


@pytest.mark.django_db
def test_a_withdrawn_registration_stays_on_record_but_no_longer_counts(landlords) -> None:
    yt = landlords["yt"]
    reg = registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"],
                                       id_number=ident(14), name="王二", started_on=TODAY())
    with pytest.raises(ValidationError, match="原因"):
        registration_cancel(actor=yt["account"], registration_id=reg.pk, reason="because")
    registration_cancel(actor=yt["account"], registration_id=reg.pk, reason="error", note="录错房间")
    reg.refresh_from_db()
    assert (reg.status, reg.cancel_reason, reg.ended_on) == ("cancelled", "error", None)
    assert not Registration.objects.current().filter(pk=reg.pk).exists()
    assert RegistrationRevision.objects.get(registration=reg).after == {"status": "cancelled",
                                                                         "cancel_reason": "error"}
    with pytest.raises(ValidationError, match="已撤销"):
        registration_cancel(actor=yt["account"], registration_id=reg.pk, reason="error")
    # the same person can now be declared at the same unit again
    again = registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"],
                                         id_number=ident(14), name="王二", started_on=TODAY())
    assert again.status == "confirmed"


@pytest.mark.django_db
def test_a_residents_own_declaration_waits_for_the_obligor(landlords) -> None:
    yt = landlords["yt"]
    first = registration_declare_arrival(actor=yt["account"], obligor=yt["obligor"], unit_code=yt["unit"],
                                         id_number=ident(15), name="孙七", started_on=TODAY() - dt.timedelta(days=9))
    registration_declare_departure_today(yt, first)
    tenant = user_create(actor=None, username=resident_username(first.person_id), password=PASSWORD,
                         role="resident", person_id=first.person_id, check_password=False)
    own = registration_self_declare(actor=tenant, unit_code=f" {yt['unit']} ", name="孙七",
                                    started_on=TODAY() - dt.timedelta(days=1), reason="work")
    assert (own.status, own.declared_by, own.channel, own.person_id) == ("pending", "resident", "phone",
                                                                         first.person_id)
    with pytest.raises(ValidationError, match="门牌"):
        registration_self_declare(actor=tenant, unit_code="NO-SUCH-UNIT", name="孙七", started_on=TODAY())
    with pytest.raises(NotFound):  # another landlord cannot confirm it
        registration_confirm(actor=landlords["lh"]["account"], registration_id=own.pk)
    with pytest.raises(NotFound):  # nor can the resident themselves
        registration_confirm(actor=tenant, registration_id=own.pk)
    registration_confirm(actor=yt["account"], registration_id=own.pk)
    assert Registration.objects.get(pk=own.pk).status == "confirmed"
    with pytest.raises(ValidationError, match="待确认"):
        registration_confirm(actor=yt["account"], registration_id=own.pk)
    assert Event.objects.filter(action="registration.confirmed", data__registration=own.pk).count() == 1


@pytest.mark.django_db
def test_a_clerk_registers_at_the_counter_and_a_grid_worker_checks_at_the_door(landlords) -> None:
    unit = Unit.objects.get(code=landlords["yt"]["unit"])
    clerk = _staff("ctr_clerk", "clerk", "440308")
    grid = _staff("door_grid", "grid_worker", "440308")
    outsider = _staff("lh_clerk", "clerk", "440303")
    viewer = _staff("yt_review", "reviewer", "440308")
    reg = registration_record_arrival(actor=clerk, unit_id=unit.pk, id_number=ident(16), name="李四",
                                      started_on=TODAY() - dt.timedelta(days=2), items=PersonItems(phone="13900003333"))
    assert (reg.declared_by, reg.channel, reg.declared_by_account_id) == ("staff", "counter", clerk.pk)
    with pytest.raises(ValidationError) as caught:  # another district's clerk: the unit is not in their area
        registration_record_arrival(actor=outsider, unit_id=unit.pk, id_number=ident(17), name="周五",
                                    started_on=TODAY())
    assert (caught.value.code, caught.value.field) == ("unit_unknown", "unit_code")
    with pytest.raises(NotFound):  # a role that does not register
        registration_record_arrival(actor=viewer, unit_id=unit.pk, id_number=ident(17), name="周五",
                                    started_on=TODAY())
    for who in (outsider, viewer):
        with pytest.raises(NotFound):
            registration_door_check(actor=who, registration_id=reg.pk, outcome="moved_out")
    check = registration_door_check(actor=grid, registration_id=reg.pk, outcome="not_found", note="敲门无人")
    assert (check.outcome, Registration.objects.get(pk=reg.pk).ended_on) == ("not_found", None)
    registration_door_check(actor=grid, registration_id=reg.pk, outcome="moved_out")
    reg.refresh_from_db()
    assert (reg.ended_on, reg.departure_declared_by, reg.departure_channel) == (TODAY(), "grid_worker", "phone")
    assert list(DoorCheck.objects.filter(registration=reg).order_by("pk").values_list("outcome", flat=True)) == [
        "not_found", "moved_out"]
    with pytest.raises(ValidationError, match="已经结束"):
        registration_door_check(actor=grid, registration_id=reg.pk, outcome="present")
    with pytest.raises(ValidationError):
        registration_door_check(actor=grid, registration_id=reg.pk, outcome="asleep")
    later = registration_record_arrival(actor=grid, unit_id=unit.pk, id_number=ident(18), name="赵六",
                                        started_on=TODAY())
    assert (later.declared_by, later.channel) == ("grid_worker", "phone")
    registration_record_departure(actor=clerk, registration_id=later.pk, ended_on=TODAY())
    assert RegistrationRevision.objects.get(registration=later).kind == "departed"
    assert Event.objects.filter(action="registration.door.checked").count() == 2
