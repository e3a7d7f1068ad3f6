"""Generate the demo city into the database, set-based (COPY on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils import timezone

from residence.accounts.models import User
from residence.accounts.roles import OBLIGOR_ROLES, Role
from residence.accounts.services import user_create
from residence.audit.services import event_record
from residence.core import crypto, divisions
from residence.core.bulk import bulk_insert, deferred_indexes, next_id, reset_sequence
from residence.demo import city, declarations, generator
from residence.demo.permits import demo_permits_generate
from residence.people.identity import (
    ID_CONTEXT,
    PHONE_CONTEXT,
    mask_id,
    mask_phone,
    resident_username,
    reveal_id_number,
)
from residence.people.models import Person, PersonSearchKey
from residence.places.models import AcceptancePoint, Building, Jurisdiction, Obligor, Unit
from residence.places.services import obligor_account_bind, obligor_jurisdictions_derive
from residence.registrations.models import Registration
from residence.stays.models import Stay
from residence.stays.partitions import stay_partitions_ensure, stay_row_ids

DEMO_PASSWORD = "Demo-pass#2026"  # noqa: S105 - published demo password (12+ characters), printed by `residence demo`


@dataclass
class DemoResult:
    persons: int
    buildings: int
    units: int
    obligors: int
    registrations: int
    seconds: float

    @property
    def persons_per_second(self) -> float:
        """The whole city (areas, buildings, units, persons, registrations, indexes) per person written."""
        return self.persons / self.seconds


def demo_exists() -> bool:
    return Jurisdiction.objects.filter(code=city.CITY[0]).exists()


def demo_city_generate(*, persons: int = 20_000, seed: int = 7, today: dt.date | None = None, stays: bool = False,
                       permits: bool = False, progress: Callable[[str], None] = lambda _m: None) -> DemoResult:
    """Write the whole demo city. Deterministic for a seed. Refuses to run twice on one database. With `stays`, a
    year of hotel and hourly-rental stays too; with `permits`, evidence, employers' reports, permit applications
    in every status, permits and assessments (demo/permits.py) (`residence demo` and the bench; the tests' small
    cities go without, so that their stays and permits are only their own)."""
    t0 = time.perf_counter()
    today = today or timezone.localdate()
    rng = np.random.default_rng(seed)
    drng = np.random.default_rng(seed + 1_000_003)  # declarations and stays: the city itself stays as it was
    n_buildings, n_units, n_obligors = generator.sizes(persons)
    shape = generator.city_shape()
    with transaction.atomic():
        if demo_exists():
            raise RuntimeError("the demo city is already in this database")
        ids: dict[str, int] = {}
        for j in shape.jurisdictions:  # a few hundred rows: parents first
            obj = Jurisdiction.objects.create(code=j.code, name=j.name, level=j.level, path=j.path,
                                              official=j.official,
                                              parent_id=ids[j.parent] if j.parent else None)
            ids[j.code] = obj.pk
        AcceptancePoint.objects.bulk_create(
            AcceptancePoint(code=c, name=n, kind=k, jurisdiction_id=ids[jc]) for c, n, k, jc in shape.points
        )
        progress(f"{len(shape.jurisdictions)} areas, {len(shape.points)} acceptance points")

        obligors = generator.obligor_rows(rng, n_obligors)
        habits = declarations.obligor_habits(drng, [k for _i, _n, k in obligors])
        o0 = next_id(Obligor)
        phones = generator.phones(drng, n_obligors).tolist()
        with_phone = (drng.random(n_obligors) < .1).tolist()  # a business phone on record for some (texted)
        bulk_insert(Obligor, ["id", "name", "kind", "phone"], ((o0 + i, name, k, phones[i] if with_phone[i] else "")
                                                               for i, name, k in obligors))
        reset_sequence(Obligor)

        # constraints and indexes rebuilt once
        with deferred_indexes(Building, Unit, Person, Registration, PersonSearchKey):
            b0, addresses, building_areas = _buildings_write(rng, n_buildings, shape, ids)
            progress(f"{n_buildings} buildings, {n_obligors} obligors")
            u0, plan, unit_areas = _units_write(rng, n_units, addresses, building_areas, obligors, b0, o0)
            progress(f"{n_units} units ({int(plan.is_rental.sum())} rental)")
            n_regs = _persons_write(rng, persons, today, u0, unit_areas, progress,
                                    declared=(drng, plan, habits))
            progress("building indexes")
        if stays:
            n_stays = _stays_write(drng, persons, u0, plan, unit_areas, obligors, o0, habits)
            progress(f"{n_stays:,} stay declarations at hotels and hourly rentals")
        obligor_jurisdictions_derive()  # each obligor administered where its units are
        if permits:
            p_hi = next_id(Person)
            demo_permits_generate(seed=seed, persons=(p_hi - persons, p_hi), today=today, progress=progress)
        event_record(actor=None, action="demo.city.generated", data={"persons": persons, "seed": seed})
    return DemoResult(persons, n_buildings, n_units, n_obligors, n_regs, time.perf_counter() - t0)


def _buildings_write(rng: np.random.Generator, n: int, shape: generator.CityShape,
                     ids: dict[str, int]) -> tuple[int, list[str], list[str]]:
    """Buildings spread over the grids; returns the first building id, the address codes and each building's area
    path (its grid's)."""
    grid_ids = np.array([ids[g.code] for g in shape.grids])
    grid_codes = [g.code for g in shape.grids]
    b_grid = np.sort(rng.integers(0, len(grid_ids), size=n))
    b0 = next_id(Building)
    roads = city.ROADS
    addresses = [f"{grid_codes[g]}{i:06d}" for i, g in enumerate(b_grid.tolist())]
    bulk_insert(Building, ["id", "address_code", "road", "door_plate", "name", "grid_id"], (
        (b0 + i, addresses[i], roads[(g + i // 7) % len(roads)], f"{i % 300 + 1}号",
         f"{chr(65 + i % 6)}栋" if i % 3 == 0 else "", int(grid_ids[g]))
        for i, g in enumerate(b_grid.tolist())
    ))
    reset_sequence(Building)
    return b0, addresses, [shape.grids[g].path for g in b_grid.tolist()]


def _units_write(rng: np.random.Generator, n: int, addresses: list[str], building_areas: list[str],
                 obligors: list[tuple[int, str, str]], b0: int, o0: int
                 ) -> tuple[int, generator.UnitPlan, list[str]]:
    """Units in the buildings, about 40% rental with their obligors; returns (first unit id, rental units, each
    unit's area path: what registrations.services.registration_area_path gives)."""
    plan = generator.unit_plan(rng, n, len(addresses), obligors)
    u0 = next_id(Unit)
    addr = addresses
    bulk_insert(Unit, ["id", "code", "building_id", "label", "kind", "is_rental", "safety_grade", "obligor_id"], (
        (u0 + i, f"{addr[b]}{i % 10_000:04d}", b0 + b, plan.label[i], plan.kind[i], bool(plan.is_rental[i]),
         plan.grade[i], (o0 + int(plan.obligor[i])) if plan.obligor[i] >= 0 else None)
        for i, b in enumerate(plan.building_of.tolist())
    ))
    reset_sequence(Unit)
    return u0, plan, [building_areas[b] for b in plan.building_of.tolist()]


_ETHNIC = np.array([f"{i:02d}" for i in range(2, 57)])
_EDU = np.array(["10", "20", "30", "40", "60", "70", "80"])
_EDU_P = np.array([.03, .12, .15, .15, .2, .3, .05])
_MARITAL = np.array(["10", "20", "30", "40"])


def _persons_write(rng: np.random.Generator, n: int, today: dt.date, u0: int, unit_areas: list[str],
                   progress: Callable[[str], None],
                   declared: tuple[np.random.Generator, generator.UnitPlan, declarations.Habits]) -> int:
    drng, plan, habits = declared
    now = timezone.now()
    n_units = len(unit_areas)
    p0 = next_id(Person)
    r0 = next_id(Registration)
    k0 = next_id(PersonSearchKey)
    ids, births = generator.id_numbers(rng, n, today)
    origin_names: dict[str, str] = {}
    today64 = np.datetime64(today.isoformat())
    n_regs = 0
    created = timezone.now()
    for start, stop in generator.batches(n, 50_000):
        chunk_ids = ids[start:stop]
        m = stop - start
        ids_l = chunk_ids.tolist()
        sexes = np.array(["M" if int(s[16]) % 2 else "F" for s in ids_l])
        names, initials = generator.names(rng, sexes)
        phones = generator.phones(rng, m)
        ethnic = np.where(rng.random(m) < .95, "01", _ETHNIC[rng.integers(0, len(_ETHNIC), size=m)])
        edu = rng.choice(_EDU, size=m, p=_EDU_P)
        marital = _MARITAL[rng.integers(0, 4, size=m)]
        occ = rng.integers(0, len(city.OCCUPATIONS), size=m)
        birth_l = births[start:stop].astype(object).tolist()
        phones_l = phones.tolist()

        enc_id = crypto.encrypt_many(ids_l, context=ID_CONTEXT)
        idx_id = crypto.blind_index_many(ids_l, context=ID_CONTEXT)
        enc_ph = crypto.encrypt_many(phones_l, context=PHONE_CONTEXT)
        idx_ph = crypto.blind_index_many(phones_l, context=PHONE_CONTEXT)
        for code in {x[:6] for x in ids_l} - origin_names.keys():
            origin_names[code] = divisions.name_of(code)
        occupations = [city.OCCUPATIONS[o] for o in occ.tolist()]
        rows = zip(
            range(p0 + start, p0 + stop), enc_id, idx_id, [mask_id(x) for x in ids_l], names,
            initials, sexes.tolist(), birth_l, [x[:6] for x in ids_l], ethnic.tolist(), edu.tolist(),
            marital.tolist(), occupations, enc_ph, idx_ph, [mask_phone(x) for x in phones_l],
            [origin_names[x[:6]] for x in ids_l], [""] * m, [created] * m, strict=True,
        )
        bulk_insert(Person, ["id", "id_number_enc", "id_number_index", "id_number_masked", "name", "name_initials",
                             "sex", "birth_date", "origin_code", "ethnicity", "education", "marital_status",
                             "occupation", "phone_enc", "phone_index", "phone_masked", "hukou_address", "photo",
                             "created_at"], rows)
        # registrations: one per person, 85% current; 10% also have an earlier, ended one
        unit = u0 + rng.integers(0, n_units, size=m)
        start_days = rng.integers(1, 3 * 365, size=m)
        started = (today64 - start_days.astype("timedelta64[D]"))
        current = rng.random(m) < 0.85
        ended = started + (rng.random(m) * start_days).astype("timedelta64[D]")
        reg_rows = []
        started_l, ended_l, unit_l, cur_l = started.astype(object).tolist(), ended.astype(object).tolist(), \
            unit.tolist(), current.tolist()
        for i in range(m):
            reg_rows.append((r0 + n_regs, p0 + start + i, unit_l[i], "long_term", started_l[i],
                             None if cur_l[i] else ended_l[i], created, unit_areas[unit_l[i] - u0]))
            n_regs += 1
        earlier = np.flatnonzero(rng.random(m) < 0.10)
        prev_unit = u0 + rng.integers(0, n_units, size=len(earlier))
        for k, i in enumerate(earlier.tolist()):
            end = started_l[i] - dt.timedelta(days=1)
            reg_rows.append((r0 + n_regs, p0 + start + i, int(prev_unit[k]), "long_term",
                             end - dt.timedelta(days=200 + i % 300), end, created,
                             unit_areas[int(prev_unit[k]) - u0]))
            n_regs += 1
        unit_idx = np.array([r[2] - u0 for r in reg_rows], dtype=np.int64)
        decl = declarations.registration_declarations(
            drng, started=np.array([r[4] for r in reg_rows], dtype="datetime64[D]"),
            ended=np.array([r[5] or r[4] for r in reg_rows], dtype="datetime64[D]"),
            current=np.array([r[5] is None for r in reg_rows]), obligor=plan.obligor[unit_idx],
            rental=plan.is_rental[unit_idx], habits=habits, today=today, now=now)
        bulk_insert(Registration, ["id", "person_id", "unit_id", "place_class", "started_on", "ended_on",
                                   "created_at", "area_path", *declarations.DECLARATION_COLUMNS],
                    (r + d for r, d in zip(reg_rows, decl, strict=True)))
        k0 += _search_keys_write(k0, p0 + start, names, reg_rows)
        progress(f"{stop:,} / {n:,} persons")
    reset_sequence(Person)
    reset_sequence(Registration)
    reset_sequence(PersonSearchKey)
    return n_regs


def _stays_write(drng: np.random.Generator, persons: int, u0: int, plan: generator.UnitPlan, unit_areas: list[str],
                 obligors: list[tuple[int, str, str]], o0: int, habits: declarations.Habits) -> int:
    """A year of stays at the hotels' and hourly rentals' units: one a person a year (at most 200,000; the demo must
    start within a minute on SQLite), COPY on PostgreSQL into the monthly partitions, created first for the year."""
    kinds = np.array([k for _i, _n, k in obligors])
    owner = plan.obligor
    instant = np.flatnonzero((owner >= 0) & np.isin(kinds[np.maximum(owner, 0)], ["hotel", "hourly_rental"]))
    if not len(instant):
        return 0
    now = timezone.now()
    stay_partitions_ensure(timezone.localdate() - dt.timedelta(days=370), timezone.localdate())
    n = min(persons, 200_000)
    person_ids = np.arange(next_id(Person) - persons, next_id(Person))
    ids = stay_row_ids(2 * n)
    rows = declarations.stay_rows(
        drng, n=n, units=u0 + instant, unit_obligor=owner[instant],
        unit_hourly=kinds[owner[instant]] == "hourly_rental",
        unit_area=[unit_areas[i] for i in instant.tolist()], obligor_ids=o0 + np.arange(len(obligors)),
        habits=habits, obligor_index=owner[instant], person_ids=person_ids, now=now, ids=ids)
    written = bulk_insert(Stay, declarations.STAY_COLUMNS, rows)
    return written


def _search_keys_write(k0: int, p0: int, names: list[str], reg_rows: list[tuple]) -> int:  # type: ignore[type-arg]
    """The search keys of a batch of persons (ids from p0, in `names` order) from their registration rows, as
    people.services.person_search_keys_stamp writes them; returns the keys written."""
    regs: dict[int, list[tuple[str, dt.date | None]]] = {}
    for row in reg_rows:
        regs.setdefault(row[1], []).append((row[7], row[5]))
    rows = ((pid, form, path, ended) for pid, rs in regs.items()
            for form, path, ended in generator.search_keys(names[pid - p0], rs))
    return bulk_insert(PersonSearchKey, ["id", "person_id", "form", "area_path", "ended_on"],
                       ((k0 + i, *row) for i, row in enumerate(rows)))


# (username, role, jurisdiction code, display name)
DEMO_USERS = [
    ("admin", Role.ADMIN, "440300", "系统管理员"),
    ("clerk", Role.CLERK, "440308", "盐田区受理员"),
    ("clerk_luohu", Role.CLERK, "440303", "罗湖区受理员"),
    ("reviewer", Role.REVIEWER, "440308", "盐田区审核员"),
    ("production", Role.PRODUCTION, "440300", "制证中心"),
    ("gridworker", Role.GRID_WORKER, "440308002001", "盐田社区网格员"),
    ("enforcement", Role.ENFORCEMENT, "440308", "盐田区执法员"),
    ("manager", Role.MANAGER, "440300", "市局管理员"),
    ("landlord", Role.LANDLORD, "", "房东(演示)"),
    ("employer", Role.EMPLOYER, "", "用工单位宿舍(演示)"),
    ("hotel", Role.HOTEL, "", "酒店前台(演示)"),
    ("hourly", Role.HOURLY_RENTAL, "", "钟点房(演示)"),
]


def demo_users_create() -> list[tuple[str, str, str]]:
    """Create the demo log-ins (idempotent). Returns (username, role label, area name)."""
    out = []
    names = dict(Jurisdiction.objects.filter(code__in=[u[2] for u in DEMO_USERS]).values_list("code", "name"))
    for username, role, code, display in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(actor=None, username=username, password=DEMO_PASSWORD, role=role,
                               jurisdiction_code=code, display_name=display, check_password=False)
            if role in OBLIGOR_ROLES:  # the first obligor of its kind without an account: its premises
                obligor = Obligor.objects.filter(kind=role, account__isnull=True).order_by("pk").first()
                if obligor is not None:
                    obligor_account_bind(actor=None, obligor_id=obligor.pk, username=username)
        out.append((username, str(Role(role).label), names.get(code, "")))
    out.append(_demo_resident())
    return out


def _demo_resident() -> tuple[str, str, str]:
    """One resident account, for the resident pages at /me/: its log-in is the (synthetic) ID number. A holder of a
    valid permit when the city has one (their page shows the e-permit's QR code)."""
    living = Person.objects.filter(registrations__ended_on__isnull=True,
                                   registrations__unit__building__grid__path__startswith="/440300/440308/")
    person = (living.filter(permits__status="valid").order_by("pk").first()
              or living.order_by("pk").first())
    if person is None:
        return ("", str(Role.RESIDENT.label), "")
    id_number = reveal_id_number(person.id_number_enc)  # printed as the demo log-in: on the record, like any reveal
    event_record(actor=None, action="person.identity.unmasked", subject_type="person", subject_id=person.pk,
                 data={"purpose": "demo: resident log-in printed"})
    if not User.objects.filter(person_id=person.pk).exists():
        user_create(actor=None, username=resident_username(person.pk), password=DEMO_PASSWORD, role=Role.RESIDENT,
                    display_name=person.name, check_password=False, person_id=person.pk)
    return (id_number, str(Role.RESIDENT.label), f"{person.name} · /me/login/")
