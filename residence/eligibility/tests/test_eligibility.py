"""Eligibility from the database: records become the rules' inputs, assessments are stored with their rules
version, and `residence rules explain --person` explains a person in words."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from residence.audit.models import Event
from residence.cli import routed
from residence.eligibility.models import Assessment
from residence.eligibility.selectors import assessment_explain
from residence.eligibility.services import assessments_run
from residence.eligibility.situations import from_json, months_between, situation_from, to_json
from residence.employment.models import Evidence
from residence.people.models import Person
from residence.registrations.models import Registration
from residence_rules import RULES_VERSION

DAY = dt.date(2026, 6, 30)


def ev(kind: str, start: dt.date, end: dt.date | None = None, **kw) -> Evidence:
    return Evidence(kind=kind, started_on=start, ended_on=end, document="doc", entered_at=timezone.now(), **kw)


def test_months_between() -> None:
    assert months_between(dt.date(2026, 1, 31), dt.date(2026, 2, 28)) == 0
    assert months_between(dt.date(2026, 1, 15), dt.date(2026, 4, 15)) == 3
    assert months_between(dt.date(2026, 4, 15), dt.date(2026, 1, 15)) == 0


def test_records_become_inputs() -> None:
    situation = situation_from(
        birth_date=dt.date(1990, 7, 1),
        registrations=[(dt.date(2025, 1, 1), None, "/440300/440308/440308001/440308001001/"),
                       (dt.date(2027, 1, 1), None, "/440300/440303/")],  # starts after the day: not seen
        evidence=[ev("social_insurance", dt.date(2025, 1, 1), dt.date(2025, 4, 1)),
                  ev("social_insurance", dt.date(2026, 3, 1)),  # open: counted to the day
                  ev("labour_contract", dt.date(2026, 1, 1)),  # no end date: open-ended
                  ev("lease", dt.date(2026, 1, 1), dt.date(2026, 12, 31), safety_compliant=True),
                  ev("school_enrolment", dt.date(2020, 9, 1), dt.date(2024, 6, 30), school_level="university",
                     full_time=True),  # ended: not in force
                  ev("talent_scheme", dt.date(2026, 7, 1))],  # starts after the day
        as_of=DAY)
    assert situation == {
        "registration_intervals": [{"from": dt.date(2025, 1, 1), "to": None, "area": "440308",
                                    "kind": "registration"}],
        "person_age": 35, "social_insurance_months": 3 + 3, "labour_contract_months": 120,
        "housing": "rental", "housing_safety_compliant": True, "has_lease": True}
    assert from_json(to_json(situation)) == situation


@pytest.mark.django_db
def test_batch_assessments_are_stored_with_the_rules_version(city) -> None:
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True)[:50])
    made = assessments_run(person_ids=ids, as_of=DAY, purpose="batch")
    assert [a.person_id for a in made] == ids
    stored = Assessment.objects.filter(purpose="batch")
    assert stored.count() == 50
    assert set(stored.values_list("rules_version", flat=True)) == {RULES_VERSION}
    assert not stored.filter(trace__isnull=False).exists()  # traces are kept for decisions only
    one = stored.get(person_id=ids[0])
    regs = Registration.objects.standing().filter(person_id=ids[0], started_on__lte=DAY)
    assert len(one.inputs["registration_intervals"]) == regs.count()
    assert one.eligible is bool(one.outputs["eligible"])
    assert Event.objects.filter(action="eligibility.batch.assessed").count() == 1
    text = assessment_explain(assessment=one, lang="en")
    assert text.splitlines()[0].startswith(f"situation 'person {ids[0]}' — as of 2026-06-30")
    assert "continuous_days" in text


@pytest.mark.django_db
def test_explain_a_person_from_the_command_line(city, capsys) -> None:
    person = Person.objects.order_by("pk").first()
    argv = routed(["residence", "rules", "explain", "--person", str(person.pk), "--as-of", "2026-06-30",
                   "--lang", "zh"])
    assert argv[1] == "explain_person"
    call_command(*argv[1:])
    out = capsys.readouterr().out
    assert "连续居住登记" in out
    assert f"rules version {RULES_VERSION}" in out
    assert Assessment.objects.filter(person=person, purpose="check").count() == 1
    assert Event.objects.filter(action="eligibility.explained", subject_id=str(person.pk)).count() == 1


def test_the_rules_alone_say_where_person_is_answered() -> None:
    from residence_rules.cli import main as rules_main

    out = io.StringIO()
    assert rules_main(["explain", "--person", "1", "--as-of", "2026-06-30"], stdout=out) == 2
    assert "needs the database" in out.getvalue()
