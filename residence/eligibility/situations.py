"""A person's situation as the rules engine reads it, built from the database.

`situations_for` is set-based: for any number of persons, three queries (persons, registrations, evidence),
whatever the number. The result is plain data (dates as `datetime.date`), ready for `residence_rules.evaluate` and,
through `to_json`, for storing with an assessment.

How records become inputs, as of a day D (records that start after D are not seen):
- registration intervals: every registration that was not withdrawn, with its county (`county_of`);
- social insurance: the months covered up to D, summed over records;
- business licence, labour and agricultural contracts: the longest one in force on D (months held for a licence,
  the contract's term for a contract; a contract without an end date counts as `OPEN_ENDED_MONTHS`);
- housing: own home, else an employer's dormitory, else a lease, in force on D (with the record's safety mark);
- school enrolment and the direct schemes (talent, investment): one in force on D;
- age on D from the birth date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from residence.core.divisions import county_of
from residence.employment.models import Evidence, EvidenceKind
from residence.people.models import Person
from residence.registrations.models import Registration

OPEN_ENDED_MONTHS = 120  # a contract without an end date (无固定期限): the longest term the rules' inputs know

_HOUSING = ((EvidenceKind.HOME_OWNERSHIP, "own_home"), (EvidenceKind.EMPLOYER_DORMITORY, "employer_dormitory"),
            (EvidenceKind.LEASE, "rental"))
_SCHEMES = {EvidenceKind.TALENT_SCHEME: "talent", EvidenceKind.INVESTMENT_SCHEME: "investment"}


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end` (0 when end is not later)."""
    months = (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)
    return max(months, 0)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _in_force(e: Evidence, day: dt.date) -> bool:
    return e.started_on <= day and (e.ended_on is None or e.ended_on >= day)


def situation_from(*, birth_date: dt.date, registrations: Iterable[tuple[dt.date, dt.date | None, str]],
                   evidence: Iterable[Evidence], as_of: dt.date) -> dict[str, Any]:
    """One person's inputs from their records (registrations as (from, to, area path))."""
    intervals = [{"from": start, "to": min(end, as_of) if end else None, "area": county_of(path),
                  "kind": "registration"}
                 for start, end, path in registrations if start <= as_of]
    situation: dict[str, Any] = {"registration_intervals": intervals, "person_age": age_on(birth_date, as_of)}
    seen = [e for e in evidence if e.started_on <= as_of]
    insurance = sum(months_between(e.started_on, min(e.ended_on or as_of, as_of))
                    for e in seen if e.kind == EvidenceKind.SOCIAL_INSURANCE)
    if insurance:
        situation["social_insurance_months"] = insurance
    current = [e for e in seen if _in_force(e, as_of)]
    for kind, key in ((EvidenceKind.BUSINESS_LICENCE, "business_licence_months"),):
        held = [months_between(e.started_on, as_of) for e in current if e.kind == kind]
        if held:
            situation[key] = max(held)
    for kind, key in ((EvidenceKind.LABOUR_CONTRACT, "labour_contract_months"),
                      (EvidenceKind.AGRICULTURAL_CONTRACT, "agricultural_contract_months")):
        terms = [OPEN_ENDED_MONTHS if e.ended_on is None else min(months_between(e.started_on, e.ended_on),
                                                                   OPEN_ENDED_MONTHS)
                 for e in current if e.kind == kind]
        if terms:
            situation[key] = max(terms)
    for kind, housing in _HOUSING:
        homes = [e for e in current if e.kind == kind]
        if homes:
            situation["housing"] = housing
            situation["housing_safety_compliant"] = any(e.safety_compliant for e in homes)
            break
    if any(e.kind == EvidenceKind.LEASE for e in current):
        situation["has_lease"] = True
    schools = [e for e in current if e.kind == EvidenceKind.SCHOOL_ENROLMENT and e.school_level]
    if schools:
        situation["school_level"] = schools[0].school_level
        situation["full_time_study"] = schools[0].full_time
    for e in current:
        if e.kind in _SCHEMES:
            situation["scheme"] = _SCHEMES[EvidenceKind(e.kind)]
            break
    return situation


def situations_for(person_ids: Iterable[int], as_of: dt.date) -> dict[int, dict[str, Any]]:
    """The situations of many persons on `as_of` (persons not found are left out)."""
    ids = list(dict.fromkeys(person_ids))
    births = dict(Person.objects.filter(pk__in=ids).values_list("pk", "birth_date"))
    regs: dict[int, list[tuple[dt.date, dt.date | None, str]]] = defaultdict(list)
    for pid, start, end, path in (Registration.objects.standing().filter(person_id__in=ids)
                                  .values_list("person_id", "started_on", "ended_on", "area_path")):
        regs[pid].append((start, end, path))
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    for e in (Evidence.objects.standing().filter(person_id__in=ids)
              .only("person_id", "kind", "started_on", "ended_on", "safety_compliant", "school_level", "full_time")
              .order_by("started_on", "pk")):
        evidence[e.person_id].append(e)
    return {pid: situation_from(birth_date=births[pid], registrations=regs[pid], evidence=evidence[pid],
                                as_of=as_of)
            for pid in ids if pid in births}


def to_json(situation: dict[str, Any]) -> dict[str, Any]:
    """The situation as JSON-ready data (dates as ISO text), to store with an assessment."""
    def plain(v: Any) -> Any:
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v
    return plain(situation)


def from_json(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored situation back as the engine's inputs (the intervals' dates as dates)."""
    out = dict(stored)
    if "registration_intervals" in out:
        out["registration_intervals"] = [
            {**iv, "from": dt.date.fromisoformat(iv["from"]),
             "to": dt.date.fromisoformat(iv["to"]) if iv.get("to") else None}
            for iv in out["registration_intervals"]]
    return out
