"""Reads of permit applications, scoped to the actor.

Who sees an application: the person it is for and the account that filed it; staff of the area the person was
registered in when applying (`area_path`, a prefix match like registrations); a clerk bound to an acceptance point
only that point's applications. Anyone else: "not found".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F, Q, QuerySet
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


def applications_visible(user: User, applications: QuerySet[PermitApplication] | None = None
                         ) -> QuerySet[PermitApplication]:
    """`applications` (by default all of them, with their point and person) narrowed to those `user` may see."""
    every = (PermitApplication.objects.select_related("acceptance_point", "person") if applications is None
             else applications)
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
    found = applications_visible(user).filter(pk=application_id)
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
    return list(applications_visible(user).order_by("-submitted_at", "-pk")[:20])


def applications_of_person(*, user: User, person_id: int, limit: int = 20) -> list[PermitApplication]:
    """A person's applications as the user may see them (the person page's permit section), newest first."""
    return list(applications_visible(user).filter(person_id=person_id).order_by("-submitted_at", "-pk")[:limit])


def acceptance_queue(*, user: User, limit: int = QUEUE_SHOWN) -> list[PermitApplication]:
    """Applications waiting at the clerk's point: submitted (to accept) and ready (to issue), oldest first."""
    if not can(user, Capability.APPLICATION_ACCEPT):
        return []
    return list(applications_visible(user)
                .filter(status__in=[Status.SUBMITTED, Status.READY, Status.INFORMATION_REQUESTED])
                .order_by("submitted_at", "pk")[:limit])


# what the reviewer's queue page shows of an application and of its person (`people.selectors.persons_shown`
# needs every shown field of the person; the encrypted numbers, blind indexes and the photo are left in the database)
_QUEUE_FIELDS = ("id", "status", "due_on", "person", *(f"person__{f}" for f in (
    "id", "id_number_masked", "name", "sex", "birth_date", "origin_code", "ethnicity", "education", "marital_status",
    "occupation", "phone_masked", "hukou_address")))
REVIEWING = (Status.ACCEPTED, Status.IN_REVIEW, Status.INFORMATION_REQUESTED)


def review_queue(*, user: User, limit: int = QUEUE_SHOWN, today: dt.date | None = None
                 ) -> list[PermitApplication]:
    """Applications of the reviewer's area waiting for a decision (those paused for information too), the overdue
    first, then by deadline; a paused application is never overdue (its clock stands still).

    Ordered in SQL, so that the first `limit` are the first by that order. The overdue are read first, then the
    rest: each part is one range of the partial index `application_reviewing_due` (due_on, id), already in order,
    with no sort and no parallel plan."""
    if not can(user, Capability.APPLICATION_REVIEW):
        return []
    today = today or timezone.localdate()
    waiting = applications_visible(user, PermitApplication.objects.filter(status__in=REVIEWING)
                                   .select_related("person").only(*_QUEUE_FIELDS)
                                   .order_by(F("due_on").asc(nulls_last=True), "pk"))
    late = overdue_q(today)
    rows = list(waiting.filter(late)[:limit])
    if len(rows) < limit:
        rows += waiting.exclude(late)[:limit - len(rows)]
    return rows


# --- the clock -------------------------------------------------------------------------------------------------
def clock_running(application: PermitApplication) -> bool:
    """The 15-day clock runs from acceptance until the card is ready, and stands still while information is
    requested (`workflow.CLOCK_RUNNING`)."""
    return application.status in CLOCK_RUNNING


def application_overdue(application: PermitApplication, today: dt.date | None = None) -> bool:
    """Past its issue deadline while the clock runs (a paused application is not overdue). `overdue_q` says the same
    in SQL."""
    today = today or timezone.localdate()
    return clock_running(application) and application.due_on is not None and application.due_on < today


def overdue_q(today: dt.date) -> Q:
    """`application_overdue` as a condition on the database (a NULL due_on is never overdue, as above)."""
    return Q(status__in=sorted(CLOCK_RUNNING), due_on__lt=today)
