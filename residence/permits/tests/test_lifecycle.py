"""A permit's life after issue through the services: endorsement, change, replacement, reissue, cancellation; every
refusal changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from residence.audit.models import Event
from residence.core.errors import NotFound, ValidationError
from residence.eligibility.models import Assessment
from residence.employment.models import Evidence
from residence.permits.lifecycle import (
    endorsement_due,
    endorsement_of,
    permit_cancel,
    permit_change,
    permit_endorse,
    permit_get_for_user,
    permit_reissue,
    permit_replace,
)
from residence.permits.models import Permit, PermitEvent
from residence.places.models import AcceptancePoint, Unit
from residence.registrations.models import Registration

ALL = ["id_card", "photo", "address_proof", "employment_proof"]


@pytest.fixture(autouse=True)
def english():
    """The messages asserted here in English (the pages' tests read them in Chinese)."""
    with translation.override("en"):
        yield


def years_ago(n: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - n) + dt.timedelta(days=days)


def make_permit(person, point, *, issued_on: dt.date, status: str = "valid", years: int = 0,
                number: str = "") -> Permit:
    """A permit as issue makes it (the issue itself is another part's work), the due date by the rules."""
    reg = Registration.objects.current().filter(person=person).order_by("-started_on").first()
    return Permit.objects.create(
        number=number or f"440308{person.pk:010d}", person=person, status=status, issued_on=issued_on,
        anchor_on=issued_on, endorsed_years=years, endorsement_due_on=endorsement_due(issued_on, years),
        issuing_authority="深圳市公安局盐田分局", acceptance_point=point, area_path=reg.area_path,
        residence_address="旧地址 101", status_changed_at=timezone.now(), created_at=timezone.now())


@pytest.fixture
def permit(people) -> Permit:
    """Issued a year ago less ten days: the endorsement window (a month before the anniversary) is open."""
    return make_permit(people["persons"][0], people["police"], issued_on=years_ago(1, days=10))


def snapshot(p: Permit) -> tuple:
    p.refresh_from_db()
    return (p.status, p.anchor_on, p.endorsed_years, p.endorsement_due_on, p.card_seq, p.residence_address,
            p.workplace, p.area_path, p.cancel_reason, PermitEvent.objects.filter(permit=p).count(),
            Event.objects.filter(action__startswith="permit.").count(),
            Assessment.objects.filter(purpose="endorsement").count())


# --- endorsement -----------------------------------------------------------------------------------------------
def test_endorsement_in_the_window_adds_a_year_free_of_charge(people, permit) -> None:
    due = permit.endorsement_due_on
    permit_endorse(actor=people["clerk"], permit_id=permit.pk, materials=ALL)
    permit.refresh_from_db()
    assert (permit.status, permit.endorsed_years, permit.anchor_on) == ("valid", 1, years_ago(1, days=10))
    assert permit.endorsement_due_on == due.replace(year=due.year + 1)
    event = PermitEvent.objects.get(permit=permit)
    assert (event.kind, event.actor_id, event.data["timing"], event.data["fee_yuan"]) == (
        "endorsed", people["clerk"].pk, "in_window", 0)
    decision = Assessment.objects.get(pk=event.data["assessment"])
    assert (decision.purpose, decision.eligible) == ("endorsement", True)
    assert decision.trace["outputs"]["endorsement_allowed"] is True
    assert Event.objects.filter(action="permit.endorsed", subject_id=str(permit.person_id)).count() == 1


def test_endorsement_too_early_is_refused_and_changes_nothing(people) -> None:
    permit = make_permit(people["persons"][0], people["police"], issued_on=years_ago(0, days=-100))
    before = snapshot(permit)
    with pytest.raises(ValidationError) as e:
        permit_endorse(actor=people["clerk"], permit_id=permit.pk, materials=ALL)
    opens = permit.endorsement_due_on.replace(month=permit.endorsement_due_on.month - 1) \
        if permit.endorsement_due_on.month > 1 else permit.endorsement_due_on.replace(
            year=permit.endorsement_due_on.year - 1, month=12)
    assert e.value.code == "early"
    assert e.value.message == (f"Not endorsed: it is too early: the endorsement due on "
                               f"{permit.endorsement_due_on.isoformat()} can be done from {opens.isoformat()}.")
    assert snapshot(permit) == before


def test_endorsement_lists_every_reason_at_once(people, permit) -> None:
    person = permit.person
    Registration.objects.filter(person=person).update(started_on=timezone.localdate() - dt.timedelta(days=20))
    Evidence.objects.filter(person=person).delete()
    before = snapshot(permit)
    with pytest.raises(ValidationError) as e:
        permit_endorse(actor=people["clerk"], permit_id=permit.pk, materials=["id_card"])
    assert e.value.code == "not_eligible"
    assert e.value.message == (
        "Not endorsed: the rules no longer find the holder eligible (连续居住 20 天，还差 160 天；无合法稳定就业"
        "（最接近的就业条件还差 3 个月）、合法稳定住所或连续就读); materials missing: Proof of address、Photo.")
    assert snapshot(permit) == before


def test_endorsement_with_materials_missing_names_them_all(people, permit) -> None:
    before = snapshot(permit)
    with pytest.raises(ValidationError) as e:
        permit_endorse(actor=people["clerk"], permit_id=permit.pk, materials=["id_card"])
    assert (e.value.code, e.value.message) == (
        "missing_materials", "Not endorsed: materials missing: Proof of address、Proof of employment、Photo.")
    assert snapshot(permit) == before


def test_a_cancelled_permit_refuses_every_action(people, permit) -> None:
    permit_cancel(actor=people["clerk"], permit_id=permit.pk, reason="household_registration")
    before = snapshot(permit)
    assert before[0] == "cancelled"
    attempts = [
        lambda: permit_endorse(actor=people["clerk"], permit_id=permit.pk, materials=ALL),
        lambda: permit_change(actor=people["clerk"], permit_id=permit.pk, kind="workplace",
                              change_date=timezone.localdate(), workplace="新公司"),
        lambda: permit_replace(actor=people["clerk"], permit_id=permit.pk, old_card_returned=True),
        lambda: permit_reissue(actor=people["clerk"], permit_id=permit.pk),
        lambda: permit_cancel(actor=people["clerk"], permit_id=permit.pk, reason="death"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as e:
            attempt()
        assert e.value.code == "cancelled"
        assert e.value.message == (f"This permit was cancelled on {timezone.localdate().isoformat()}: nothing more "
                                   f"can be done with it.")
    assert snapshot(permit) == before
    assert endorsement_of(permit) is None


def test_a_late_endorsement_restores_a_suspended_permit_and_years_count_again(people) -> None:
    permit = make_permit(people["persons"][0], people["police"], issued_on=years_ago(1, days=-20),
                         status="suspended")
    permit_endorse(actor=people["clerk"], permit_id=permit.pk, materials=ALL)
    today = timezone.localdate()
    permit.refresh_from_db()
    assert (permit.status, permit.anchor_on, permit.endorsed_years) == ("valid", today, 0)
    assert permit.endorsement_due_on == today.replace(year=today.year + 1)
    event = PermitEvent.objects.get(permit=permit)
    assert (event.kind, event.data["timing"], event.data["from"], event.data["anchor"]) == (
        "restored", "late", "suspended", today.isoformat())
    assert Event.objects.filter(action="permit.restored").count() == 1


def test_counter_rights_point_and_scope(people, permit) -> None:
    before = snapshot(permit)
    with pytest.raises(NotFound):  # a reviewer keeps no counter
        permit_endorse(actor=people["reviewer"], permit_id=permit.pk, materials=ALL)
    luohu = people["luohu_reviewer"]
    luohu.role = "clerk"
    with pytest.raises(NotFound):  # a clerk of another district does not see it
        permit_endorse(actor=luohu, permit_id=permit.pk, materials=ALL)
    station_clerk = people["clerk"]
    station_clerk.acceptance_point_code = people["station"].code  # a community station: registrations only
    with pytest.raises(ValidationError) as e:
        permit_endorse(actor=station_clerk, permit_id=permit.pk, materials=ALL)
    assert e.value.code == "point"
    assert snapshot(permit) == before


def test_the_holder_sees_their_permit_and_nobody_else_does(people, permit) -> None:
    assert permit_get_for_user(user=people["resident"], permit_id=permit.pk).pk == permit.pk
    with pytest.raises(NotFound):
        permit_get_for_user(user=people["luohu_reviewer"], permit_id=permit.pk)


# --- change -------------------------------------------------------------------------------------------------------
def test_a_workplace_change_within_the_days_is_on_time(people, permit) -> None:
    permit_change(actor=people["clerk"], permit_id=permit.pk, kind="workplace",
                  change_date=timezone.localdate() - dt.timedelta(days=3), workplace="盐田港集团")
    permit.refresh_from_db()
    assert permit.workplace == "盐田港集团"
    event = PermitEvent.objects.get(permit=permit)
    assert (event.kind, event.data["late"], event.data["before"], event.data["after"]) == (
        "changed", False, "", "盐田港集团")


def test_a_change_reported_after_the_days_is_recorded_late(people, permit) -> None:
    day = timezone.localdate() - dt.timedelta(days=30)
    permit_change(actor=people["clerk"], permit_id=permit.pk, kind="workplace", change_date=day, workplace="新厂")
    event = PermitEvent.objects.get(permit=permit)
    assert (event.data["late"], event.data["due"]) == (True, (day + dt.timedelta(days=10)).isoformat())
    assert Event.objects.get(action="permit.changed").data["late"] is True


def test_a_move_to_another_county_keeps_the_permit_and_the_new_place_endorses(people, permit, make_user) -> None:
    person = permit.person
    today = timezone.localdate()
    old = Registration.objects.current().get(person=person)
    Registration.objects.filter(pk=old.pk).update(ended_on=today - dt.timedelta(days=5))
    unit = Unit.objects.filter(building__grid__path__contains="/440303/").order_by("pk").first()
    new = Registration.objects.create(person=person, unit=unit, started_on=today - dt.timedelta(days=4))
    luohu_point = AcceptancePoint.objects.filter(kind="police_station", jurisdiction__code__startswith="440303") \
        .order_by("code").first()
    luohu_clerk = make_user("clerk_lh", "clerk", "440303")
    luohu_clerk.acceptance_point_code = luohu_point.code
    luohu_clerk.save()
    with pytest.raises(NotFound):  # before the change, the permit still lives in Yantian
        permit_endorse(actor=luohu_clerk, permit_id=permit.pk, materials=ALL)
    permit_change(actor=luohu_clerk, permit_id=permit.pk, kind="address", change_date=today - dt.timedelta(days=4))
    permit.refresh_from_db()
    assert (permit.status, permit.area_path) == ("valid", new.area_path)
    b = unit.building
    assert permit.residence_address == f"{b.road}{b.door_plate}{b.name} {unit.label}"
    event = PermitEvent.objects.get(permit=permit)
    assert (event.data["moved_county"], event.data["county_before"], event.data["county_after"],
            event.data["late"]) == (True, "440308", "440303", False)
    with pytest.raises(NotFound):  # now the old place no longer sees it
        permit_endorse(actor=people["clerk"], permit_id=permit.pk, materials=ALL)


def test_change_refusals_change_nothing(people, permit) -> None:
    before = snapshot(permit)
    today = timezone.localdate()
    cases = [
        (dict(kind="address", change_date=today + dt.timedelta(days=1)), "future"),
        (dict(kind="workplace", change_date=permit.issued_on - dt.timedelta(days=1), workplace="x"), "before_issue"),
        (dict(kind="workplace", change_date=today, workplace=""), "workplace"),
        (dict(kind="salary", change_date=today), "kind"),
        (dict(kind="address", change_date=today), "not_registered"),
    ]
    Registration.objects.filter(person=permit.person).update(ended_on=today - dt.timedelta(days=1))
    for kwargs, code in cases:
        with pytest.raises(ValidationError) as e:
            permit_change(actor=people["clerk"], permit_id=permit.pk, **kwargs)
        assert e.value.code == code, kwargs
    assert snapshot(permit) == before


# --- replacement, reissue, cancellation ----------------------------------------------------------------------
def test_replacement_and_reissue_charge_the_card_fee_with_a_receipt(people, permit) -> None:
    today = timezone.localdate()
    replaced = permit_replace(actor=people["clerk"], permit_id=permit.pk, old_card_returned=True)
    reissued = permit_reissue(actor=people["clerk"], permit_id=permit.pk)
    permit.refresh_from_db()
    assert permit.card_seq == 3
    assert (replaced.kind, replaced.data["fee_yuan"], replaced.data["card"], replaced.data["old_card"],
            replaced.data["receipt"]) == ("replaced", 20, 2, "returned", f"HL{today:%Y%m%d}{permit.pk:08d}02")
    assert (reissued.kind, reissued.data["fee_yuan"], reissued.data["card"], reissued.data["old_card"],
            reissued.data["receipt"]) == ("reissued", 20, 3, "invalid", f"BL{today:%Y%m%d}{permit.pk:08d}03")
    assert Event.objects.get(action="permit.card.reissued").data["receipt"] == reissued.data["receipt"]


def test_a_damaged_card_is_replaced_only_when_handed_back(people, permit) -> None:
    before = snapshot(permit)
    with pytest.raises(ValidationError) as e:
        permit_replace(actor=people["clerk"], permit_id=permit.pk, old_card_returned=False)
    assert e.value.code == "old_card"
    assert snapshot(permit) == before


def test_cancellation_needs_a_reason(people, permit) -> None:
    before = snapshot(permit)
    with pytest.raises(ValidationError) as e:
        permit_cancel(actor=people["clerk"], permit_id=permit.pk, reason="bored")
    assert e.value.code == "reason"
    assert snapshot(permit) == before
    permit_cancel(actor=people["clerk"], permit_id=permit.pk, reason="fraud", note="伪造材料")
    permit.refresh_from_db()
    assert (permit.status, permit.cancel_reason) == ("cancelled", "fraud")
    assert PermitEvent.objects.get(permit=permit).data == {"reason": "fraud", "note": "伪造材料", "from": "valid"}
    assert Event.objects.get(action="permit.cancelled").data == {"permit": permit.number, "reason": "fraud"}
