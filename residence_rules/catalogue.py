"""The catalogue: the enumerations and every parameter the rules know, with its type and meaning.

A parameter file may only set parameters named here, with values of the declared type. The Chinese and
English descriptions are what ``residence rules params`` prints beside each value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import WrongTypeError

# --- enumerations (the first value of each is the "nothing" value where one makes sense) ----------------
ENUMS: dict[str, tuple[str, ...]] = {
    "place_class": ("instant", "long_term", "rental"),
    "event": ("arrival", "departure"),
    "employment_event": ("hire", "separation"),
    "housing": ("none", "own_home", "employer_dormitory", "rental", "other"),
    "school_level": ("none", "primary", "secondary", "vocational", "university"),
    "scheme": ("none", "talent", "investment"),
    "relation": ("self", "guardian", "close_relative", "grid_worker", "other"),
    # one list shared with the database (places.AcceptancePointKind is built from it)
    "point_kind": ("police_station", "community_service_agency", "migrant_service_agency",
                   "street_office", "community_station", "rental_station"),
    "service": ("registration", "application", "endorsement", "change", "replacement", "reissue"),
    "material": ("id_card", "photo", "address_proof", "employment_proof", "housing_proof",
                 "enrolment_proof", "scheme_certificate"),
    "area_level": ("county", "prefecture", "province"),
    # instant_stay: a hotel or hourly-rental stay (住宿登记), which no locality counts yet
    "evidence_kind": ("registration", "school_roll", "social_insurance", "instant_stay"),
    "basis": ("none", "scheme", "employment", "residence", "study"),
    "timing": ("early", "in_window", "late", "not_endorsed"),
    "permit_status": ("active", "suspended", "restored"),
    "issue_status": ("pending", "on_time", "late", "overdue"),
}


# --- parameter value types ---------------------------------------------------------------------------
class ParamType:
    """A parameter value type: checks and normalises a value read from YAML."""

    name = "value"

    def check(self, value: Any, *, file: str, line: int | None, key: str) -> Any:  # pragma: no cover
        raise NotImplementedError

    def fail(self, value: Any, *, file: str, line: int | None, key: str, why: str = "") -> WrongTypeError:
        got = type(value).__name__
        extra = f" ({why})" if why else ""
        return WrongTypeError(f"expected {self.name}, got {got} {value!r}{extra}", file=file, line=line,
                              key=key)


@dataclass(frozen=True)
class IntType(ParamType):
    minimum: int = 0
    maximum: int | None = None

    @property
    def name(self) -> str:  # type: ignore[override]
        upper = "" if self.maximum is None else f"..{self.maximum}"
        return f"an integer {self.minimum}{upper}" if upper else f"an integer >= {self.minimum}"

    def check(self, value: Any, *, file: str, line: int | None, key: str) -> int:
        if type(value) is not int:
            raise self.fail(value, file=file, line=line, key=key)
        if value < self.minimum or (self.maximum is not None and value > self.maximum):
            raise self.fail(value, file=file, line=line, key=key, why="out of range")
        return value


class BoolType(ParamType):
    name = "true or false"

    def check(self, value: Any, *, file: str, line: int | None, key: str) -> bool:
        if type(value) is not bool:
            raise self.fail(value, file=file, line=line, key=key)
        return value


@dataclass(frozen=True)
class EnumType(ParamType):
    enum: str

    @property
    def name(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(ENUMS[self.enum])

    def check(self, value: Any, *, file: str, line: int | None, key: str) -> str:
        if not isinstance(value, str) or value not in ENUMS[self.enum]:
            raise self.fail(value, file=file, line=line, key=key)
        return value


@dataclass(frozen=True)
class ListType(ParamType):
    item: ParamType

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"a list of ({self.item.name})"

    def check(self, value: Any, *, file: str, line: int | None, key: str) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise self.fail(value, file=file, line=line, key=key)
        lines = getattr(value, "item_lines", [])
        out = []
        for i, item in enumerate(value):
            item_line = lines[i] if i < len(lines) else line
            out.append(self.item.check(item, file=file, line=item_line, key=f"{key}[{i}]"))
        if len(set(map(repr, out))) != len(out):
            raise self.fail(value, file=file, line=line, key=key, why="an item is repeated")
        return tuple(out)


@dataclass(frozen=True)
class MapType(ParamType):
    key_enum: str
    value: ParamType

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"a mapping from ({EnumType(self.key_enum).name}) to ({self.value.name})"

    def check(self, value: Any, *, file: str, line: int | None, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(value, file=file, line=line, key=key)
        out: dict[str, Any] = {}
        for k, v in value.items():
            k_line = value.line_of(k) if hasattr(value, "line_of") else line
            if k not in ENUMS[self.key_enum]:
                raise WrongTypeError(f"unknown {self.key_enum} {k!r}; expected {EnumType(self.key_enum).name}",
                                     file=file, line=k_line, key=f"{key}.{k}")
            out[k] = self.value.check(v, file=file, line=k_line, key=f"{key}.{k}")
        return out


@dataclass(frozen=True)
class Zone:
    """Named areas whose registrations count as one area for continuity."""

    name: str
    areas: tuple[str, ...]


class ZonesType(ParamType):
    name = "a list of zones, each {name: text, areas: [area codes as quoted text]}"

    def check(self, value: Any, *, file: str, line: int | None, key: str) -> tuple[Zone, ...]:
        if not isinstance(value, list):
            raise self.fail(value, file=file, line=line, key=key)
        zones = []
        seen: set[str] = set()
        for i, item in enumerate(value):
            item_line = value.line_of(i) if hasattr(value, "line_of") else line
            if not isinstance(item, dict) or set(item) != {"name", "areas"}:
                raise self.fail(item, file=file, line=item_line, key=f"{key}[{i}]")
            name, areas = item["name"], item["areas"]
            if not isinstance(name, str) or not isinstance(areas, list) or len(areas) < 2 or not all(
                isinstance(a, str) and a for a in areas
            ):
                raise self.fail(item, file=file, line=item_line, key=f"{key}[{i}]",
                                why="a zone needs a name and at least two area codes written as text")
            for area in areas:
                if area in seen:
                    raise self.fail(area, file=file, line=item_line, key=f"{key}[{i}]",
                                    why="an area belongs to two zones")
                seen.add(area)
            zones.append(Zone(name, tuple(areas)))
        return tuple(zones)


@dataclass(frozen=True)
class LocalArea:
    """An area the locality codes itself (a functional zone without a GB/T 2260 code)."""

    code: str
    name: str


class LocalCodesType(ParamType):
    name = "a list of areas, each {code: 6 digits as quoted text, name: text}, none of them a GB/T 2260 code"

    def check(self, value: Any, *, file: str, line: int | None, key: str) -> tuple[LocalArea, ...]:
        from .divisions import load_divisions

        if not isinstance(value, list):
            raise self.fail(value, file=file, line=line, key=key)
        out: list[LocalArea] = []
        for i, item in enumerate(value):
            item_line = value.line_of(i) if hasattr(value, "line_of") else line
            if not isinstance(item, dict) or set(item) != {"code", "name"}:
                raise self.fail(item, file=file, line=item_line, key=f"{key}[{i}]")
            code, name = item["code"], item["name"]
            if not (isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()
                    and isinstance(name, str) and name.strip()):
                raise self.fail(item, file=file, line=item_line, key=f"{key}[{i}]",
                                why="a code of 6 digits written as text and a name")
            official = load_divisions().name(code)
            if official is not None:
                raise self.fail(code, file=file, line=item_line, key=f"{key}[{i}]",
                                why=f"already the GB/T 2260 code of {official}")
            if code in {a.code for a in out}:
                raise self.fail(code, file=file, line=item_line, key=f"{key}[{i}]", why="declared twice")
            out.append(LocalArea(code, name.strip()))
        return tuple(out)


@dataclass(frozen=True)
class ParamSpec:
    key: str
    type: ParamType
    unit: str
    zh: str
    en: str


def _int(minimum: int = 0, maximum: int | None = None) -> IntType:
    return IntType(minimum, maximum)


_SPECS = [
    # registration (DOMAIN rules 1, 2, 3, 6)
    ParamSpec("registration.deadline.instant.arrival_minutes", _int(0, 1440), "minutes",
              "即时申报场所(旅馆、时(日)租房)来人申报时限", "instant places: arrival to be declared within"),
    ParamSpec("registration.deadline.instant.departure_minutes", _int(0, 1440), "minutes",
              "即时申报场所走人申报时限", "instant places: departure to be declared within"),
    ParamSpec("registration.deadline.long_term.arrival_days", _int(0, 365), "days",
              "长期居住场所(住宅、单位宿舍)来人申报时限", "long-term places: arrival to be declared within"),
    ParamSpec("registration.deadline.long_term.departure_days", _int(0, 365), "days",
              "长期居住场所走人申报时限", "long-term places: departure to be declared within"),
    ParamSpec("registration.deadline.rental.change_days", _int(0, 365), "days",
              "出租屋租住人员变动录入时限", "rental housing: tenant arrivals and departures entered within"),
    ParamSpec("registration.rental_hotel_style", BoolType(), "switch",
              "出租房屋实行“旅馆式”管理(按即时申报场所时限)",
              "rental housing managed hotel-style (instant-place deadlines apply)"),
    ParamSpec("registration.register_only_below_days", _int(0, 3650), "days",
              "居住不满此天数的只登记不发证", "below this many days of residence: registered, no permit"),
    ParamSpec("employment.report.hire_days", _int(0, 365), "days",
              "用人单位录入新招员工信息时限", "employers enter a hire within"),
    ParamSpec("employment.report.separation_days", _int(0, 365), "days",
              "用人单位录入辞退、解除合同信息时限", "employers enter a separation within"),
    # permit conditions (rule 7)
    ParamSpec("permit.continuity.min_days", _int(1, 3650), "days",
              "申领前连续居住并申报居住登记的最少天数", "days of continuous registered residence before applying"),
    ParamSpec("permit.continuity.area_level", EnumType("area_level"), "area level",
              "连续居住计算的区域层级", "level of area within which continuity counts"),
    ParamSpec("areas.local_codes", LocalCodesType(), "areas",
              "本地自定代码的功能区(无国标区划代码)", "functional zones the locality codes itself (no GB/T 2260 code)"),
    ParamSpec("permit.continuity.zones", ZonesType(), "zones",
              "视为同一区域的功能区", "named zones that count as one area"),
    ParamSpec("permit.continuity.evidence_kinds", ListType(EnumType("evidence_kind")), "kinds",
              "可作为居住登记时间的记录种类", "records that count as registered time"),
    ParamSpec("permit.employment.min_social_insurance_months", _int(0, 120), "months",
              "参加社会保险最少月数", "months of social insurance"),
    ParamSpec("permit.employment.min_business_licence_months", _int(0, 120), "months",
              "持有工商执照最少月数", "months holding a business licence"),
    ParamSpec("permit.employment.min_labour_contract_months", _int(0, 120), "months",
              "劳动合同最短期限(月)", "minimum term of a labour contract"),
    ParamSpec("permit.employment.min_agricultural_contract_months", _int(0, 120), "months",
              "农业承包合同最短期限(月)", "minimum term of an agricultural contract"),
    ParamSpec("permit.employment.other_accepted", BoolType(), "switch",
              "其他符合合法稳定就业条件的情况", "other lawful stable employment accepted"),
    ParamSpec("permit.residence.accepted_housing", ListType(EnumType("housing")), "housing kinds",
              "合法稳定住所的种类", "kinds of housing that are a stable residence"),
    ParamSpec("permit.residence.safety_compliance_required", ListType(EnumType("housing")), "housing kinds",
              "须符合安全管理规定的住所种类", "housing kinds that must meet safety rules"),
    ParamSpec("permit.residence.lease_required", ListType(EnumType("housing")), "housing kinds",
              "须签订租赁合同的住所种类", "housing kinds that need a lease"),
    ParamSpec("permit.study.accepted_levels", ListType(EnumType("school_level")), "school levels",
              "连续就读认可的学校类别", "schools where enrolment counts as continuous study"),
    ParamSpec("permit.study.full_time_required", BoolType(), "switch",
              "须全日制就读", "study must be full time"),
    ParamSpec("permit.direct_schemes", ListType(EnumType("scheme")), "schemes",
              "可直接申领的投资创业、引进人才政策", "schemes that give a permit directly"),
    # applicants (rule 8)
    ParamSpec("permit.applicant.self_min_age", _int(0, 18), "years",
              "本人申领的最低年龄", "minimum age to apply in person"),
    ParamSpec("permit.applicant.proxy_relations", ListType(EnumType("relation")), "relations",
              "可代为申领的关系", "relations that may apply on someone's behalf"),
    ParamSpec("permit.applicant.proxy_below_age", _int(0, 18), "years",
              "未满此年龄的可由监护人、近亲属代为申领", "below this age a guardian or close relative applies"),
    ParamSpec("permit.applicant.grid_worker_allowed", BoolType(), "switch",
              "网格员可代为受理申领", "grid workers may apply on a resident's behalf"),
    # application and acceptance (rules 8, 9)
    ParamSpec("permit.application.required_materials", ListType(EnumType("material")), "materials",
              "申领须提交的基本材料", "materials every application needs"),
    ParamSpec("permit.application.condition_materials", MapType("basis", EnumType("material")), "materials",
              "按申领条件须提交的证明材料", "proof needed for the condition relied on"),
    ParamSpec("acceptance.point_services", MapType("point_kind", ListType(EnumType("service"))), "services",
              "各类受理点可受理的业务", "what each kind of acceptance point may accept"),
    ParamSpec("permit.issue.limit_days", _int(1, 30), "days",
              "自受理之日起制作发放居住证的时限", "days from acceptance to issue the permit"),
    ParamSpec("permit.issue.local_extension_days", _int(0, 15), "days",
              "地方规定的延长天数(延长后最长不超过30日)", "local extension (total at most 30 days)"),
    # endorsement, change, fees, dormancy (rules 10-13)
    ParamSpec("permit.endorsement.every_years", _int(1, 10), "years",
              "签注周期(年)", "endorse every this many years"),
    ParamSpec("permit.endorsement.window_months_before", _int(0, 12), "months",
              "每满一年之日前可办理签注的月数", "months before each anniversary when endorsement opens"),
    ParamSpec("permit.endorsement.restart_count_when_late", BoolType(), "switch",
              "逾期补办签注的,居住年限自补办之日起连续计算",
              "after a late endorsement, residence years count again from that day"),
    ParamSpec("permit.change.limit_days", _int(0, 365), "days",
              "居住地址、服务处所变更后办理变更的时限", "days to report a change of address or workplace"),
    ParamSpec("fees.card_fee_yuan", _int(0, 1000), "yuan", "居住证工本费(元)", "card fee (yuan)"),
    ParamSpec("fees.charged_services", ListType(EnumType("service")), "services",
              "应缴纳工本费的业务", "services that pay the card fee"),
    ParamSpec("permit.dormancy.enabled", BoolType(), "switch",
              "居住证休眠功能", "permits go dormant without an active record"),
    ParamSpec("permit.dormancy.days", _int(1, 3650), "days",
              "无有效居住登记或用工记录满此天数即休眠", "days without an active record before dormancy"),
]

PARAMETERS: dict[str, ParamSpec] = {spec.key: spec for spec in _SPECS}
