"""Reads of evidence and employment, scoped: a person's evidence for staff who see the person; an employer's own
workers for the employer."""

from __future__ import annotations

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.employment.models import Employment, Evidence
from residence.people.selectors import person_get_for_user
from residence.places.models import Obligor

HISTORY_SHOWN = 50


def evidence_of_person(*, user: User, person_id: int) -> list[Evidence]:
    """The person's evidence, newest first (withdrawn records too, marked), when `user` may record evidence and sees
    the person; else nothing."""
    if not can(user, Capability.EVIDENCE_RECORD):
        return []
    person_get_for_user(user=user, person_id=person_id)
    return list(Evidence.objects.filter(person_id=person_id).select_related("entered_by")
                .order_by("withdrawn_at", "-started_on", "-pk"))


def employer_workers(*, employer: Obligor) -> list[Employment]:
    """The employer's open employments, latest hire first."""
    return list(Employment.objects.filter(employer=employer, separated_on__isnull=True).select_related("person")
                .order_by("-hired_on", "-pk"))


def employer_history(*, employer: Obligor, limit: int = HISTORY_SHOWN) -> list[Employment]:
    """The employer's latest separations."""
    return list(Employment.objects.filter(employer=employer, separated_on__isnull=False).select_related("person")
                .order_by("-separated_on", "-pk")[:limit])


def employer_late_counts(*, employer: Obligor) -> dict[str, int]:
    """How many of the employer's reports came late (hires and separations)."""
    rows = Employment.objects.filter(employer=employer)
    return {"hires_late": rows.filter(hire_late=True).count(),
            "separations_late": rows.filter(separation_late=True).count()}
