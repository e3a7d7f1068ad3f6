"""Deterministic synthetic data for the demo city: rows as plain tuples, ready for COPY or executemany.

Everything is drawn from one numpy Generator seeded by `--seed`, so the same seed gives the same city.
Persons' ID numbers are valid per GB 11643 (real county-level origin codes in use, check character computed),
unique; names come from Faker's zh_CN surname (weighted) and given-name lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from faker.providers.person.zh_CN import Provider as ZhNames

from residence.core import divisions
from residence.demo import city
from residence.people.identity import name_forms, name_initials
from residence.people.identity import search_keys as _search_keys

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))


@dataclass
class Jur:
    code: str
    name: str
    level: str
    parent: str | None
    path: str
    official: bool


@dataclass
class CityShape:
    jurisdictions: list[Jur] = field(default_factory=list)
    grids: list[Jur] = field(default_factory=list)
    # acceptance points: (code, name, kind, jurisdiction code)
    points: list[tuple[str, str, str, str]] = field(default_factory=list)


def city_shape() -> CityShape:
    shape = CityShape()
    root = Jur(city.CITY[0], city.CITY[1], "city", None, f"/{city.CITY[0]}/", True)
    shape.jurisdictions.append(root)
    for d_code, d_name, streets in city.DISTRICTS:
        dj = Jur(d_code, d_name, "district", root.code, f"{root.path}{d_code}/", True)
        shape.jurisdictions.append(dj)
        for s_i, (s_name, communities) in enumerate(streets, start=1):
            s_code = f"{d_code}{s_i:03d}"
            sj = Jur(s_code, s_name, "street", d_code, f"{dj.path}{s_code}/", False)
            shape.jurisdictions.append(sj)
            shape.points.append((f"SO{s_code}", s_name.replace("街道", "街道办事处"), "street_office", s_code))
            for c_i, c_name in enumerate(communities, start=1):
                c_code = f"{s_code}{c_i:03d}"
                cj = Jur(c_code, c_name, "community", s_code, f"{sj.path}{c_code}/", False)
                shape.jurisdictions.append(cj)
                shape.points.append((f"CS{c_code}", f"{c_name}工作站", "community_station", c_code))
                for g_i in range(1, city.GRIDS_PER_COMMUNITY + 1):
                    g_code = f"{c_code}{g_i:03d}"
                    gj = Jur(g_code, f"{c_name}第{g_i}网格", "grid", c_code, f"{cj.path}{g_code}/", False)
                    shape.jurisdictions.append(gj)
                    shape.grids.append(gj)
        for p_i, p_name in enumerate(city.POLICE_STATIONS[d_code], start=1):
            street_code = f"{d_code}{min(p_i, len(streets)):03d}"
            shape.points.append((f"PS{d_code}{p_i:02d}", f"{d_name}{p_name}", "police_station", street_code))
    yt_communities = [j for j in shape.jurisdictions if j.level == "community" and j.code.startswith("440308")]
    for i in range(city.RENTAL_STATIONS_YANTIAN):
        c = yt_communities[i % len(yt_communities)]
        shape.points.append((f"RS440308{i + 1:02d}", f"盐田区出租屋综合管理服务站{i + 1}号", "rental_station", c.code))
    return shape


def sizes(persons: int) -> tuple[int, int, int]:
    """(buildings, units, obligors) for a number of persons: the demo's 2,000 / 20,000 / 500 at 20,000."""
    return max(2_000, persons // 10), max(20_000, persons), max(500, persons // 40)


def obligor_rows(rng: np.random.Generator, n: int) -> list[tuple[int, str, str]]:
    """(index, name, kind). 80% landlords, 8% employers with dormitories, 7% hotels, 5% hourly rentals."""
    kinds = rng.choice(np.array(["landlord", "employer", "hotel", "hourly_rental"]), size=n, p=[.8, .08, .07, .05])
    surnames = list(ZhNames.last_names.keys())
    rows = []
    for i, k in enumerate(kinds):
        s = surnames[int(rng.integers(len(surnames)))]
        name = {"landlord": f"{s}某某(业主)", "employer": f"深圳市{s}氏实业有限公司",
                "hotel": f"{city.ROADS[i % len(city.ROADS)][:2]}{s}家酒店", "hourly_rental": f"{s}记时租公寓"}[str(k)]
        rows.append((i, name, str(k)))
    return rows


@dataclass
class UnitPlan:
    building_of: np.ndarray  # building index per unit
    label: list[str]
    kind: np.ndarray
    is_rental: np.ndarray
    grade: np.ndarray
    obligor: np.ndarray  # obligor index or -1


def unit_plan(
    rng: np.random.Generator, n_units: int, n_buildings: int, obligors: list[tuple[int, str, str]]
) -> UnitPlan:
    building_of = np.sort(rng.integers(0, n_buildings, size=n_units))
    building_of[:n_buildings] = np.arange(n_buildings)  # every building has at least one unit
    building_of.sort()
    # room labels: floor and number within the building
    first = np.searchsorted(building_of, building_of, side="left")
    pos = np.arange(n_units) - first
    labels = [f"{p // 6 + 1}{p % 6 + 1:02d}" for p in pos.tolist()]
    is_rental = rng.random(n_units) < 0.40
    kind = np.where(is_rental, np.where(rng.random(n_units) < 0.5, "room", "flat"), "flat").astype(object)
    grade = np.where(is_rental, rng.choice(np.array(["A", "B", "C"]), size=n_units, p=[.7, .25, .05]), "")
    obligor = np.full(n_units, -1, dtype=np.int64)
    by_kind: dict[str, list[int]] = {}
    for i, _name, k in obligors:
        by_kind.setdefault(k, []).append(i)
    rental_idx = np.flatnonzero(is_rental)
    special = {"employer": "dormitory", "hotel": "hotel", "hourly_rental": "room"}
    n_special = min(len(rental_idx) // 5, 4_000 + n_units // 50)
    special_idx = rental_idx[:n_special]
    for j, u in enumerate(special_idx.tolist()):
        k = ("employer", "hotel", "hourly_rental")[j % 3]
        if by_kind.get(k):
            # every obligor of the kind in turn (j // 3: with j itself, a kind whose count is a multiple of 3 left
            # two thirds of its obligors, the demo's hotel log-in among them, without a unit)
            obligor[u] = by_kind[k][(j // 3) % len(by_kind[k])]
            kind[u] = special[k]
    landlords = np.array(by_kind.get("landlord", [0]))
    rest = rental_idx[n_special:]
    obligor[rest] = landlords[rng.integers(0, len(landlords), size=len(rest))]
    return UnitPlan(building_of, labels, kind, is_rental, grade, obligor)


@cache
def _origin_pool() -> tuple[np.ndarray, np.ndarray]:
    codes = [c for c in divisions.county_codes(in_use_only=True) if c[:2] in city.ORIGIN_PROVINCES]
    weights = np.array([city.ORIGIN_PROVINCES[c[:2]] for c in codes], dtype=float)
    counts: dict[str, int] = {}
    for c in codes:
        counts[c[:2]] = counts.get(c[:2], 0) + 1
    weights /= np.array([counts[c[:2]] for c in codes], dtype=float)
    return np.array(codes), weights / weights.sum()



def id_numbers(rng: np.random.Generator, n: int, today: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """n unique valid ID numbers (as str array) and birth dates (datetime64[D])."""
    codes, weights = _origin_pool()
    out_first17 = np.empty(0, dtype=np.int64)
    births = np.empty(0, dtype="datetime64[D]")
    origin_idx = np.empty(0, dtype=np.int64)
    lo = np.datetime64("1950-01-01")
    hi = np.datetime64(today.isoformat()) - np.timedelta64(365 * 16, "D")
    span = int((hi - lo).astype(int))
    need = n
    while need > 0:
        o = rng.choice(len(codes), size=need, p=weights)
        # ages skewed to working age: triangular towards 30
        days = (rng.triangular(0, span * 0.72, span, size=need)).astype(np.int64)
        b = lo + days.astype("timedelta64[D]")
        seq = rng.integers(0, 1000, size=need)
        ymd = b.astype("datetime64[D]").astype(str)
        ymd_int = np.char.replace(ymd, "-", "").astype(np.int64)
        key = codes[o].astype(np.int64) * 10**11 + ymd_int * 1000 + seq
        out_first17 = np.concatenate([out_first17, key])
        births = np.concatenate([births, b])
        origin_idx = np.concatenate([origin_idx, o])
        _, keep = np.unique(out_first17, return_index=True)
        keep.sort()
        out_first17, births, origin_idx = out_first17[keep], births[keep], origin_idx[keep]
        need = n - len(out_first17)
    digits = (out_first17[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))) % 10
    check = _CHECK[(digits @ _WEIGHTS) % 11]
    ids = np.char.add(np.char.zfill(out_first17.astype(str), 17), check)
    return ids, births


@cache
def _initials(part: str) -> str:
    return name_initials(part)


_forms = cache(name_forms)


def search_keys(name: str, registrations: list[tuple[str, dt.date | None]]) -> list[tuple[str, str, dt.date | None]]:
    """people.identity.search_keys, with each distinct name's forms computed once (pypinyin is slow at a million)."""
    return _search_keys(name, registrations, forms=_forms)


def names(rng: np.random.Generator, sexes: np.ndarray) -> tuple[list[str], list[str]]:
    surnames = list(ZhNames.last_names.keys())
    sw = np.array(list(ZhNames.last_names.values()), dtype=float)
    sur = rng.choice(len(surnames), size=len(sexes), p=sw / sw.sum())
    male, female = ZhNames.first_names_male, ZhNames.first_names_female
    gm = rng.integers(0, len(male), size=len(sexes))
    gf = rng.integers(0, len(female), size=len(sexes))
    out, ini = [], []
    for s, m, f, sex in zip(sur.tolist(), gm.tolist(), gf.tolist(), sexes.tolist(), strict=True):
        given = male[m] if sex == "M" else female[f]
        sn = surnames[s]
        out.append(sn + given)
        ini.append(_initials(sn) + _initials(given))
    return out, ini


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    prefixes = np.array(["13", "15", "17", "18", "19"])
    p = rng.choice(prefixes, size=n)
    rest = rng.integers(0, 10**9, size=n)
    return np.char.add(p, np.char.zfill(rest.astype(str), 9))


def batches(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(n, start + size)
