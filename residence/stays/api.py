"""The integrator API for hotels' and hourly rentals' property-management systems: check-ins, check-outs, the
day's reconciliation and the premises' unit codes. One key per obligor (`residence createkey OBLIGOR`), bearer
only: a session cannot declare through it."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Status

from residence.accounts.api_auth import bearer_token
from residence.accounts.roles import Capability
from residence.core.errors import DomainError
from residence.core.schemas import ERRORS, ErrorOut
from residence.places.models import Obligor
from residence.places.selectors import obligor_of, premises_units
from residence.stays.schemas import BatchOut, CheckInsIn, CheckOutsIn, DeclaredOut, UnitOut
from residence.stays.selectors import stays_declared_on
from residence.stays.services import stays_check_in, stays_check_out

router = Router(tags=["stays"], auth=[bearer_token])
REFUSED = ErrorOut(code="not_allowed", message="this key may not declare stays")


def _obligor(request: HttpRequest) -> Obligor | None:
    return obligor_of(user=request.user, capability=Capability.STAY_DECLARE)  # type: ignore[arg-type]


def _batch(request: HttpRequest, items: list, dry_run: bool, service) -> BatchOut | Status[ErrorOut]:  # type: ignore[type-arg, no-untyped-def]
    obligor = _obligor(request)
    if obligor is None:
        return Status(403, REFUSED)
    raw = [i.model_dump(exclude_unset=True) for i in items]
    try:
        results = service(actor=request.user, obligor=obligor, items=raw, dry_run=dry_run)
    except DomainError as exc:
        return Status(413 if exc.code == "batch_too_large" else 400, ErrorOut(code=exc.code, message=exc.message))
    for n, (result, item) in enumerate(zip(results, raw, strict=True)):
        result["index"] = n
        key = item.get("idempotency_key")
        result["idempotency_key"] = key if isinstance(key, str) else None
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("accepted", "duplicate", "rejected")}
    return BatchOut(dry_run=dry_run, results=results, **counts)


# 403: a key that may not declare stays (a department's, a landlord's), answered with a code like the others
REFUSALS = {**ERRORS, 403: ErrorOut}
BATCH_ANSWERS = {200: BatchOut, 400: ErrorOut, 413: ErrorOut, **REFUSALS}


@router.post("/check-ins", response=BATCH_ANSWERS, summary="Declare check-ins (at most 1,000 a batch)")
def check_ins(request: HttpRequest, body: CheckInsIn, dry_run: bool = False) -> BatchOut | Status[ErrorOut]:
    """One result per item, in order: `accepted` with its `stay_id`, `duplicate` (the key was seen before with the
    same item: the first result again) or `rejected` with `errors` (field, code, message). `on_time` says whether
    the declaration met its deadline (`due_at`). A guest still checked in elsewhere is accepted and flagged
    `overlap`. With `dry_run=true` nothing is written."""
    return _batch(request, body.items, dry_run, stays_check_in)


@router.post("/check-outs", response=BATCH_ANSWERS, summary="Declare check-outs (at most 1,000 a batch)")
def check_outs(request: HttpRequest, body: CheckOutsIn, dry_run: bool = False) -> BatchOut | Status[ErrorOut]:
    """Each item names the stay by `stay_id`, or by `id_number` and `unit_code` (the guest's open stay there)."""
    return _batch(request, body.items, dry_run, stays_check_out)


@router.get("/reconciliation", response={200: list[DeclaredOut], **REFUSALS}, summary="What was declared on a day")
def reconciliation(request: HttpRequest, date: dt.date) -> list[DeclaredOut] | Status[ErrorOut]:
    obligor = _obligor(request)
    if obligor is None:
        return Status(403, REFUSED)
    return [DeclaredOut(**row) for row in stays_declared_on(obligor=obligor, day=date)]


@router.get("/units", response={200: list[UnitOut], **REFUSALS}, summary="The premises' unit codes")
def units(request: HttpRequest) -> list[UnitOut] | Status[ErrorOut]:
    obligor = _obligor(request)
    if obligor is None:
        return Status(403, REFUSED)
    return [UnitOut(code=u.code, label=u.label, address=str(u.building)) for u in premises_units(obligor=obligor)]
