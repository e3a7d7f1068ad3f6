"""Evidence and employers' reports: every refusal changes nothing; lateness from the rules; audit events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from residence.audit.models import Event
from residence.core.errors import NotFound, ValidationError
from residence.core.idnumber import check_character
from residence.employment.models import Employment, Evidence
from residence.employment.services import (
    employment_report_hire,
    employment_report_separation,
    evidence_record,
    evidence_withdraw,
)
from residence.people.models import Person
from residence.places.models import Obligor
from residence.registrations.models import Registration

pytestmark = pytest.mark.django_db

FIRST = "44030819900101001"
ID = FIRST + check_character(FIRST)


@pytest.fixture
def yantian_person(city) -> Person:
    return Person.objects.filter(registrations__ended_on__isnull=True,
                                 registrations__area_path__contains="/440308/").order_by("pk").first()


@pytest.fixture
def employer(city, make_user):
    user = make_user("boss", "employer", "")
    obligor = Obligor.objects.filter(kind="employer").order_by("pk").first()
    obligor.account = user
    obligor.save()
    return user, obligor


def _today() -> dt.date:
    return timezone.localdate()


def test_evidence_recorded_with_its_event(make_user, yantian_person) -> None:
    clerk = make_user("c", "clerk")
    e = evidence_record(actor=clerk, person_id=yantian_person.pk, kind="school_enrolment",
                        started_on=_today() - dt.timedelta(days=30), document=" 学籍证明  XJ-1 ",
                        school_level="secondary", full_time=True, safety_compliant=True)
    e.refresh_from_db()
    assert (e.kind, e.document, e.school_level, e.full_time, e.safety_compliant, e.ended_on, e.entered_by_id) == (
        "school_enrolment", "学籍证明 XJ-1", "secondary", True, False, None, clerk.pk)
    event = Event.objects.get(action="employment.evidence.recorded")
    assert (event.actor_id, event.subject_id, event.data) == (clerk.pk, str(yantian_person.pk),
                                                              {"evidence": e.pk, "kind": "school_enrolment"})


@pytest.mark.parametrize(("changes", "code"), [
    ({"kind": "horoscope"}, "kind"),
    ({"started_on": dt.timedelta(days=1)}, "future"),
    ({"ended_on": dt.timedelta(days=-20)}, "ended_before_started"),
    ({"kind": "school_enrolment"}, "school_level"),
    ({"document": "  "}, "document"),
])
def test_evidence_refusals_write_nothing(make_user, yantian_person, changes, code) -> None:
    clerk = make_user("c", "clerk")
    kwargs = {"kind": "lease", "started_on": _today() - dt.timedelta(days=10), "ended_on": None,
              "document": "租赁合同 ZL-9"}
    for k, v in changes.items():
        kwargs[k] = _today() + v if isinstance(v, dt.timedelta) else v
    with pytest.raises(ValidationError) as err:
        evidence_record(actor=clerk, person_id=yantian_person.pk, **kwargs)
    assert err.value.code == code
    assert not Evidence.objects.exists()
    assert not Event.objects.filter(action="employment.evidence.recorded").exists()


@pytest.mark.parametrize(("role", "district"), [("reviewer", "440308"), ("grid_worker", "440308"),
                                                ("clerk", "440303"), ("resident", "")])
def test_evidence_not_found_without_right_or_scope(make_user, yantian_person, role, district) -> None:
    user = make_user("u", role, district)
    with pytest.raises(NotFound):
        evidence_record(actor=user, person_id=yantian_person.pk, kind="lease", started_on=_today(),
                        document="x")
    assert not Evidence.objects.exists()


def test_evidence_withdrawn_once(make_user, yantian_person) -> None:
    clerk = make_user("c", "clerk")
    e = evidence_record(actor=clerk, person_id=yantian_person.pk, kind="lease", started_on=_today(),
                        document="租赁合同")
    with pytest.raises(ValidationError) as err:
        evidence_withdraw(actor=clerk, evidence_id=e.pk, reason="")
    assert err.value.code == "reason"
    with pytest.raises(NotFound):
        evidence_withdraw(actor=make_user("lh", "clerk", "440303"), evidence_id=e.pk, reason="录错")
    assert Evidence.objects.standing().count() == 1
    evidence_withdraw(actor=clerk, evidence_id=e.pk, reason="录错")
    assert Evidence.objects.standing().count() == 0
    with pytest.raises(ValidationError) as err:
        evidence_withdraw(actor=clerk, evidence_id=e.pk, reason="again")
    assert err.value.code == "withdrawn"
    assert Event.objects.filter(action="employment.evidence.withdrawn").count() == 1
    assert Event.objects.get(action="employment.evidence.withdrawn").data == {
        "evidence": e.pk, "kind": "lease", "reason": "录错"}


def test_hire_on_time_creates_the_person_then_separation_late(employer) -> None:
    user, obligor = employer
    today = _today()
    persons = Person.objects.count()
    job = employment_report_hire(actor=user, id_number=ID, name="王小明", hired_on=today - dt.timedelta(days=3))
    assert Person.objects.count() == persons + 1
    job.refresh_from_db()
    assert (job.employer_id, job.hire_due_on, job.hire_late, job.separated_on) == (
        obligor.pk, today, False, None)
    assert Event.objects.filter(action="person.created", actor_id=user.pk).count() == 1
    assert Event.objects.get(action="employment.hire.reported").data == {
        "employment": job.pk, "employer": obligor.pk, "late": False, "channel": "web"}
    left = today - dt.timedelta(days=2)
    done = employment_report_separation(actor=user, employment_id=job.pk, separated_on=left)
    done.refresh_from_db()
    assert (done.separated_on, done.separation_due_on, done.separation_late) == (left, left + dt.timedelta(days=3),
                                                                                 False)
    # a second hire of the same worker is a new employment; reported late
    again = employment_report_hire(actor=user, id_number=ID, name="王小明", hired_on=today - dt.timedelta(days=4))
    assert (again.hire_late, again.hire_due_on) == (True, today - dt.timedelta(days=1))
    assert Person.objects.count() == persons + 1


def test_hire_refusals_write_nothing(employer, yantian_person) -> None:
    user, _obligor = employer
    today = _today()
    job = employment_report_hire(actor=user, id_number=ID, name="王小明", hired_on=today)
    before = (Employment.objects.count(), Person.objects.count(), Event.objects.count())
    for kwargs, code in [({"hired_on": today + dt.timedelta(days=1)}, "future"),
                         ({"hired_on": dt.date(1980, 1, 1)}, "before_birth"),
                         ({}, "already_employed"), ({"name": "x"}, "name")]:
        with pytest.raises(ValidationError) as err:
            employment_report_hire(actor=user, **{"id_number": ID, "name": "王小明", "hired_on": today, **kwargs})
        assert err.value.code == code
    for kwargs, code in [({"separated_on": today + dt.timedelta(days=1)}, "future"),
                         ({"separated_on": today - dt.timedelta(days=1)}, "before_hire")]:
        with pytest.raises(ValidationError) as err:
            employment_report_separation(actor=user, employment_id=job.pk, **kwargs)
        assert err.value.code == code
    assert (Employment.objects.count(), Person.objects.count(), Event.objects.count()) == before
    assert Employment.objects.get(pk=job.pk).separated_on is None


def test_only_the_employer_reports_its_own(employer, make_user) -> None:
    user, _obligor = employer
    job = employment_report_hire(actor=user, id_number=ID, name="王小明", hired_on=_today())
    landlord = make_user("ll", "landlord", "")
    Obligor.objects.filter(pk=Obligor.objects.filter(kind="landlord").order_by("pk")[0].pk).update(account=landlord)
    other = make_user("boss2", "employer", "")
    Obligor.objects.filter(pk=Obligor.objects.filter(kind="employer").exclude(account=user).order_by("pk")[0].pk
                           ).update(account=other)
    for actor in (landlord, make_user("c", "clerk")):
        with pytest.raises(NotFound):
            employment_report_hire(actor=actor, id_number=ID, name="王小明", hired_on=_today())
    with pytest.raises(NotFound):
        employment_report_separation(actor=other, employment_id=job.pk, separated_on=_today())
    employment_report_separation(actor=user, employment_id=job.pk, separated_on=_today())
    with pytest.raises(ValidationError) as err:
        employment_report_separation(actor=user, employment_id=job.pk, separated_on=_today())
    assert err.value.code == "separated"
    assert Employment.objects.count() == 1


def test_evidence_feeds_the_situation(make_user, yantian_person) -> None:
    from residence.eligibility.situations import situations_for

    clerk = make_user("c", "clerk")
    start = dt.date(_today().year - 1, 3, 1)
    evidence_record(actor=clerk, person_id=yantian_person.pk, kind="labour_contract", started_on=start,
                    ended_on=start.replace(year=start.year + 2), document="劳动合同")
    assert situations_for([yantian_person.pk], _today())[yantian_person.pk]["labour_contract_months"] == 24
    assert Registration.objects.filter(person=yantian_person).exists()
