"""Permit applications through the services: submit, accept, review, decide; every refusal changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from residence.audit.models import Event
from residence.core.errors import NotFound, ValidationError
from residence.eligibility.models import Assessment
from residence.permits.models import ApplicationStep, Permit, PermitApplication
from residence.permits.selectors import application_get_for_user, application_overdue, review_queue
from residence.permits.services import (
    application_accept,
    application_approve,
    application_provide_information,
    application_refuse,
    application_request_information,
    application_start_review,
    application_submit,
    application_withdraw,
)
from residence.places.models import AcceptancePoint
from residence_rules import RULES_VERSION

ALL = ["id_card", "photo", "address_proof", "employment_proof"]


def submitted(people, **kw) -> PermitApplication:
    return application_submit(actor=people["resident"], point_code=people["police"].code, **kw)


def test_resident_applies_online_and_is_told_every_missing_material(people) -> None:
    app = submitted(people, materials=["id_card"])
    assert (app.status, app.channel, app.relation, app.person_id) == ("submitted", "online", "self",
                                                                       people["persons"][0].pk)
    assert app.assessment.outputs["missing_materials"] == ["address_proof", "employment_proof", "photo"]
    assert app.assessment.rules_version == RULES_VERSION
    assert app.assessment.eligible is True
    assert app.assessment.outputs["eligibility_basis"] == "employment"
    assert Event.objects.filter(action="permit.application.submitted", subject_id=str(app.person_id)).count() == 1


def test_acceptance_needs_every_material_and_starts_the_clock(people) -> None:
    app = submitted(people)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as e:
        application_accept(actor=people["clerk"], application_id=app.pk, materials=["id_card", "photo"])
    assert (e.value.code, e.value.field) == ("missing_materials", "materials")
    assert e.value.message == "尚缺以下材料（一次性告知）：住所证明、就业证明。"
    app.refresh_from_db()
    assert app.status == "submitted"
    assert app.accepted_at is None
    application_accept(actor=people["clerk"], application_id=app.pk, materials=ALL)
    app.refresh_from_db()
    assert app.status == "accepted"
    assert app.due_on == timezone.localdate() + dt.timedelta(days=15)
    assert list(ApplicationStep.objects.filter(application=app).values_list("source", "target")) == [
        ("submitted", "accepted")]


def test_the_review_queue_puts_the_overdue_first_in_the_database_and_reads_what_it_shows(
        people, django_assert_num_queries) -> None:
    reviewer, today = people["reviewer"], timezone.localdate()
    on_time, late, paused = (
        application_accept(actor=people["clerk"], materials=ALL, application_id=application_submit(
            actor=people["grid"], point_code=people["police"].code, person_id=p.pk, materials=ALL).pk)
        for p in people["persons"][:3])
    application_start_review(actor=reviewer, application_id=paused.pk)
    application_request_information(actor=reviewer, application_id=paused.pk, note="补充租赁合同")
    PermitApplication.objects.filter(pk=late.pk).update(due_on=today - dt.timedelta(days=2))
    PermitApplication.objects.filter(pk=paused.pk).update(due_on=today - dt.timedelta(days=9))
    with django_assert_num_queries(1):  # the overdue fill the page: the earliest deadline (paused) waits behind
        assert [a.pk for a in review_queue(user=reviewer, limit=1, today=today)] == [late.pk]
    with django_assert_num_queries(2):  # the overdue, then the rest by deadline
        shown = review_queue(user=reviewer, today=today)
    assert [a.pk for a in shown] == [late.pk, paused.pk, on_time.pk]
    assert [application_overdue(a, today) for a in shown] == [True, False, False]
    with django_assert_num_queries(0):  # what the page shows was read with it
        assert [(a.status, a.due_on, a.person.name) for a in shown] == [
            ("accepted", today - dt.timedelta(days=2), people["persons"][1].name),
            ("information_requested", today - dt.timedelta(days=9), people["persons"][2].name),
            ("accepted", today + dt.timedelta(days=15), people["persons"][0].name)]
    assert review_queue(user=people["luohu_reviewer"], today=today) == []
    assert review_queue(user=people["clerk"], today=today) == []


def test_review_approve_keeps_the_trace(people) -> None:
    app = submitted(people, materials=ALL)
    application_accept(actor=people["clerk"], application_id=app.pk, materials=ALL)
    assert [a.pk for a in review_queue(user=people["reviewer"])] == [app.pk]
    application_start_review(actor=people["reviewer"], application_id=app.pk)
    application_approve(actor=people["reviewer"], application_id=app.pk, note="材料齐全")
    app.refresh_from_db()
    assert (app.status, app.decided_by_id) == ("approved", people["reviewer"].pk)
    decision = Assessment.objects.get(pk=app.assessment_id)
    assert decision.purpose == "decision"
    assert decision.trace["outputs"]["eligible"] is True
    assert decision.trace["rules_version"] == RULES_VERSION
    assert "permit.continuity.min_days" in decision.trace["parameters"]
    assert Event.objects.filter(action="permit.application.approved").count() == 1


def test_information_request_pauses_the_clock(people) -> None:
    app = submitted(people, materials=ALL)
    application_accept(actor=people["clerk"], application_id=app.pk, materials=ALL)
    application_start_review(actor=people["reviewer"], application_id=app.pk)
    application_request_information(actor=people["reviewer"], application_id=app.pk, note="请补充劳动合同原件")
    PermitApplication.objects.filter(pk=app.pk).update(paused_at=timezone.now() - dt.timedelta(days=4))
    due = PermitApplication.objects.get(pk=app.pk).due_on
    application_provide_information(actor=people["resident"], application_id=app.pk, note="已补充")
    app.refresh_from_db()
    assert app.status == "in_review"
    assert app.due_on == due + dt.timedelta(days=4)
    assert app.paused_at is None


def test_refusal_needs_a_reason(people) -> None:
    app = submitted(people, materials=ALL)
    application_accept(actor=people["clerk"], application_id=app.pk, materials=ALL)
    application_start_review(actor=people["reviewer"], application_id=app.pk)
    with pytest.raises(ValidationError) as e:
        application_refuse(actor=people["reviewer"], application_id=app.pk, note=" ")
    assert e.value.field == "note"
    application_refuse(actor=people["reviewer"], application_id=app.pk, note="居住证明不实")
    app.refresh_from_db()
    assert (app.status, app.decision_note) == ("refused", "居住证明不实")


def test_refusals_at_submission_change_nothing(people) -> None:
    before = (PermitApplication.objects.count(), Assessment.objects.count())
    with pytest.raises(ValidationError) as e:  # a community station takes registrations only (SZ)
        application_submit(actor=people["resident"], point_code=people["station"].code)
    assert e.value.code == "point"
    with pytest.raises(ValidationError) as e:  # online, a resident applies for themselves only
        application_submit(actor=people["resident"], point_code=people["police"].code, relation="close_relative",
                           applicant_name="张三")
    assert e.value.code == "relation"
    adult = people["persons"][1]
    with pytest.raises(ValidationError) as e:  # someone else for a capable adult
        application_submit(actor=people["grid"], point_code=people["police"].code, person_id=adult.pk,
                           relation="close_relative", applicant_name="张三")
    assert e.value.code == "applicant"
    assert (PermitApplication.objects.count(), Assessment.objects.count()) == before
    with pytest.raises(NotFound):  # a reviewer of Luohu cannot file nor see a Yantian person
        application_submit(actor=people["luohu_reviewer"], point_code=people["police"].code, person_id=adult.pk)


def test_a_close_relative_applies_through_the_grid_worker_for_someone_who_cannot_come(people) -> None:
    elder = people["persons"][1]
    app = application_submit(actor=people["grid"], point_code=people["police"].code, person_id=elder.pk,
                             relation="close_relative", applicant_name="李小明", unable_to_attend=True)
    assert (app.channel, app.relation, app.applicant_name) == ("grid_worker", "close_relative", "李小明")
    assert app.assessment.outputs["applicant_accepted"] is True


def test_one_open_application_and_no_second_permit(people) -> None:
    submitted(people)
    with pytest.raises(ValidationError) as e:
        submitted(people)
    assert e.value.code == "open_application"
    other = people["persons"][2]
    Permit.objects.create(number="P-1", person=other, issued_on=timezone.localdate(), anchor_on=timezone.localdate(),
                          endorsement_due_on=timezone.localdate() + dt.timedelta(days=365), issuing_authority="派出所",
                          acceptance_point=people["police"], area_path="/440300/440308/", residence_address="x",
                          status_changed_at=timezone.now(), created_at=timezone.now())
    with pytest.raises(ValidationError) as e:
        application_submit(actor=people["clerk"], point_code="", person_id=other.pk)
    assert e.value.code == "has_permit"


def test_a_transition_the_workflow_does_not_allow_and_a_second_clerk(people) -> None:
    app = submitted(people, materials=ALL)
    with pytest.raises(ValidationError) as e:  # approve before acceptance
        application_start_review(actor=people["reviewer"], application_id=app.pk)
    assert e.value.code == "transition"
    application_accept(actor=people["clerk"], application_id=app.pk, materials=ALL)
    with pytest.raises(ValidationError) as e:  # a second clerk at the same point, a moment later
        application_accept(actor=people["clerk"], application_id=app.pk, materials=ALL)
    assert e.value.code == "transition"
    assert ApplicationStep.objects.filter(application=app).count() == 1


def test_scope_of_applications(people) -> None:
    app = submitted(people)
    for user in (people["resident"], people["clerk"], people["reviewer"], people["grid"]):
        assert application_get_for_user(user=user, application_id=app.pk).pk == app.pk
    with pytest.raises(NotFound):
        application_get_for_user(user=people["luohu_reviewer"], application_id=app.pk)
    other_point = AcceptancePoint.objects.filter(kind="police_station").exclude(pk=people["police"].pk) \
        .order_by("code").first()
    people["clerk"].acceptance_point_code = other_point.code
    with pytest.raises(NotFound):  # a clerk bound to another point
        application_get_for_user(user=people["clerk"], application_id=app.pk)


def test_withdrawal_by_the_applicant(people) -> None:
    app = submitted(people)
    application_withdraw(actor=people["resident"], application_id=app.pk, note="不办了")
    app.refresh_from_db()
    assert app.status == "withdrawn"
    submitted(people)  # a new one may follow
