"""The rules engine (`residence_rules`) as the Django side asks it: the deployment's locality (RESIDENCE_LOCALITY)
and the deadlines of declarations, computed for a whole batch at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.utils import timezone

from residence_rules import evaluate


def locality() -> str:
    return str(settings.LOCALITY)


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
    result = evaluate(["declaration_due", "declaration_late"], situations, as_of, locality())
    return [(result.value("declaration_due", i).replace(tzinfo=zone), bool(result.value("declaration_late", i)))
            for i in range(len(moments))]
