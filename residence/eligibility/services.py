"""Running the rules on persons in the database and storing what each answer relied on.

`assessments_run` takes any number of persons: their situations come from `situations.situations_for` (set-based),
the engine evaluates them together (vectorised), and the assessments are written in one bulk insert. A decision
(`trace=True`) keeps the engine's trace with it; other assessments are replayed from their inputs when someone asks
(`selectors.assessment_explain`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from residence.accounts.models import User
from residence.audit.services import event_record
from residence.core.bulk import bulk_insert, json_value
from residence.core.rules import locality
from residence.eligibility.models import Assessment, Purpose
from residence.eligibility.situations import situations_for, to_json
from residence_rules import RULES_VERSION, evaluate

# what every assessment answers; an application adds its own (applicant, materials) through `extra` and `outputs`
ELIGIBILITY_OUTPUTS: tuple[str, ...] = ("eligible", "eligibility_basis", "blocking_reason", "register_only",
                                        "continuous_days")


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(_plain(v) for v in value)
    return value


def assessments_run(*, person_ids: Iterable[int], as_of: dt.date, purpose: str, actor: User | None = None,
                    extra: Mapping[int, Mapping[str, Any]] | None = None,
                    outputs: Sequence[str] = ELIGIBILITY_OUTPUTS, trace: bool = False,
                    store: bool = True) -> list[Assessment]:
    """Assess persons as of a day and store the assessments (unless `store` is false); returns them in the order of
    `person_ids` (persons not found are left out). `extra` adds inputs per person (an application's applicant,
    materials, the condition relied on). With `trace`, each assessment keeps the engine's trace (decisions)."""
    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    situations = situations_for(person_ids, as_of)
    if extra:
        for pid, more in extra.items():
            if pid in situations:
                situations[pid].update(more)
    ids = list(situations)
    if not ids:
        return []
    where = locality()
    result = evaluate(list(outputs), [situations[pid] for pid in ids], as_of, where, trace=trace)
    now = timezone.now()
    columns = {name: result[name] for name in outputs}
    made = []
    for i, pid in enumerate(ids):
        answered = {name: _plain(result.value(name, i)) for name in outputs}
        made.append(Assessment(
            person_id=pid, as_of=as_of, purpose=purpose, locality=where, rules_version=RULES_VERSION,
            inputs=to_json(situations[pid]), outputs=answered, eligible=bool(columns["eligible"][i]),
            basis=str(answered.get("eligibility_basis") or ""),
            continuous_days=int(answered.get("continuous_days") or 0),
            trace=result.trace_record(i) if trace else None, created_at=now,
            created_by_id=actor.pk if actor is not None else None))
    if not store:
        return made
    with transaction.atomic():
        if len(made) == 1:
            made[0].save(force_insert=True)
        else:
            fields = ["person_id", "as_of", "purpose", "locality", "rules_version", "inputs", "outputs", "eligible",
                      "basis", "continuous_days", "trace", "created_at", "created_by_id"]
            json_fields = {"inputs", "outputs", "trace"}
            bulk_insert(Assessment, fields, ([json_value(getattr(a, f)) if f in json_fields else getattr(a, f)
                                              for f in fields] for a in made))
        if len(made) > 1:
            event_record(actor=actor, action="eligibility.batch.assessed", subject_type="assessment",
                         data={"persons": len(made), "as_of": as_of.isoformat(), "purpose": purpose})
    return made


def person_explain(*, person_id: int, as_of: dt.date, lang: str = "zh", actor: User | None = None
                   ) -> tuple[Assessment, str]:
    """An operator's `residence rules explain --person N`: assess the person as of the day (stored, purpose
    "check"), and the explanation in words. Recorded as a read of the person."""
    from residence.core.errors import NotFound
    from residence.eligibility.selectors import assessment_explain

    found = assessments_run(person_ids=[person_id], as_of=as_of, purpose=Purpose.CHECK, actor=actor)
    if not found:
        raise NotFound(f"no person {person_id}")
    event_record(actor=actor, action="eligibility.explained", subject_type="person", subject_id=person_id,
                 data={"as_of": as_of.isoformat()})
    return found[0], assessment_explain(assessment=found[0], lang=lang)
