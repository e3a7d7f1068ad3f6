"""The demo city's permits: applications in every status with the steps that led there (by the workflow's table),
permits valid, suspended, dormant and cancelled with their events, assessments with the rules version; evidence
and employers' reports (some late); the same seed gives the same rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from residence.demo.services import demo_city_generate
from residence.eligibility.models import Assessment
from residence.employment.models import Employment, Evidence
from residence.permits.lifecycle import CancelReason
from residence.permits.models import ApplicationStep, Permit, PermitApplication, PermitEvent
from residence.permits.workflow import Status, target
from residence_rules import RULES_VERSION

pytestmark = pytest.mark.django_db


def test_demo_permits_in_every_status(settings) -> None:
    settings.LOCALITY = "yantian"
    demo_city_generate(persons=1_500, seed=5, permits=True)
    today = timezone.localdate()
    assert set(PermitApplication.objects.values_list("status", flat=True)) == {s.value for s in Status}
    assert set(Permit.objects.values_list("status", flat=True)) == {"valid", "suspended", "dormant", "cancelled"}
    # every application's steps lead from "submitted" to its status, one allowed transition at a time
    steps: dict[int, list[tuple[str, str, str]]] = {}
    for app_id, transition, source, to in ApplicationStep.objects.order_by("at", "pk").values_list(
            "application_id", "transition", "source", "target"):
        steps.setdefault(app_id, []).append((transition, source, to))
    for app in PermitApplication.objects.all():
        current = "submitted"
        for transition, source, to in steps.get(app.pk, []):
            assert source == current, app.pk
            assert target(source, transition) == to
            current = to
        assert current == app.status, app.pk
        assert (app.accepted_at is not None) == any(t == "accept" for t, _s, _t in steps.get(app.pk, []))
        assert app.assessment_id is not None
    overdue = PermitApplication.objects.filter(status__in=["accepted", "in_review"], due_on__lt=today).count()
    assert 0 < overdue < PermitApplication.objects.filter(status__in=["accepted", "in_review"]).count()
    # permits: issued from an issued application; the lapsed ones missed their endorsement
    assert Permit.objects.exclude(application__status="issued").count() == 0
    for permit in Permit.objects.all():
        kinds = list(permit.events.order_by("at", "pk").values_list("kind", flat=True))
        assert kinds[0] == "issued"
        if permit.status == "suspended":
            assert permit.endorsement_due_on < today
            assert kinds[-1] == "suspended"
        if permit.status == "valid":
            assert permit.endorsement_due_on > today
        if permit.status == "cancelled":
            assert permit.cancel_reason in CancelReason.values
            assert kinds[-1] == "cancelled"
    assert PermitEvent.objects.filter(kind="restored").exists()
    assert Assessment.objects.exclude(rules_version=RULES_VERSION).count() == 0
    assert Assessment.objects.count() == PermitApplication.objects.count()
    assert Evidence.objects.exists()
    assert Employment.objects.filter(hire_late=True).exists()
    assert Employment.objects.filter(hire_late=False).exists()
    first = list(PermitApplication.objects.order_by("pk").values_list("person_id", "status")[:50])
    assert first
    assert all(isinstance(p, int) for p, _s in first)
    assert Permit.objects.filter(issued_on__gt=today).count() == 0
    assert PermitApplication.objects.filter(submitted_at__date__gt=today + dt.timedelta(days=1)).count() == 0


def test_demo_permits_have_their_cards_and_a_reissued_one(settings) -> None:
    from residence.permits.epermit.services import card_token, status_codes
    from residence.permits.epermit.statuslist import DORMANT, REVOKED, SUSPENDED, VALID
    from residence.permits.models import PermitCard

    settings.LOCALITY = "yantian"
    demo_city_generate(persons=1_500, seed=5, permits=True)
    cards = {(c.permit_number, c.seq): c for c in PermitCard.objects.all()}
    for number, seq in Permit.objects.values_list("number", "card_seq"):
        assert all((number, k) in cards for k in range(1, seq + 1))  # every card the permit had
    reissued = Permit.objects.filter(card_seq=2)
    assert reissued.exists()
    assert all(p.status == "valid" and p.events.filter(kind="reissued").exists() for p in reissued)
    codes = status_codes()
    old = cards[(reissued[0].number, 1)]
    assert codes[old.pk] == REVOKED  # the lost card
    assert codes[cards[(reissued[0].number, 2)].pk] == VALID
    by_status = {s: Permit.objects.filter(status=s, card_seq=1).values_list("number", flat=True).first()
                 for s in ("valid", "suspended", "dormant", "cancelled")}
    assert [codes[cards[(by_status[s], 1)].pk] for s in ("valid", "suspended", "dormant", "cancelled")] == [
        VALID, SUSPENDED, DORMANT, REVOKED]
    assert card_token(old)  # the demo's cards are signed by the active key
    assert cards[(reissued[0].number, 1)].name_masked == Permit.objects.get(
        number=reissued[0].number).person.name[0] + "*" * min(len(reissued[0].person.name) - 1, 4)
