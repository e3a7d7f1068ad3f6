"""The permits' daily job (`permits_daily`, run by the worker: workbench/schedule.py): the changes time makes.

1. Suspension: a permit not endorsed by its due date is suspended (Nat Art. 10).
2. Dormancy (where the locality switches it on, YT): a valid permit whose holder has had no registration in force
   and no open employment for the locality's days goes to sleep.
3. Waking: a dormant permit whose holder has a registration in force or an open employment again wakes up; the
   holder is told (in the app, by text message, by e-mail when their account has an address).
4. Reminders: the holder of a permit whose endorsement window has opened is reminded, once for each due date.

Set-based: each change is one `UPDATE … RETURNING` (both databases), then the permits' events and the audit events
are written in bulk; no per-row ORM loop. The thresholds come from the rules: the engine is asked, over a column of
candidate days, which due dates are past (suspension), from which count of days a permit sleeps, and which due dates'
windows have opened. Running it twice on a day changes nothing the second time: the updates only match permits not
yet changed, and a notice is claimed by its unique key (permit, kind, day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Kind
from residence.audit.services import event_record, events_record_bulk
from residence.core.bulk import bulk_insert, bulk_insert_new, json_value
from residence.core.rules import locality
from residence.core.sms import sms_send
from residence.employment.models import Employment
from residence.people.identity import reveal_phone
from residence.people.models import Person
from residence.permits.models import Permit, PermitEvent, PermitNotice, PermitStatus
from residence.registrations.models import Registration, RegistrationStatus
from residence_rules import evaluate

SPAN_DAYS = 800  # the candidate days the engine is asked about, either side of today (not a rule: a search range)


# --- the thresholds, from the rules -------------------------------------------------------------------------------
def _days(start: dt.date, count: int) -> Any:
    return np.arange(np.datetime64(start, "D"), np.datetime64(start, "D") + count)


def _day(value: Any) -> dt.date:
    return value.astype("datetime64[D]").astype(dt.date)  # type: ignore[no-any-return]


def last_due_suspended(today: dt.date) -> dt.date | None:
    """The latest due date whose permit, not endorsed, the rules find suspended today (None: none in range)."""
    return _last_due_suspended(today, locality())


@lru_cache(maxsize=8)  # the rules are loaded once per process: the answer holds for the day and the locality
def _last_due_suspended(today: dt.date, where: str) -> dt.date | None:
    days = _days(today - dt.timedelta(days=SPAN_DAYS), 2 * SPAN_DAYS + 1)
    result = evaluate(["permit_suspended"], {"endorsement_due_date": days,
                                             "endorsement_allowed": np.zeros(len(days), dtype=bool)},
                      today, where, overrides=("endorsement_due_date", "endorsement_allowed"))
    hits = np.flatnonzero(result["permit_suspended"])
    return _day(days[int(hits.max())]) if hits.size else None


def last_due_reminded(today: dt.date) -> dt.date | None:
    """The latest due date whose endorsement window the rules have opened by today."""
    days = _days(today, SPAN_DAYS + 1)
    result = evaluate(["endorsement_window_start"], {"endorsement_due_date": days}, today, locality(),
                      overrides=("endorsement_due_date",))
    opened = np.flatnonzero(result["endorsement_window_start"] <= np.datetime64(today))
    return _day(days[int(opened.max())]) if opened.size else None


def dormant_after_days(today: dt.date) -> int | None:
    """The fewest days without a registration or employment after which the rules put a permit to sleep (None:
    dormancy is off in this locality, or longer than the range asked)."""
    counts = np.arange(0, 2 * SPAN_DAYS)
    result = evaluate(["permit_dormant"], {"days_without_active_record": counts}, today, locality())
    hits = np.flatnonzero(result["permit_dormant"])
    return int(counts[hits.min()]) if hits.size else None


# --- writing in bulk ----------------------------------------------------------------------------------------------
def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _update_returning(sql: str, params: Sequence[Any]) -> list[tuple[int, int, str]]:
    """Run an UPDATE … RETURNING id, person_id, number; the (permit, person, number) changed."""
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return [(int(r[0]), int(r[1]), str(r[2])) for r in cur.fetchall()]


def _events(rows: list[tuple[int, int, str]], kind: str, at: dt.datetime, data: dict[str, Any], action: str) -> None:
    """The permits' events and one audit event each, in bulk."""
    if not rows:
        return
    bulk_insert(PermitEvent, ["permit_id", "kind", "at", "actor_id", "data"],
                ((pid, kind, at, None, json_value(data)) for pid, _person, _number in rows))
    events_record_bulk(action=action, occurred_at=at,
                       subjects=(("person", person_id, {"permit": number, **data}) for _pid, person_id, number in rows))


_ACTIONS = {  # the audit action of each change the job makes (catalogued in audit/actions.py)
    PermitEvent.Kind.SUSPENDED: "permit.suspended",
    PermitEvent.Kind.DORMANT: "permit.dormant",
    PermitEvent.Kind.ACTIVATED: "permit.activated",
}


def permits_suspend(*, today: dt.date, now: dt.datetime) -> list[tuple[int, int, str]]:
    """Suspend every valid or dormant permit whose endorsement is overdue by the rules."""
    last = last_due_suspended(today)
    if last is None:
        return []
    t = _q(Permit._meta.db_table)
    rows = _update_returning(
        f"UPDATE {t} SET status = %s, status_changed_at = %s WHERE status IN (%s, %s) AND endorsement_due_on <= %s "
        f"RETURNING id, person_id, number",
        [PermitStatus.SUSPENDED, now, PermitStatus.VALID, PermitStatus.DORMANT, last])
    _events(rows, PermitEvent.Kind.SUSPENDED, now, {"day": today.isoformat()}, _ACTIONS[PermitEvent.Kind.SUSPENDED])
    return rows


def _record_since(cutoff_param: bool) -> str:
    """SQL: the holder has a registration not withdrawn and not ended (or, with a cutoff, ended after it), or such an
    employment."""
    p, r, e = _q(Permit._meta.db_table), _q(Registration._meta.db_table), _q(Employment._meta.db_table)
    after = " OR r.ended_on > %s" if cutoff_param else ""
    left = " OR e.separated_on > %s" if cutoff_param else ""
    return (f"(EXISTS (SELECT 1 FROM {r} r WHERE r.person_id = {p}.person_id AND r.status <> %s "
            f"AND (r.ended_on IS NULL{after})) "
            f"OR EXISTS (SELECT 1 FROM {e} e WHERE e.person_id = {p}.person_id AND (e.separated_on IS NULL{left})))")


def permits_sleep(*, today: dt.date, now: dt.datetime) -> list[tuple[int, int, str]]:
    """Put to sleep the valid permits whose holders have had no registration in force and no open employment for
    the rules' days (where dormancy is on)."""
    days = dormant_after_days(today)
    if days is None:
        return []
    cutoff = today - dt.timedelta(days=days)  # the last day with a record was on or before this day
    t = _q(Permit._meta.db_table)
    rows = _update_returning(
        f"UPDATE {t} SET status = %s, status_changed_at = %s WHERE status = %s AND anchor_on <= %s "
        f"AND NOT {_record_since(True)} RETURNING id, person_id, number",
        [PermitStatus.DORMANT, now, PermitStatus.VALID, cutoff, RegistrationStatus.CANCELLED, cutoff, cutoff])
    _events(rows, PermitEvent.Kind.DORMANT, now, {"day": today.isoformat(), "days": days},
            _ACTIONS[PermitEvent.Kind.DORMANT])
    return rows


def permits_wake(*, today: dt.date, now: dt.datetime) -> list[tuple[int, int, str]]:
    """Wake the dormant permits whose holders have a registration in force or an open employment again."""
    t = _q(Permit._meta.db_table)
    rows = _update_returning(
        f"UPDATE {t} SET status = %s, status_changed_at = %s WHERE status = %s AND {_record_since(False)} "
        f"RETURNING id, person_id, number",
        [PermitStatus.VALID, now, PermitStatus.DORMANT, RegistrationStatus.CANCELLED])
    _events(rows, PermitEvent.Kind.ACTIVATED, now, {"day": today.isoformat()}, _ACTIONS[PermitEvent.Kind.ACTIVATED])
    return rows


def reminders_claim(*, today: dt.date, now: dt.datetime) -> list[tuple[int, int]]:
    """Claim a reminder for every valid or dormant permit whose endorsement window is open and has none for its due
    date yet; returns the (notice, permit) claimed."""
    last = last_due_reminded(today)
    if last is None:
        return []
    p, n = _q(Permit._meta.db_table), _q(PermitNotice._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {n} (permit_id, kind, day, texted, emailed, created_at) "
                    f"SELECT p.id, %s, p.endorsement_due_on, %s, %s, %s FROM {p} p "
                    f"WHERE p.status IN (%s, %s) AND p.endorsement_due_on >= %s AND p.endorsement_due_on <= %s "
                    f"ON CONFLICT (permit_id, kind, day) DO NOTHING RETURNING id, permit_id",
                    [PermitNotice.Kind.ENDORSEMENT_DUE, False, False, now, PermitStatus.VALID, PermitStatus.DORMANT,
                     today, last])
        return [(int(r[0]), int(r[1])) for r in cur.fetchall()]


def _tell(claimed: list[tuple[int, int]], kind: str) -> tuple[int, int]:
    """Text and e-mail the holders of the permits about the notices (notice, permit) of `kind` just claimed, a chunk
    at a time; mark what was sent. Returns (texted, e-mailed)."""
    texted = emailed = 0
    for start in range(0, len(claimed), TELL_CHUNK):
        t, e = _tell_chunk(claimed[start:start + TELL_CHUNK], kind)
        texted, emailed = texted + t, emailed + e
    return texted, emailed


TELL_CHUNK = 2_000


def _tell_chunk(claimed: list[tuple[int, int]], kind: str) -> tuple[int, int]:
    notice_of = {permit: notice for notice, permit in claimed}
    permit_ids = list(notice_of)
    permits = list(Permit.objects.filter(pk__in=permit_ids).values_list("pk", "person_id", "number",
                                                                        "endorsement_due_on"))
    person_ids = [person for _pk, person, _n, _d in permits]
    phones = dict(Person.objects.filter(pk__in=person_ids).exclude(phone_enc=None).values_list("pk", "phone_enc"))
    emails = dict(User.objects.filter(person_id__in=person_ids, kind=Kind.RESIDENT, is_active=True)
                  .exclude(email="").values_list("person_id", "email"))
    texted, mails = [], []
    with translation.override(settings.LANGUAGE_CODE):
        for pk, person, number, due in sorted(permits):
            if kind == PermitNotice.Kind.ENDORSEMENT_DUE:
                subject = _("Residence permit: endorsement due")
                text = _("Residence permit %(number)s: the yearly endorsement is due by %(due)s. Bring your ID card "
                         "and proofs to a police station or acceptance point.") % {"number": number,
                                                                                  "due": due.isoformat()}
            else:
                subject = _("Residence permit: in use again")
                text = _("Residence permit %(number)s is in use again: a registration or employment is on record."
                         ) % {"number": number}
            enc = phones.get(person)
            phone = reveal_phone(bytes(enc)) if enc else ""
            if phone:
                sms_send(phone=phone, text=text)
                texted.append(pk)
            if emails.get(person):
                mails.append((subject, text, None, [emails[person]]))
    emailed = [pk for pk, person, _n, _d in permits if emails.get(person)]
    if mails:
        send_mass_mail(mails, fail_silently=False)
    if texted:
        PermitNotice.objects.filter(pk__in=[notice_of[pk] for pk in texted]).update(texted=True)
    if emailed:
        PermitNotice.objects.filter(pk__in=[notice_of[pk] for pk in emailed]).update(emailed=True)
    return len(texted), len(emailed)


def permits_daily(*, today: dt.date | None = None) -> int:
    """The day's changes (see the module's words); returns how many permits changed or were reminded."""
    now = timezone.now()
    today = today or timezone.localdate(now)
    with transaction.atomic():
        suspended = permits_suspend(today=today, now=now)
        sleeping = permits_sleep(today=today, now=now)
        woken = permits_wake(today=today, now=now)
        woken_ids = [pid for pid, _person, _number in woken]
        told = bulk_insert_new(PermitNotice, ["permit_id", "kind", "day", "texted", "emailed", "created_at"],
                               [(pid, PermitNotice.Kind.ACTIVATED, today, False, False, now) for pid in woken_ids],
                               conflict=["permit_id", "kind", "day"], returning=("id", "permit_id"))
        reminded = reminders_claim(today=today, now=now)
        texted, emailed = _tell(told, PermitNotice.Kind.ACTIVATED)
        r_texted, r_emailed = _tell(reminded, PermitNotice.Kind.ENDORSEMENT_DUE)
        counts = {"suspended": len(suspended), "dormant": len(sleeping), "activated": len(woken),
                  "reminded": len(reminded), "texted": texted + r_texted, "emailed": emailed + r_emailed}
        if any(counts.values()):
            event_record(actor=None, action="permit.daily.run", subject_type="job", subject_id="permits.daily",
                         data={"day": today.isoformat(), **counts})
    if (suspended or sleeping or woken) and connection.vendor == "postgresql" and not connection.in_atomic_block:
        # the lapsed report counts from the (area_path, status) index alone: keep the visibility map fresh after a
        # run that changed statuses, rather than wait for autovacuum (about a second at a million permits)
        with connection.cursor() as cur:
            cur.execute(f"VACUUM (ANALYZE) {_q(Permit._meta.db_table)}")
    return len(suspended) + len(sleeping) + len(woken) + len(reminded)
