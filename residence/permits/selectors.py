"""Reads of permit applications, scoped to the actor.

Who sees an application: the person it is for and the account that filed it; staff of the area the person was
registered in when applying (`area_path`, a prefix match like registrations); a clerk bound to an acceptance point
only that point's applications. Anyone else: "not found".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import AREA_KINDS, Capability, can
from residence.core.errors import NotFound
from residence.permits.models import ApplicationStep, Material, PermitApplication
from residence.permits.workflow import CLOCK_RUNNING, Status
from residence.places.selectors import jurisdiction_path_for_user

QUEUE_SHOWN = 200


def material_words(codes: Iterable[str]) -> list[str]:
    labels = dict(Material.choices)
    return [str(labels.get(c, c)) for c in codes]


def _visible(user: User) -> QuerySet[PermitApplication]:
    every = PermitApplication.objects.select_related("acceptance_point", "person")
    if getattr(user, "kind", None) in AREA_KINDS:
        path = jurisdiction_path_for_user(user)
        if not path:
            return every.none()
        mine = every.filter(area_path__startswith=path)
        if user.acceptance_point_code and not can(user, Capability.APPLICATION_REVIEW):
            mine = mine.filter(acceptance_point__code=user.acceptance_point_code)
        return mine
    if can(user, Capability.RECORD_OWN) and user.person_id is not None:
        return every.filter(Q(person_id=user.person_id) | Q(applicant_account=user))
    return every.none()


def application_get_for_user(*, user: User, application_id: int, lock: bool = False) -> PermitApplication:
    if not 1 <= application_id <= 2**62:
        raise NotFound(_("No such application."))
    found = _visible(user).filter(pk=application_id)
    if lock:
        found = found.select_for_update(of=("self",))
    application = found.first()
    if application is None:
        raise NotFound(_("No such application."))
    return application


def application_steps(*, application: PermitApplication) -> list[ApplicationStep]:
    return list(application.steps.select_related("actor").order_by("at", "pk"))


def applications_own(*, user: User) -> list[PermitApplication]:
    """A resident's applications (for themselves, or filed by them), newest first."""
    if not can(user, Capability.RECORD_OWN):
        return []
    return list(_visible(user).order_by("-submitted_at", "-pk")[:20])


def applications_of_person(*, user: User, person_id: int, limit: int = 20) -> list[PermitApplication]:
    """A person's applications as the user may see them (the person page's permit section), newest first."""
    return list(_visible(user).filter(person_id=person_id).order_by("-submitted_at", "-pk")[:limit])


def acceptance_queue(*, user: User, limit: int = QUEUE_SHOWN) -> list[PermitApplication]:
    """Applications waiting at the clerk's point: submitted (to accept) and ready (to issue), oldest first."""
    if not can(user, Capability.APPLICATION_ACCEPT):
        return []
    return list(_visible(user).filter(status__in=[Status.SUBMITTED, Status.READY, Status.INFORMATION_REQUESTED])
                .order_by("submitted_at", "pk")[:limit])


def review_queue(*, user: User, limit: int = QUEUE_SHOWN, today: dt.date | None = None
                 ) -> list[PermitApplication]:
    """Applications of the reviewer's area waiting for a decision (those paused for information too), the overdue
    first, then by deadline; a paused application is never overdue (its clock stands still)."""
    if not can(user, Capability.APPLICATION_REVIEW):
        return []
    today = today or timezone.localdate()
    rows = list(_visible(user).filter(status__in=[Status.ACCEPTED, Status.IN_REVIEW, Status.INFORMATION_REQUESTED])
                .order_by("due_on", "pk")[:limit])
    return sorted(rows, key=lambda a: (not (clock_running(a) and a.due_on is not None and a.due_on < today),
                                       a.due_on or dt.date.max, a.pk))


def clock_running(application: PermitApplication) -> bool:
    return application.status in CLOCK_RUNNING
