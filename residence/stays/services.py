"""Declarations of stays by hotels and hourly rentals: check-ins and check-outs, in batches, exactly once.

Each item of a batch gets its own answer, in order: `accepted` (with the stay number), `duplicate` (its
idempotency key was seen before with the same item: the first answer again, nothing written twice) or `rejected`
(with its errors: field, code, message). A rejected item never blocks the others, and its key is not kept, so the
corrected item may be sent again under the same key.

Exactly once: the keys of a batch are claimed in the batch's transaction with INSERT … ON CONFLICT DO NOTHING. On
PostgreSQL a second request with the same key waits on the first one's uncommitted row, then sees it and answers
`duplicate` with the first result (or claims the key itself if the first request rolled back). On SQLite a writing
transaction holds the database's write lock from its start, so batches run one after another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from residence.accounts.models import ApiToken, User
from residence.accounts.roles import Capability, can
from residence.accounts.services import token_issue, token_revoke
from residence.audit.services import event_record
from residence.core.bulk import bulk_insert, bulk_insert_new
from residence.core.errors import DomainError, NotFound, ValidationError
from residence.core.idnumber import parse_id_number
from residence.core.rules import declarations_due
from residence.people.identity import clean_name, id_index
from residence.people.services import persons_ensure
from residence.places.models import Obligor
from residence.places.selectors import PremisesUnit, premises_units_by_code
from residence.stays.models import Channel, Stay, StayEvent, StayKey
from residence.stays.partitions import stay_row_ids
from residence.stays.selectors import open_check_ins, open_check_ins_of

KEY_MAX = 100
CLOCK_SKEW = dt.timedelta(minutes=15)  # a front desk's clock may run ahead of ours: later than this is "future"


def _declared(moment: dt.datetime, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(an arrival or departure, when it counts as declared) for its deadline: a moment a little after our clock
    (a desk's clock running ahead, within CLOCK_SKEW) counts as declared when it happened, on time; the rules
    engine refuses a declaration made before the moment it declares."""
    return moment, max(moment, now)


ROW_COLUMNS = tuple(f.column for f in Stay._meta.concrete_fields)


@dataclass
class Outcome:
    """The answer to one item."""

    status: str  # accepted | duplicate | rejected
    stay_id: int | None = None
    on_time: bool | None = None
    due_at: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.status == "rejected":
            out["errors"] = self.errors
            return out
        out.update(stay_id=self.stay_id, on_time=self.on_time, due_at=self.due_at, flags=self.flags)
        return out


def _error(field_name: str, code: str, message: str) -> dict[str, str]:
    return {"field": field_name, "code": code, "message": message}


def _digest(item: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(item, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _moment(raw: Any, field_name: str, errors: list[dict[str, str]], *, required: bool = True) -> dt.datetime | None:
    if raw is None or raw == "":
        if required:
            errors.append(_error(field_name, "required", _("This field is required.")))
        return None
    parsed = None
    if isinstance(raw, str):
        try:
            parsed = parse_datetime(raw.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        errors.append(_error(field_name, "datetime", _("Expected a date and time such as 2026-12-01T14:30:00+08:00.")))
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)  # local time (Asia/Shanghai) when no offset is given
    return parsed


def _key(raw: Any, errors: list[dict[str, str]]) -> str:
    if not isinstance(raw, str) or not raw.strip():
        errors.append(_error("idempotency_key", "required", _("Each item needs an idempotency key.")))
        return ""
    key = raw.strip()
    if len(key) > KEY_MAX or not key.isprintable():
        errors.append(_error("idempotency_key", "key", _("An idempotency key is 1 to 100 printable characters.")))
        return ""
    return key


def _batch(items: Any) -> list[Any]:
    if not isinstance(items, list):
        raise ValidationError(_("The body needs a list of items."), code="items", field="items")
    if not items:
        raise ValidationError(_("The list of items is empty."), code="items", field="items")
    if len(items) > settings.STAY_BATCH_MAX:
        raise ValidationError(_("A batch holds at most %(max)d items; this one has %(n)d.")
                              % {"max": settings.STAY_BATCH_MAX, "n": len(items)}, code="batch_too_large",
                              field="items")
    return items


@dataclass
class _Valid:
    index: int
    key: str
    digest: str
    data: dict[str, Any]


def _claim(obligor: Obligor, valid: list[_Valid], outcomes: list[Outcome | None], now: dt.datetime,
           dry_run: bool, planned: dict[str, str] | None = None) -> list[_Valid]:
    """Claim the keys of the valid items; answer those seen before (duplicate, or key_reused when the item differs).
    `planned` gives the answer (JSON) a key is claimed with, when it is known beforehand. Returns the items to
    write."""
    fresh: list[_Valid] = []
    seen_here: dict[str, _Valid] = {}
    for v in valid:  # the same key twice in one batch: the second answers like a retry of the first
        if v.key in seen_here:
            continue
        seen_here[v.key] = v
    keys = list(seen_here)
    claimed: set[str] = set()
    planned = planned or {}
    if not dry_run and keys:
        claimed = set(bulk_insert_new(StayKey, ["obligor_id", "key", "digest", "result", "created_at"],
                                      [(obligor.pk, k, seen_here[k].digest, planned.get(k, "{}"), now)
                                       for k in keys],
                                      conflict=["obligor_id", "key"], returning="key"))
    unclaimed = [k for k in keys if k not in claimed]
    known = {k.key: k for k in StayKey.objects.filter(obligor=obligor, key__in=unclaimed)} if unclaimed else {}
    for v in valid:
        first = seen_here[v.key]
        if v is first and v.key in claimed:
            fresh.append(v)
            continue
        if v is first and v.key not in known and dry_run:
            fresh.append(v)  # a dry run claims nothing: an unseen key would be written
            continue
        stored = known.get(v.key)
        digest = stored.digest if stored is not None else first.digest
        if digest != v.digest:
            outcomes[v.index] = Outcome("rejected", errors=[_error(
                "idempotency_key", "key_reused", _("This idempotency key was used before for a different item."))])
        elif stored is not None and stored.result:
            outcomes[v.index] = Outcome("duplicate", **{k: stored.result.get(k) for k in
                                                       ("stay_id", "on_time", "due_at", "flags")})
        else:
            outcomes[v.index] = Outcome("duplicate")  # filled from the first item of this batch below
    return fresh


def _result_json(out: Outcome) -> str:
    return json.dumps({k: v for k, v in out.as_dict().items() if k != "status"}, ensure_ascii=False)


def _planned_json(stay_id: int, due: dt.datetime, late: bool) -> str:
    """`_result_json` of an accepted check-in without flags, written out (a thousand json.dumps are 10 ms)."""
    on_time = "false" if late else "true"
    return f'{{"stay_id": {stay_id}, "on_time": {on_time}, "due_at": "{due.isoformat()}", "flags": []}}'


def _store_results(obligor: Obligor, valid: list[_Valid], outcomes: list[Outcome | None], dry_run: bool,
                   kept: set[str] | frozenset[str] = frozenset()) -> None:
    """Record each written item's answer under its key (but for the keys in `kept`: claimed with their final answer,
    see `_claim`), and answer in-batch repeats with it."""
    by_key: dict[str, Outcome] = {}
    for v in valid:
        out = outcomes[v.index]
        if out is not None and out.status == "accepted":
            by_key.setdefault(v.key, out)
    for v in valid:
        out = outcomes[v.index]
        if out is not None and out.status == "duplicate" and out.stay_id is None and v.key in by_key:
            first = by_key[v.key]
            outcomes[v.index] = Outcome("duplicate", stay_id=first.stay_id, on_time=first.on_time,
                                        due_at=first.due_at, flags=first.flags)
    if dry_run or not by_key:
        return
    results = [(key, _result_json(out)) for key, out in by_key.items() if key not in kept]
    if not results:
        return
    table = StayKey._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":  # one statement: the answers as arrays
            cur.execute(f"UPDATE {table} k SET result = v.result FROM unnest(%b::text[], %b::jsonb[]) "
                        f"AS v(key, result) WHERE k.obligor_id = %s AND k.key = v.key",
                        [[k for k, _r in results], [r for _k, r in results], obligor.pk])
        else:
            cur.executemany(f"UPDATE {table} SET result = %s WHERE obligor_id = %s AND key = %s",
                            [(r, obligor.pk, k) for k, r in results])


def _persons(valid: list[_Valid]) -> tuple[dict[str, int], set[int]]:
    """Person ids by ID-number index, creating the persons not yet on record (set-based); and the ids of those
    created now (no stay can name them yet). A concurrent batch may create the same person: its row wins."""
    wanted: dict[str, _Valid] = {}
    for v in valid:
        wanted.setdefault(v.data["id_index"], v)
    return persons_ensure([(v.data["ident"], idx, v.data["name"]) for idx, v in wanted.items()])


class _Open(NamedTuple):
    """What a check-in row says that a later row closing its stay repeats."""

    stay_id: int
    obligor_id: int
    unit_id: int
    person_id: int
    arrived_at: dt.datetime
    expected_departure: dt.datetime | None
    area_path: str


def _open_stays(person_ids: Sequence[int]) -> dict[int, list[_Open]]:
    """Open stays (checked in, neither checked out nor closed) of these persons, oldest arrival first."""
    out: dict[int, list[_Open]] = {}
    for row in open_check_ins_of(person_ids, _Open._fields):
        stay = _Open(*row)
        out.setdefault(stay.person_id, []).append(stay)
    return out


_row = itemgetter(*ROW_COLUMNS)  # a stay row's values (a dict by column) as a tuple in ROW_COLUMNS' order


ItemCheck = Callable[[dict[str, Any], dict[str, PremisesUnit], dt.datetime, list[dict[str, str]]], dict[str, Any]]


def _validated(obligor: Obligor, items: Any, now: dt.datetime, check: ItemCheck
               ) -> tuple[list[Outcome | None], list[_Valid]]:
    """Each item checked on its own: the rejected ones answered at once (outcomes), the others to be written."""
    items = _batch(items)
    outcomes: list[Outcome | None] = [None] * len(items)
    codes: set[str] = {i["unit_code"] for i in items if isinstance(i, dict) and isinstance(i.get("unit_code"), str)}
    units = premises_units_by_code(obligor=obligor, codes=codes)
    valid: list[_Valid] = []
    for n, raw in enumerate(items):
        if not isinstance(raw, dict):
            outcomes[n] = Outcome("rejected", errors=[_error("item", "item", _("Each item is a JSON object."))])
            continue
        errors: list[dict[str, str]] = []
        key = _key(raw.get("idempotency_key"), errors)
        data = check(raw, units, now, errors)
        if errors:
            outcomes[n] = Outcome("rejected", errors=errors)
        else:
            valid.append(_Valid(n, key, _digest(raw), data))
    return outcomes, valid


def _local_date(moment: dt.datetime) -> dt.date:
    """The day in Beijing time (the server's zone: timezone.localdate looks the active zone up each call)."""
    return moment.astimezone(timezone.get_default_timezone()).date()


def _unit(raw: dict[str, Any], units: dict[str, PremisesUnit], errors: list[dict[str, str]]) -> PremisesUnit | None:
    code = raw.get("unit_code")
    unit = units.get(code) if isinstance(code, str) else None
    if unit is None:
        errors.append(_error("unit_code", "unit_unknown",
                             _("No unit of these premises has this code; GET /api/v1/stays/units lists them.")))
    return unit


def _check_in_item(raw: dict[str, Any], units: dict[str, PremisesUnit], now: dt.datetime,
                   errors: list[dict[str, str]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    try:
        data["ident"] = ident = parse_id_number(raw.get("id_number"))  # parsed once: the new person's facts too
        data["id_index"] = id_index(ident.value)
    except DomainError as exc:
        errors.append(_error("id_number", exc.code, exc.message))
    try:
        name = raw.get("name")
        data["name"] = clean_name(name if isinstance(name, str) else "")
    except DomainError as exc:
        errors.append(_error("name", exc.code, exc.message))
    data["unit"] = _unit(raw, units, errors)
    data["arrived_at"] = _moment(raw.get("arrived_at"), "arrived_at", errors)
    if data["arrived_at"] and data["arrived_at"] > now + CLOCK_SKEW:
        errors.append(_error("arrived_at", "future", _("The arrival is in the future.")))
    elif data["arrived_at"] and "ident" in data and _local_date(data["arrived_at"]) < data["ident"].birth_date:
        errors.append(_error("arrived_at", "before_birth",
                             _("The arrival is before the guest's date of birth (from the ID number).")))
    data["expected_departure"] = _moment(raw.get("expected_departure"), "expected_departure", errors, required=False)
    if data["arrived_at"] and data["expected_departure"] and data["expected_departure"] <= data["arrived_at"]:
        errors.append(_error("expected_departure", "before_arrival",
                             _("The expected departure is not after the arrival.")))
    return data


def _check_out_item(raw: dict[str, Any], units: dict[str, PremisesUnit], now: dt.datetime,
                    errors: list[dict[str, str]]) -> dict[str, Any]:
    data: dict[str, Any] = {"departed_at": _moment(raw.get("departed_at"), "departed_at", errors)}
    if data["departed_at"] and data["departed_at"] > now + CLOCK_SKEW:
        errors.append(_error("departed_at", "future", _("The departure is in the future.")))
    stay_id = raw.get("stay_id")
    if stay_id is not None:
        if type(stay_id) is not int or not 0 < stay_id < 2**63:  # a bigint, as the stay table keeps it
            errors.append(_error("stay_id", "stay_id", _("A stay number is a positive whole number.")))
        data["stay_id"] = stay_id
        return data
    try:
        data["id_index"] = id_index(str(parse_id_number(raw.get("id_number"))))
    except DomainError as exc:
        errors.append(_error("id_number", exc.code, exc.message))
    data["unit"] = _unit(raw, units, errors)
    return data


def stays_check_in(*, actor: User, obligor: Obligor, items: Any, channel: str = Channel.API,
                   dry_run: bool = False) -> list[dict[str, Any]]:
    """Declare check-ins at the obligor's units. One answer per item, in order (see the module's docstring).

    A guest still checked in elsewhere (or at this unit) is accepted and flagged `overlap`, naming the other stay,
    and that earlier stay is closed as "departure not declared"."""
    now = timezone.now()
    outcomes, valid = _validated(obligor, items, now, _check_in_item)
    firsts = sorted({v.key: v for v in reversed(valid)}.values(), key=lambda v: v.index)  # each key's first item
    dues = declarations_due("instant", "arrival", [_declared(v.data["arrived_at"], now) for v in firsts])
    with transaction.atomic():
        # each key's answer is known before its claim (the stay number taken now, the deadline, no flags), so the
        # claim stores it: only an item flagged below writes its answer again
        plans = {v.key: (Outcome("accepted", stay_id=row_id, on_time=not late, due_at=due.isoformat()), row_id, due,
                         late)
                 for v, row_id, (due, late) in zip(firsts, stay_row_ids(len(firsts)), dues, strict=True)}
        planned = {key: _planned_json(row_id, due, late) for key, (_out, row_id, due, late) in plans.items()}
        fresh = _claim(obligor, valid, outcomes, now, dry_run, planned)
        written = _write_check_ins(actor, obligor, fresh, plans, outcomes, now, channel)
        flagged = {v.key for v in fresh if plans[v.key][0].flags}
        _store_results(obligor, valid, outcomes, dry_run, kept=planned.keys() - flagged)
        if written and not dry_run:
            event_record(actor=actor, action="stay.checked_in", subject_type="obligor", subject_id=obligor.pk,
                         data={"stays": written, "count": len(written), "channel": channel,
                               "rejected": sum(1 for o in outcomes if o and o.status == "rejected"),
                               "duplicates": sum(1 for o in outcomes if o and o.status == "duplicate")})
        if dry_run:
            transaction.set_rollback(True)
    return [o.as_dict() for o in outcomes if o is not None]


def _write_check_ins(actor: User, obligor: Obligor, fresh: list[_Valid],
                     plans: dict[str, tuple[Outcome, int, dt.datetime, bool]], outcomes: list[Outcome | None],
                     now: dt.datetime, channel: str) -> list[int]:
    """Write the fresh items' stays (rows as tuples, by COPY on PostgreSQL) under the numbers planned for their keys,
    and close each guest's stays still open when they arrived (overlaps, within the batch too)."""
    if not fresh:
        return []
    persons, created = _persons(fresh)
    # the persons created now have no stay anywhere yet: only the others' open stays are looked up
    open_by_person = _open_stays(sorted({pid for pid in persons.values() if pid not in created}))
    rows: list[dict[str, Any]] = []
    displaced: list[tuple[_Open, int]] = []  # (an open stay, the new stay that closes it)
    for v in fresh:
        out, row_id, due, late = plans[v.key]
        unit: PremisesUnit = v.data["unit"]
        arrived = v.data["arrived_at"]
        stay = _Open(row_id, obligor.pk, unit.pk, persons[v.data["id_index"]], arrived,
                     v.data["expected_departure"], unit.area_path)
        still_open = open_by_person.setdefault(stay.person_id, [])
        earlier = [s for s in still_open if s.arrived_at <= arrived]
        if earlier:
            out.flags = [{"code": "overlap", "stay_id": other.stay_id,
                          "message": _("This guest was still checked in (stay %(id)s); that stay is now marked "
                                       "'departure not declared'.") % {"id": other.stay_id}} for other in earlier]
            displaced += [(other, row_id) for other in earlier]
            still_open[:] = [s for s in still_open if s not in earlier]
        still_open.append(stay)
        rows.append({**stay._asdict(), "id": row_id, "event": StayEvent.CHECK_IN, "departed_at": None,
                     "declared_at": now, "declared_by_id": actor.pk, "channel": channel, "due_at": due,
                     "late": late, "overlaps": earlier[-1].stay_id if earlier else None,
                     "idempotency_key": v.key})
        outcomes[v.index] = out
    bulk_insert(Stay, ROW_COLUMNS, map(_row, rows))  # first: on SQLite the next ids follow them
    closing = [{**other._asdict(), "id": row_id, "event": StayEvent.DEPARTURE_MISSING, "departed_at": None,
                "declared_at": now, "declared_by_id": actor.pk, "channel": channel, "due_at": now, "late": True,
                "overlaps": by, "idempotency_key": ""}
               for (other, by), row_id in zip(displaced, stay_row_ids(len(displaced)), strict=True)]
    bulk_insert(Stay, ROW_COLUMNS, map(_row, closing))
    return [r["stay_id"] for r in rows]


def stays_check_out(*, actor: User, obligor: Obligor, items: Any, channel: str = Channel.API,
                    dry_run: bool = False) -> list[dict[str, Any]]:
    """Declare check-outs of the obligor's open stays, named by `stay_id` or by `id_number` and `unit_code`."""
    now = timezone.now()
    outcomes, valid = _validated(obligor, items, now, _check_out_item)
    with transaction.atomic():
        fresh = _claim(obligor, valid, outcomes, now, dry_run)
        written = _write_check_outs(actor, obligor, fresh, outcomes, now, channel)
        _release_rejected_keys(obligor, fresh, outcomes, dry_run)
        _store_results(obligor, valid, outcomes, dry_run)
        if written and not dry_run:
            event_record(actor=actor, action="stay.checked_out", subject_type="obligor", subject_id=obligor.pk,
                         data={"stays": written, "count": len(written), "channel": channel,
                               "rejected": sum(1 for o in outcomes if o and o.status == "rejected")})
        if dry_run:
            transaction.set_rollback(True)
    return [o.as_dict() for o in outcomes if o is not None]


def _release_rejected_keys(obligor: Obligor, fresh: list[_Valid], outcomes: list[Outcome | None],
                           dry_run: bool) -> None:
    """Keys of items refused after their key was claimed (an unknown or closed stay) are not kept."""
    refused = [v.key for v in fresh if (o := outcomes[v.index]) is not None and o.status == "rejected"]
    if refused and not dry_run:
        StayKey.objects.filter(obligor=obligor, key__in=refused).delete()


def _write_check_outs(actor: User, obligor: Obligor, fresh: list[_Valid], outcomes: list[Outcome | None],
                      now: dt.datetime, channel: str) -> list[int]:
    if not fresh:
        return []
    open_rows = open_check_ins().filter(obligor=obligor)
    by_id = [v.data["stay_id"] for v in fresh if "stay_id" in v.data]
    by_person = [v.data["id_index"] for v in fresh if "id_index" in v.data]
    found_by_id = {s.stay_id: s for s in open_rows.filter(stay_id__in=by_id).select_for_update()} if by_id else {}
    found_by_person: dict[tuple[str, int], Stay] = {}
    if by_person:
        for s in (open_rows.filter(person__id_number_index__in=by_person).select_related("person")
                  .order_by("arrived_at").select_for_update(of=("self",))):
            found_by_person[(s.person.id_number_index, s.unit_id)] = s  # the latest open stay at that unit
    # rows locked above: a check-out committed meanwhile by another request is seen by this fresh statement
    locked = [s.stay_id for s in [*found_by_id.values(), *found_by_person.values()]]
    taken: set[int] = set(Stay.objects.filter(stay_id__in=locked, event__in=[StayEvent.CHECK_OUT,
                                                                          StayEvent.DEPARTURE_MISSING])
                          .values_list("stay_id", flat=True)) if locked else set()
    targets: list[tuple[_Valid, Stay]] = []
    for v in fresh:
        if "stay_id" in v.data:
            stay = found_by_id.get(v.data["stay_id"])
        else:
            stay = found_by_person.get((v.data["id_index"], v.data["unit"].pk))
        if stay is None or stay.stay_id in taken:
            outcomes[v.index] = Outcome("rejected", errors=[_error(
                "stay_id" if "stay_id" in v.data else "id_number", "stay_unknown",
                _("No open stay at these premises matches; it may be checked out already."))])
            continue
        if v.data["departed_at"] < stay.arrived_at:
            outcomes[v.index] = Outcome("rejected", errors=[_error(
                "departed_at", "before_arrival", _("The departure is before the arrival (%(at)s).")
                % {"at": timezone.localtime(stay.arrived_at).isoformat()})])
            continue
        taken.add(stay.stay_id)
        targets.append((v, stay))
    dues = declarations_due("instant", "departure", [_declared(v.data["departed_at"], now) for v, _s in targets])
    ids = stay_row_ids(len(targets))
    rows = []
    for (v, stay), row_id, (due, late) in zip(targets, ids, dues, strict=True):
        rows.append({"id": row_id, "stay_id": stay.stay_id, "event": StayEvent.CHECK_OUT, "obligor_id": obligor.pk,
                     "unit_id": stay.unit_id, "person_id": stay.person_id, "arrived_at": stay.arrived_at,
                     "expected_departure": stay.expected_departure, "departed_at": v.data["departed_at"],
                     "declared_at": now, "declared_by_id": actor.pk, "channel": channel, "due_at": due,
                     "late": late, "overlaps": None, "idempotency_key": v.key, "area_path": stay.area_path})
        outcomes[v.index] = Outcome("accepted", stay_id=stay.stay_id, on_time=not late, due_at=due.isoformat())
    bulk_insert(Stay, ROW_COLUMNS, map(_row, rows))
    return [r["stay_id"] for r in rows]


def stay_key_issue(*, actor: User | None, obligor_id: int, days: int | None = None) -> tuple[ApiToken, str]:
    """The key of a hotel's or hourly rental's property-management system: a token of the obligor's account that
    may declare stays and nothing else. One key per obligor: issuing one revokes the ones before it."""
    obligor = Obligor.objects.select_related("account").filter(pk=obligor_id).first()
    if obligor is None:
        raise NotFound(_("No declaration obligor has the number %(n)s.") % {"n": obligor_id})
    if obligor.account is None:
        raise ValidationError(_("Bind an account to %(name)s first (residence bindobligor).") % {"name": obligor.name},
                              code="no_account", field="obligor")
    if not can(obligor.account, Capability.STAY_DECLARE):
        raise ValidationError(_("Only hotels and hourly rentals declare stays; %(name)s is a %(kind)s.")
                              % {"name": obligor.name, "kind": obligor.get_kind_display()}, code="kind",
                              field="obligor")
    with transaction.atomic():
        for old in ApiToken.objects.filter(owner=obligor.account, revoked_at__isnull=True):
            token_revoke(actor=actor, prefix=old.prefix, reason="replaced by a new key (residence createkey)")
        return token_issue(actor=actor, owner=obligor.account, scopes=[Capability.STAY_DECLARE], days=days)


def stay_keys_purge() -> int:
    """Forget idempotency keys older than STAY_KEY_DAYS (a retry after that is a new declaration)."""
    cutoff = timezone.now() - dt.timedelta(days=settings.STAY_KEY_DAYS)
    deleted, _by_model = StayKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
