"""The permits' daily job: suspension, restoration by a late endorsement, dormancy and waking, reminders; run twice
on a day it changes nothing more."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone, translation

from residence.accounts.models import User
from residence.audit.models import Event
from residence.employment.models import Employment, Evidence
from residence.people.identity import reveal_phone
from residence.permits.lifecycle import permit_endorse
from residence.permits.models import Permit, PermitEvent, PermitNotice
from residence.permits.tasks import dormant_after_days, last_due_reminded, last_due_suspended, permits_daily
from residence.permits.tests.test_lifecycle import ALL, make_permit, years_ago
from residence.places.models import Obligor
from residence.registrations.models import Registration
from residence.workbench.schedule import jobs


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def yantian(settings) -> None:
    settings.LOCALITY = "yantian"  # dormancy is on there (30 days)


def test_the_thresholds_come_from_the_rules(settings) -> None:
    today = dt.date(2026, 3, 15)
    assert last_due_suspended(today) == dt.date(2026, 3, 14)  # suspended the day after the anniversary
    assert last_due_reminded(today) == dt.date(2026, 4, 15)  # the window opens a month before
    assert dormant_after_days(today) is None  # national rules: no dormancy
    settings.LOCALITY = "yantian"
    assert dormant_after_days(today) == 31  # more than 30 days


def test_the_worker_runs_it_daily() -> None:
    job = next(j for j in jobs() if j.name == "permits.daily")
    assert (job.every, job.run) == (24 * 3600, permits_daily)


def test_an_overdue_permit_is_suspended_once_and_a_late_endorsement_restores_it(people, sms_outbox) -> None:
    person = people["persons"][0]
    overdue = make_permit(person, people["police"], issued_on=years_ago(1, days=-1))
    due_today = make_permit(people["persons"][1], people["police"], issued_on=years_ago(1))
    assert permits_daily() == 2  # one suspended, one reminded (its window is open)
    overdue.refresh_from_db()
    due_today.refresh_from_db()
    assert (overdue.status, due_today.status) == ("suspended", "valid")
    assert list(PermitEvent.objects.filter(permit=overdue).values_list("kind", flat=True)) == ["suspended"]
    audit = Event.objects.get(action="permit.suspended")
    assert (audit.subject_id, audit.data, audit.actor_id) == (
        str(person.pk), {"permit": overdue.number, "day": timezone.localdate().isoformat()}, None)
    run = Event.objects.get(action="permit.daily.run")
    assert run.data == {"day": timezone.localdate().isoformat(), "suspended": 1, "dormant": 0, "activated": 0,
                        "reminded": 1, "texted": 1, "emailed": 0}
    # twice on a day: nothing more
    assert permits_daily() == 0
    assert PermitEvent.objects.filter(kind="suspended").count() == 1
    assert Event.objects.filter(action="permit.suspended").count() == 1
    assert len(sms_outbox) == 1
    # the late endorsement restores it; years count from today
    permit_endorse(actor=people["clerk"], permit_id=overdue.pk, materials=ALL)
    overdue.refresh_from_db()
    assert (overdue.status, overdue.anchor_on) == ("valid", timezone.localdate())
    assert list(PermitEvent.objects.filter(permit=overdue).order_by("pk").values_list("kind", flat=True)) == [
        "suspended", "restored"]
    assert permits_daily() == 0


def test_reminders_go_in_the_app_by_text_and_by_mail_when_an_address_is_known(people, sms_outbox) -> None:
    holder = people["persons"][0]
    permit = make_permit(holder, people["police"], issued_on=years_ago(1, days=10))
    far = make_permit(people["persons"][1], people["police"], issued_on=years_ago(0, days=-100))
    User.objects.filter(pk=people["resident"].pk).update(email="huang@example.cn")
    assert permits_daily() == 1
    notice = PermitNotice.objects.get()
    assert (notice.permit_id, notice.kind, notice.day, notice.texted, notice.emailed) == (
        permit.pk, "endorsement_due", permit.endorsement_due_on, True, True)
    # in the deployment's language (zh-hans), whatever the language of the request that ran the job
    text = (f"居住证 {permit.number}：请于 {permit.endorsement_due_on.isoformat()} 前办理年度签注，携带身份证和相关证明"
            f"到派出所或受理点办理。")
    assert sms_outbox == [(reveal_phone(holder.phone_enc), text)]
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [(["huang@example.cn"], "居住证签注提醒", text)]
    assert not PermitNotice.objects.filter(permit=far).exists()
    assert permits_daily() == 0  # once per due date
    assert (len(sms_outbox), len(mail.outbox)) == (1, 1)


def test_a_holder_without_e_mail_is_texted_only(people, sms_outbox) -> None:
    make_permit(people["persons"][1], people["police"], issued_on=years_ago(1, days=10))
    assert permits_daily() == 1
    assert (len(sms_outbox), len(mail.outbox)) == (1, 0)
    assert PermitNotice.objects.values_list("texted", "emailed").get() == (True, False)


def test_dormancy_and_waking(people, yantian, sms_outbox) -> None:
    holder = people["persons"][0]
    today = timezone.localdate()
    permit = make_permit(holder, people["police"], issued_on=years_ago(0, days=-200))
    Registration.objects.filter(person=holder).update(ended_on=today - dt.timedelta(days=30))
    assert permits_daily() == 0  # 30 days without a record: not yet
    Registration.objects.filter(person=holder).update(ended_on=today - dt.timedelta(days=31))
    employer = Obligor.objects.order_by("pk").first()
    job = Employment.objects.create(employer=employer, person=holder, hired_on=today - dt.timedelta(days=300),
                                    hire_reported_at=timezone.now(), hire_due_on=today - dt.timedelta(days=297),
                                    separated_on=today - dt.timedelta(days=20))
    assert permits_daily() == 0  # employed until 20 days ago
    Employment.objects.filter(pk=job.pk).update(separated_on=today - dt.timedelta(days=40))
    assert permits_daily() == 1
    permit.refresh_from_db()
    assert permit.status == "dormant"
    assert Event.objects.get(action="permit.dormant").data == {"permit": permit.number,
                                                              "day": today.isoformat(), "days": 31}
    assert permits_daily() == 0
    assert sms_outbox == []
    # a new registration wakes it, and the holder is told
    latest = Registration.objects.filter(person=holder).order_by("-started_on").first()
    Registration.objects.filter(pk=latest.pk).update(ended_on=None)
    assert permits_daily() == 1
    permit.refresh_from_db()
    assert permit.status == "valid"
    assert list(PermitEvent.objects.filter(permit=permit).order_by("pk").values_list("kind", flat=True)) == [
        "dormant", "activated"]
    assert sms_outbox == [(reveal_phone(holder.phone_enc), f"居住证 {permit.number} 已激活：已有居住登记或就业记录。")]
    assert PermitNotice.objects.values_list("kind", "day", "texted").get() == ("activated", today, True)
    assert permits_daily() == 0
    assert len(sms_outbox) == 1


def test_an_open_employment_keeps_a_permit_awake(people, yantian) -> None:
    holder = people["persons"][0]
    today = timezone.localdate()
    make_permit(holder, people["police"], issued_on=years_ago(0, days=-200))
    Registration.objects.filter(person=holder).update(ended_on=today - dt.timedelta(days=100))
    Employment.objects.create(employer=Obligor.objects.order_by("pk").first(), person=holder,
                              hired_on=today - dt.timedelta(days=300), hire_reported_at=timezone.now(),
                              hire_due_on=today - dt.timedelta(days=297))
    assert permits_daily() == 0
    assert Permit.objects.get().status == "valid"


def test_no_dormancy_where_the_rules_have_none(people) -> None:
    holder = people["persons"][0]
    make_permit(holder, people["police"], issued_on=years_ago(0, days=-200))
    Registration.objects.filter(person=holder).update(ended_on=timezone.localdate() - dt.timedelta(days=100))
    Evidence.objects.filter(person=holder).delete()
    assert permits_daily() == 0
    assert Permit.objects.get().status == "valid"


def test_cancelled_permits_are_left_alone(people) -> None:
    make_permit(people["persons"][0], people["police"], issued_on=years_ago(1, days=-5), status="cancelled")
    assert permits_daily() == 0
    assert Permit.objects.get().status == "cancelled"


def test_the_jobs_audit_events_seal_and_verify_like_any_other(people, django_capture_on_commit_callbacks) -> None:
    """The suspensions' audit events are written in bulk, tagged as `event_record` tags them: the chain verifies."""
    from residence.audit.selectors import chain_verify
    from residence.audit.services import audit_seal

    make_permit(people["persons"][0], people["police"], issued_on=years_ago(1, days=-1))
    make_permit(people["persons"][1], people["police"], issued_on=years_ago(1, days=-2), number="440308000000000077")
    assert permits_daily() == 2
    with django_capture_on_commit_callbacks(execute=True):  # the witness, as a real commit would write it
        assert audit_seal(grace_seconds=0) is not None
    report = chain_verify()
    assert (report.ok, report.unsealed) == (True, 0), report
    assert Event.objects.filter(action="permit.suspended").count() == 2
