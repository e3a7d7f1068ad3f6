"""The rules engine (`residence_rules`) as the Django side asks it: the deployment's locality (RESIDENCE_LOCALITY),
the deadlines of declarations (computed for a whole batch at once), and a person's continuity of registered
residence with whether they are registered only, without a permit yet."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from django.conf import settings
from django.utils import timezone

from residence_rules import ContinuityResult, ParameterSet, continuity, evaluate, load_parameters


def locality() -> str:
    return str(settings.LOCALITY)


PARAMETERS_LOOK_SECONDS = 1.0  # how often the hot path looks whether the parameter files changed
_parameters_seen: dict[str, tuple[float, ParameterSet]] = {}


def _parameters(where: str) -> ParameterSet:
    """The locality's parameters as `load_parameters` gives them, looked up again at most once a second: it stats
    every parameter file to see whether one changed, which cost more than the deadline it serves (every declaration
    asks for one)."""
    now = time.monotonic()
    seen = _parameters_seen.get(where)
    if seen is None or now - seen[0] >= PARAMETERS_LOOK_SECONDS:
        seen = _parameters_seen[where] = (now, load_parameters(where))
    return seen[1]


def declarations_due(place_class: str, event: str, moments: Sequence[tuple[dt.datetime, dt.datetime]]
                     ) -> list[tuple[dt.datetime, bool]]:
    """For each (arrival or departure time, time declared): when the declaration was due and whether it came late,
    under the locality's rules for the place class (`instant`, `long_term`, `rental`) and event (`arrival`,
    `departure`)."""
    if not moments:
        return []
    zone = timezone.get_current_timezone()
    local: dict[dt.datetime, dt.datetime] = {}  # the engine counts days in local time; a batch shares its "declared"

    def _at(moment: dt.datetime) -> dt.datetime:
        if (found := local.get(moment)) is None:
            found = local[moment] = moment.astimezone(zone).replace(tzinfo=None)
        return found

    situations = [{"place_class": place_class, "event": event, "event_time": _at(happened),
                   "declared_time": _at(declared)} for happened, declared in moments]
    as_of = max(_at(declared) for _happened, declared in moments).date()
    where = locality()
    result = evaluate(["declaration_due", "declaration_late"], situations, as_of, where, parameters=_parameters(where))
    return [(result.value("declaration_due", i).replace(tzinfo=zone), bool(result.value("declaration_late", i)))
            for i in range(len(moments))]


def continuity_kinds(as_of: dt.date) -> frozenset[str]:
    """The kinds of record that stand for registered time in the locality on `as_of`
    (`permit.continuity.evidence_kinds`). Hotel stays (`instant_stay`) count in no shipped locality."""
    return frozenset(_parameters(locality()).get("permit.continuity.evidence_kinds", as_of).value)


class Continuity(NamedTuple):
    """A person's continuity as the rules see it, and whether they are registered only (no permit yet)."""

    result: ContinuityResult
    register_only: bool
    register_only_below_days: int  # the rules' threshold (half a year), for the words beside the mark


def residence_continuity(intervals: Sequence[Mapping[str, Any]], as_of: dt.date) -> Continuity:
    """Continuous registered residence as of `as_of` from a person's intervals ({from, to (inclusive) or None, area
    code, kind}), under the locality's rules, with the rules' "registered only, no permit" (只登记不发证) answer.

    Intervals of a kind that the locality does not count are not passed on: the engine would only note each of them
    (a hotel guest has many stays), and whether a kind counts is the engine's own parameter, read here."""
    rules = _parameters(locality())  # once for the three questions (a load checks the files' dates: `_parameters`)
    counted = frozenset(rules.get("permit.continuity.evidence_kinds", as_of).value)
    usable = [iv for iv in intervals if iv["kind"] in counted]
    result = continuity(usable, as_of, parameters=rules)
    outputs = evaluate(["register_only"], [{"registration_intervals": usable}], as_of, parameters=rules)
    below = rules.get("registration.register_only_below_days", as_of).value
    return Continuity(result, bool(outputs.value("register_only", 0)), int(below))
