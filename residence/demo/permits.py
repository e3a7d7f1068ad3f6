"""Evidence, employment and residence permits in the demo city, written set-based after the registrations.

- Evidence for about a third of the persons: labour contracts mostly, social insurance, leases (some meeting the
  safety rules), business licences, school enrolments (with their level); a few withdrawn.
- Employers' reports: hires at the employers (some separated since), the deadline and lateness from the rules
  (`employment.services.reports_due`, one engine call per kind of event), about one report in eight late.
- Permit applications in every status of `permits.workflow` (submitted … issued, withdrawn), each with the steps
  that brought it there (`ApplicationStep`, checked against the workflow's table), the issue deadline from the rules
  (`permits.services.issue_due_on`'s formula, asked for the whole batch), some overdue, some paused for information.
- Permits from the issued applications: valid (endorsed each year), suspended (an endorsement missed: lapsed),
  restored by a late endorsement, dormant, cancelled, each with its events (`PermitEvent`); about one valid permit in
  ten had its card reported lost and reissued (card 2, its first card revoked).
- The cards (`PermitCard`) of every permit, as the print sheet makes them (the first card on the issue day, a
  reissued card on the reissue day), so that the e-permit's status list and tokens name them.
- An assessment with the rules version for every application (`eligibility.services.assessments_run`, one batch).

Everything is drawn from one generator seeded from the city's seed, so that the same seed gives the same city; rows
go through `core.bulk.bulk_insert` with ids assigned here (COPY on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from django.utils import timezone

from residence.core.bulk import bulk_insert, json_value, next_id, reset_sequence
from residence.core.rules import locality
from residence.eligibility.models import Assessment, Purpose
from residence.eligibility.services import assessments_run
from residence.employment.models import Employment, Evidence, SchoolLevel
from residence.employment.services import HIRE, SEPARATION, reports_due
from residence.people.identity import mask_name
from residence.people.models import Person
from residence.permits.epermit.keys import permit_keys
from residence.permits.epermit.services import CARD_YEARS
from residence.permits.lifecycle import CancelReason, fee_due
from residence.permits.models import ApplicationStep, Permit, PermitApplication, PermitCard, PermitEvent
from residence.permits.workflow import Status, Transition, target
from residence.places.models import AcceptancePoint, Obligor, ObligorKind
from residence.registrations.models import Registration
from residence_rules import evaluate

S, T = Status, Transition
D = TypeVar("D", dt.date, dt.datetime)
# how an application came to each status: the transitions from "submitted"
PATHS: dict[Status, tuple[Transition, ...]] = {
    S.SUBMITTED: (),
    S.ACCEPTED: (T.ACCEPT,),
    S.IN_REVIEW: (T.ACCEPT, T.START_REVIEW),
    S.INFORMATION_REQUESTED: (T.ACCEPT, T.START_REVIEW, T.REQUEST_INFORMATION),
    S.APPROVED: (T.ACCEPT, T.START_REVIEW, T.APPROVE),
    S.REFUSED: (T.ACCEPT, T.START_REVIEW, T.REFUSE),
    S.IN_PRODUCTION: (T.ACCEPT, T.START_REVIEW, T.APPROVE, T.PRODUCE),
    S.READY: (T.ACCEPT, T.START_REVIEW, T.APPROVE, T.PRODUCE, T.MAKE_READY),
    S.ISSUED: (T.ACCEPT, T.START_REVIEW, T.APPROVE, T.PRODUCE, T.MAKE_READY, T.ISSUE),
    S.WITHDRAWN: (T.ACCEPT, T.WITHDRAW),
}
# shares of the open and recent applications by status (the issued ones are the permits, drawn apart)
_OPEN_SHARES = {S.SUBMITTED: .18, S.ACCEPTED: .14, S.IN_REVIEW: .2, S.INFORMATION_REQUESTED: .08, S.APPROVED: .08,
                S.REFUSED: .08, S.IN_PRODUCTION: .08, S.READY: .08, S.WITHDRAWN: .08}
_PERMIT_STATUSES = np.array(["valid", "suspended", "restored", "dormant", "cancelled"])
_PERMIT_P = [.72, .1, .05, .06, .07]
_CANCEL_REASONS = np.array(CancelReason.values)
_EVIDENCE = np.array(["labour_contract", "social_insurance", "lease", "business_licence", "school_enrolment",
                      "home_ownership", "employer_dormitory"])
_EVIDENCE_P = [.4, .2, .2, .06, .06, .04, .04]
_DOCS = {"labour_contract": "劳动合同", "social_insurance": "社保缴费证明", "lease": "房屋租赁合同",
         "business_licence": "营业执照", "school_enrolment": "学籍证明", "home_ownership": "不动产权证书",
         "employer_dormitory": "单位宿舍证明"}
_REFUSALS = ["连续居住未满半年", "未提供合法稳定就业证明", "材料与登记信息不符"]
_INFO_NOTES = ["请补充近六个月社保缴费证明", "请提供房屋租赁合同原件", "请补充单位出具的在职证明"]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of a day, local time, never later than now (a step "today" happened already); in UTC, as the rows
    are written without Django's conversion."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour % 24, minute % 60)))
    return min(moment, timezone.now()).astimezone(dt.UTC)


def demo_permits_generate(*, seed: int, persons: tuple[int, int], today: dt.date,
                          progress: Callable[[str], None] = lambda _m: None) -> dict[str, int]:
    """Write the evidence, employment, applications, permits and assessments of the persons with ids in
    [persons[0], persons[1]). Returns how many of each were written."""
    rng = np.random.default_rng(seed + 2_000_003)
    p_lo, p_hi = persons
    counts = {"evidence": _evidence_write(rng, p_lo, p_hi, today),
              "employment": _employment_write(rng, p_lo, p_hi, today)}
    progress(f"{counts['evidence']:,} evidence records, {counts['employment']:,} employments reported")
    counts.update(_permits_write(rng, p_lo, p_hi, today))
    progress(f"{counts['applications']:,} permit applications in every status, {counts['permits']:,} permits, "
             f"{counts['assessments']:,} assessments")
    return counts


# --- evidence ----------------------------------------------------------------------------------------------
def _evidence_write(rng: np.random.Generator, p_lo: int, p_hi: int, today: dt.date) -> int:
    n_persons = p_hi - p_lo
    who = p_lo + np.flatnonzero(rng.random(n_persons) < .35)
    kinds = rng.choice(_EVIDENCE, size=len(who), p=_EVIDENCE_P)
    start_days = rng.integers(30, 5 * 365, size=len(who))
    term_days = rng.integers(365, 4 * 365, size=len(who))
    open_ended = rng.random(len(who)) < .25
    safe = rng.random(len(who)) < .8
    levels = rng.choice(np.array(SchoolLevel.values), size=len(who))
    withdrawn = rng.random(len(who)) < .02
    now = timezone.now()
    e0 = next_id(Evidence)
    rows = []
    for i, (pid, kind) in enumerate(zip(who.tolist(), kinds.tolist(), strict=True)):
        start = today - dt.timedelta(days=int(start_days[i]))
        end = None if open_ended[i] and kind != "social_insurance" else start + dt.timedelta(days=int(term_days[i]))
        if kind == "social_insurance":  # months paid up to now, or up to when the person stopped
            end = min(end, today) if end else today
        school = str(levels[i]) if kind == "school_enrolment" else ""
        housing = kind in ("lease", "home_ownership", "employer_dormitory")
        rows.append((e0 + i, pid, kind, start, end, f"{_DOCS[kind]} {pid:07d}-{i % 97:02d}",
                     bool(safe[i]) and housing, school, kind == "school_enrolment", None, None, now,
                     now if withdrawn[i] else None))
    written = bulk_insert(Evidence, ["id", "person_id", "kind", "started_on", "ended_on", "document",
                                     "safety_compliant", "school_level", "full_time", "employer_id", "entered_by_id",
                                     "entered_at", "withdrawn_at"], rows)
    reset_sequence(Evidence)
    return written


# --- employers' reports ------------------------------------------------------------------------------------
def _employment_write(rng: np.random.Generator, p_lo: int, p_hi: int, today: dt.date) -> int:
    employers = list(Obligor.objects.filter(kind=ObligorKind.EMPLOYER).order_by("pk").values_list("pk", flat=True))
    if not employers:
        return 0
    n_persons = p_hi - p_lo
    who = p_lo + np.flatnonzero(rng.random(n_persons) < .12)
    m = len(who)
    employer = np.array(employers)[rng.integers(0, len(employers), size=m)]
    hired = [today - dt.timedelta(days=int(d)) for d in rng.integers(1, 3 * 365, size=m)]
    hire_delay = np.where(rng.random(m) < .12, rng.integers(4, 30, size=m), rng.integers(0, 3, size=m))
    left = rng.random(m) < .3
    stay_days = rng.integers(0, 900, size=m)
    sep_delay = np.where(rng.random(m) < .12, rng.integers(4, 30, size=m), rng.integers(0, 3, size=m))
    hire_entered = [min(h + dt.timedelta(days=int(d)), today) for h, d in zip(hired, hire_delay.tolist(), strict=True)]
    separated: list[dt.date | None] = [
        min(h + dt.timedelta(days=int(s)), today) if left[i] else None
        for i, (h, s) in enumerate(zip(hired, stay_days.tolist(), strict=True))]
    sep_entered = [min(s + dt.timedelta(days=int(d)), today) if s else None
                   for s, d in zip(separated, sep_delay.tolist(), strict=True)]
    hire_due = reports_due(HIRE, list(zip(hired, hire_entered, strict=True)))
    pairs = [(i, s, e) for i, (s, e) in enumerate(zip(separated, sep_entered, strict=True)) if s and e]
    sep_due = dict(zip([i for i, _s, _e in pairs], reports_due(SEPARATION, [(s, e) for _i, s, e in pairs]),
                       strict=True))
    j0 = next_id(Employment)
    rows = []
    for i in range(m):
        due, late = hire_due[i]
        s_due, s_late = sep_due.get(i, (None, False))
        entered = sep_entered[i]
        rows.append((j0 + i, int(employer[i]), int(who[i]), hired[i], _at(hire_entered[i], 9 + i % 9), due, late,
                     separated[i], _at(entered, 10 + i % 8) if entered else None, s_due, s_late, None))
    written = bulk_insert(Employment, ["id", "employer_id", "person_id", "hired_on", "hire_reported_at",
                                       "hire_due_on", "hire_late", "separated_on", "separation_reported_at",
                                       "separation_due_on", "separation_late", "reported_by_id"], rows)
    reset_sequence(Employment)
    return written


# --- applications and permits ------------------------------------------------------------------------------
def _candidates(p_lo: int, p_hi: int) -> list[tuple[int, str, str]]:
    """(person, area path, address) of each person with a registration in force, first one by person."""
    seen: dict[int, tuple[int, str, str]] = {}
    for pid, path, road, plate, label in (
            Registration.objects.current().filter(person_id__gte=p_lo, person_id__lt=p_hi)
            .order_by("person_id", "pk")
            .values_list("person_id", "area_path", "unit__building__road", "unit__building__door_plate",
                         "unit__label")):
        seen.setdefault(pid, (pid, path, f"{road}{plate}{label}室"))
    return list(seen.values())


def _points() -> dict[str, list[tuple[int, str]]]:
    """Acceptance points that take applications (police stations, street offices) by district code."""
    by_district: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pk, name, code in (AcceptancePoint.objects.filter(kind="police_station").order_by("code")
                           .values_list("pk", "name", "jurisdiction__code")):
        by_district[code[:6]].append((pk, name))
    return by_district


def _due_dates(accepted: list[dt.date]) -> list[dt.date]:
    """The issue deadline of each acceptance day, by the rules (one engine call)."""
    if not accepted:
        return []
    result = evaluate(["issue_due_date"], [{"accepted_date": d} for d in accepted], max(accepted), locality())
    return [result.value("issue_due_date", i) for i in range(len(accepted))]


def _contracts_write(persons: list[tuple[int, dt.date]]) -> int:
    """A labour contract for each (person, day applied): from two years before the application, for three years."""
    e0, now = next_id(Evidence), timezone.now()
    written = bulk_insert(Evidence, ["id", "person_id", "kind", "started_on", "ended_on", "document",
                                     "safety_compliant", "school_level", "full_time", "entered_at"],
                          ((e0 + i, pid, "labour_contract", applied - dt.timedelta(days=730),
                            applied + dt.timedelta(days=365), f"劳动合同 HT-{pid:07d}", False, "", False, now)
                           for i, (pid, applied) in enumerate(persons)))
    reset_sequence(Evidence)
    return written


def _add_years(day: D, years: int) -> D:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _permits_write(rng: np.random.Generator, p_lo: int, p_hi: int, today: dt.date) -> dict[str, int]:
    candidates = _candidates(p_lo, p_hi)
    points = _points()
    candidates = [c for c in candidates if points.get(c[1].split("/")[2] if c[1].count("/") > 2 else "")]
    if not candidates:
        return {"applications": 0, "permits": 0, "assessments": 0, "steps": 0, "permit_events": 0}
    order = rng.permutation(len(candidates))
    n_permits = max(len(_PERMIT_STATUSES) * 2, len(candidates) * 7 // 100)
    n_open = max(len(_OPEN_SHARES) * 3, len(candidates) * 8 // 100)
    chosen = [candidates[i] for i in order[:n_permits + n_open].tolist()]
    open_status = list(_OPEN_SHARES)
    # every status at least thrice, the rest by the shares
    statuses: list[Status] = [s for s in open_status for _k in range(3)]
    statuses += list(rng.choice(np.array(open_status), size=max(0, n_open - len(statuses)),
                                p=list(_OPEN_SHARES.values())))
    statuses = [Status(s) for s in statuses[:n_open]] + [S.ISSUED] * (len(chosen) - n_open)
    permit_kind = [str(k) for k in _PERMIT_STATUSES] + [str(k) for k in rng.choice(_PERMIT_STATUSES,
                                                                                  size=len(chosen), p=_PERMIT_P)]
    # the timeline of each application: submitted, then each step a few days later
    a0, s0 = next_id(PermitApplication), next_id(ApplicationStep)
    issued_days = rng.integers(20, 5 * 365, size=len(chosen))
    open_days = rng.integers(0, 12, size=len(chosen))  # within the deadline, but for the overdue third
    gaps = rng.integers(0, 4, size=(len(chosen), 7))
    channels = rng.choice(np.array(["online", "counter", "grid_worker"]), size=len(chosen), p=[.45, .4, .15])
    bases = rng.choice(np.array(["employment", "residence", "none"]), size=len(chosen), p=[.6, .3, .1])
    apps: list[list[Any]] = []
    steps: list[tuple[Any, ...]] = []
    accepted_days: list[dt.date] = []
    issued_seen = 0
    for i, ((pid, path, address), status) in enumerate(zip(chosen, statuses, strict=True)):
        point_id, point_name = points[path.split("/")[2]][i % len(points[path.split("/")[2]])]
        if status == S.ISSUED:  # a permit that lapsed was issued more than a year (restored: two) ago
            floor = {"suspended": 400, "restored": 800}.get(permit_kind[issued_seen], 0)
            submitted = today - dt.timedelta(days=max(int(issued_days[i]), floor) + 20)
            issued_seen += 1
        elif status in (S.ACCEPTED, S.IN_REVIEW) and i % 3 == 0:  # accepted four weeks ago: overdue
            submitted = today - dt.timedelta(days=30)
        else:
            submitted = today - dt.timedelta(days=int(open_days[i]))
        path_steps = PATHS[status]
        if status == S.WITHDRAWN and i % 2:
            path_steps = (T.WITHDRAW,)  # withdrawn before it was accepted
        day, current = submitted, S.SUBMITTED
        at = {"submitted": _at(submitted, 8, i)}
        for k, transition in enumerate(path_steps):
            day = min(day + dt.timedelta(days=int(gaps[i, k])), today)
            new = target(current, transition)
            moment = _at(day, 9 + k, i)
            steps.append((s0 + len(steps), a0 + i, str(transition), str(current), str(new), None, moment,
                          _INFO_NOTES[i % 3] if transition == T.REQUEST_INFORMATION else
                          _REFUSALS[i % 3] if transition == T.REFUSE else ""))
            at[str(transition)] = moment
            current = new
        accepted = at.get("accept")
        if accepted is not None:
            accepted_days.append(timezone.localtime(accepted).date())
        decided = at.get("approve") or at.get("refuse")
        note = _REFUSALS[i % 3] if status == S.REFUSED else _INFO_NOTES[i % 3] \
            if status == S.INFORMATION_REQUESTED else ""
        apps.append([a0 + i, pid, str(status), str(channels[i]), "self", "", None, False, point_id, path,
                     str(bases[i]), ["address_proof", "employment_proof", "id_card", "photo"], at["submitted"],
                     accepted, None, at.get("request_information"), decided, None, note, None, None,
                     "counter" if status == S.ISSUED else "", "",
                     f"SJ{a0 + i:010d}" if status == S.ISSUED else "", point_name, address, at.get("issue")])
    # the issue deadline from acceptance, by the rules (a third of those waiting for review are overdue)
    dues = iter(_due_dates(accepted_days))
    for row in apps:
        if row[13] is not None:
            row[14] = next(dues)
    # those relying on employment showed a labour contract (what the reviewer saw), written before they are assessed
    _contracts_write([(row[1], timezone.localtime(row[12]).date()) for row in apps if row[10] == "employment"])
    # an assessment with the rules version for each application (one engine batch), linked to it
    made = assessments_run(person_ids=[row[1] for row in apps], as_of=today, purpose=Purpose.APPLICATION,
                           store=False)
    by_person = {a.person_id: a for a in made}
    x0 = next_id(Assessment)
    fields = ["person_id", "as_of", "purpose", "locality", "rules_version", "inputs", "outputs", "eligible",
              "basis", "continuous_days", "trace", "created_at", "created_by_id"]
    ids = {}
    assessment_rows = []
    for k, a in enumerate(made):
        ids[a.person_id] = x0 + k
        assessment_rows.append([x0 + k, *(json_value(getattr(a, f)) if f in {"inputs", "outputs", "trace"}
                                          else getattr(a, f) for f in fields)])
    bulk_insert(Assessment, ["id", *fields], assessment_rows)
    reset_sequence(Assessment)
    for row in apps:
        row[19] = ids.get(row[1]) if row[1] in by_person else None
    bulk_insert(PermitApplication, [
        "id", "person_id", "status", "channel", "relation", "applicant_name", "applicant_account_id",
        "unable_to_attend", "acceptance_point_id", "area_path", "claimed_basis", "materials", "submitted_at",
        "accepted_at", "due_on", "paused_at", "decided_at", "decided_by_id", "decision_note", "assessment_id",
        "batch_id", "delivery", "tracking_number", "receipt_number"],
        ([*row[:11], json_value(row[11]), *row[12:24]] for row in apps))
    reset_sequence(PermitApplication)
    bulk_insert(ApplicationStep, ["id", "application_id", "transition", "source", "target", "actor_id", "at", "note"],
                steps)
    reset_sequence(ApplicationStep)
    permits, events = _permit_rows(rng, [row for row in apps if row[2] == S.ISSUED], permit_kind, today)
    bulk_insert(Permit, ["id", "number", "person_id", "application_id", "status", "issued_on", "anchor_on",
                         "endorsed_years", "endorsement_due_on", "issuing_authority", "acceptance_point_id",
                         "area_path", "residence_address", "workplace", "card_seq", "status_changed_at",
                         "cancel_reason", "created_at"], permits)
    reset_sequence(Permit)
    bulk_insert(PermitEvent, ["id", "permit_id", "kind", "at", "actor_id", "data"], events)
    reset_sequence(PermitEvent)
    cards = _card_rows(permits, events)
    bulk_insert(PermitCard, ["id", "permit_number", "seq", "name_masked", "key_id", "issued_at", "expires_at"], cards)
    reset_sequence(PermitCard)
    return {"applications": len(apps), "permits": len(permits), "assessments": len(assessment_rows),
            "steps": len(steps), "permit_events": len(events), "cards": len(cards)}


def _card_rows(permits: list[tuple[Any, ...]], events: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Every card of every permit, as `epermit.services.card_for` makes it: the masked name, the active permit key,
    the token's dates (from the card's day, for `CARD_YEARS`)."""
    names = dict(Person.objects.filter(pk__in={row[2] for row in permits}).values_list("pk", "name"))
    reissued = {row[1]: row[3] for row in events if row[2] == "reissued"}  # permit id → when card 2 was made
    kid = permit_keys().active_id
    c0 = next_id(PermitCard)
    cards: list[tuple[Any, ...]] = []
    for pk, number, person_id, issued_at, seq in ((r[0], r[1], r[2], r[17], r[14]) for r in permits):
        for k in range(1, seq + 1):
            at = issued_at if k == 1 else reissued[pk]
            at = at.replace(microsecond=0)
            cards.append((c0 + len(cards), number, k, mask_name(names.get(person_id, "")), kid, at,
                          _add_years(at, CARD_YEARS)))
    return cards


def _permit_rows(rng: np.random.Generator, issued: list[list[Any]], kinds: list[str], today: dt.date
                 ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A permit for each issued application, in the state `kinds` says, with the events that led there: endorsed
    in the month before each anniversary; "suspended" missed the last anniversary (lapsed); "restored" missed it and
    was endorsed late, the years counting again from that day (Nat Art. 10)."""
    m0, e0 = next_id(Permit), next_id(PermitEvent)
    permits: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    reasons = rng.choice(_CANCEL_REASONS, size=len(issued))
    fee = fee_due("reissue", today)
    valid_seen = 0

    def event(permit_id: int, kind: str, day: dt.date, data: dict[str, Any] | None = None) -> None:
        events.append((e0 + len(events), permit_id, kind, _at(day, 11), None, json_value(data or {})))

    for i, row in enumerate(issued):
        pk, kind = m0 + i, kinds[i]
        issued_on = timezone.localtime(row[26]).date()
        years = (today - issued_on).days // 365  # anniversaries passed
        anchor, status, changed, reason = issued_on, "valid", issued_on, ""
        event(pk, "issued", issued_on, {"application": row[0]})
        missed = kind in ("suspended", "restored") and years >= 1
        on_time = years - 1 if missed else years
        for y in range(1, on_time + 1):
            event(pk, "endorsed", _add_years(issued_on, y) - dt.timedelta(days=15), {"year": y})
        endorsed, due = on_time, _add_years(issued_on, on_time + 1)
        if missed:
            lapsed = _add_years(issued_on, years)
            event(pk, "suspended", lapsed)
            status, changed = "suspended", lapsed
            if kind == "restored":
                changed = anchor = min(lapsed + dt.timedelta(days=40), today)
                event(pk, "restored", changed, {"year": years})
                status, endorsed, due = "valid", years, _add_years(anchor, 1)
        elif kind == "dormant":
            status, changed = "dormant", max(issued_on, today - dt.timedelta(days=int(5 + i % 60)))
            event(pk, "dormant", changed)
        elif kind == "cancelled":
            status, reason = "cancelled", str(reasons[i])
            changed = max(issued_on, today - dt.timedelta(days=int(1 + i % 200)))
            event(pk, "cancelled", changed, {"reason": reason})
        card = 1
        if status == "valid" and kind == "valid" and issued_on < today - dt.timedelta(days=20):
            valid_seen += 1
            if valid_seen % 10 == 1:  # the first valid permit and one in ten after it: a lost card, reissued
                card, lost = 2, issued_on + dt.timedelta(days=(today - issued_on).days // 2)
                event(pk, "reissued", lost, {"card_before": 1, "card": 2, "fee_yuan": fee,
                                             "receipt": f"BL{lost:%Y%m%d}{pk:08d}02", "old_card": "invalid",
                                             "point": ""})
        district = row[9].split("/")[2]
        permits.append((pk, f"{district}{issued_on:%Y}{row[0]:08d}", row[1], row[0], status, issued_on, anchor,
                        endorsed, due, row[24], row[8], row[9], row[25], "", card, _at(changed, 8), reason,
                        _at(issued_on, 8)))
    return permits, events
