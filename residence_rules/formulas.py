"""The formulas of registration and residence permits (DOMAIN rules 1–14, 21).

Each formula is a small function over columns (numpy arrays, one element per situation). Its argument
names are the variables it reads; ``params`` names the parameters it uses; ``because`` says in plain words
(Chinese, English) why the value came out as it did, filled from the values used. Read a formula as a
sentence: ``continuity_met = continuous_days >= min_days``.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import numpy as np

from .catalogue import ENUMS, LocalArea, Zone
from .continuity import Interval, IntervalTable, continuity_of, rules_for
from .divisions import DivisionTable
from .model import (
    BOOL,
    DATE,
    DATETIME,
    ENUM,
    INT,
    INTERVALS,
    OBJECT,
    SET,
    Column,
    Model,
    Text,
    Words,
    add_days,
    add_minutes,
    add_months,
    bits_of,
    code,
    end_of_day_after,
    given,
    is_in,
    lazy,
    maximum,
    member_table,
    minimum,
    not_,
    or_as_of,
    to_date,
    where,
)

MODEL = Model()
m = MODEL

# ==== inputs: what a situation may say ================================================================
# registration declarations (rules 1, 2, 6)
m.input("place_class", ENUM, ("场所类别", "place class"), enum="place_class")
m.input("event", ENUM, ("来人或走人", "arrival or departure"), enum="event")
m.input("event_time", DATETIME, ("来人/走人时间", "time of arrival or departure"))
m.input("declared_time", DATETIME, ("申报时间", "time declared"), done=True)
# employers (rule 13)
m.input("employment_event", ENUM, ("用工变动", "employment event"), enum="employment_event")
m.input("employment_event_date", DATE, ("招用/辞退日期", "date of hire or separation"), done=True)
m.input("employment_reported_date", DATE, ("用人单位录入日期(未录入则不填)", "date the employer entered it (none yet: "
                                                                    "leave out)"), optional=True, done=True)
# permit conditions (rule 7)
m.input("registration_intervals", INTERVALS, ("居住登记记录", "registration intervals"))
m.input("social_insurance_months", INT, ("参加社会保险月数", "months of social insurance"), default=0, minimum=0)
m.input("business_licence_months", INT, ("持有工商执照月数", "months holding a business licence"), default=0,
        minimum=0)
m.input("labour_contract_months", INT, ("劳动合同期限(月)", "labour contract term (months)"), default=0,
        minimum=0)
m.input("agricultural_contract_months", INT, ("农业承包合同期限(月)", "agricultural contract term (months)"),
        default=0, minimum=0)
m.input("other_employment", BOOL, ("其他合法稳定就业", "other lawful stable employment"), default=False)
m.input("housing", ENUM, ("住所类别", "housing"), enum="housing", default="none")
m.input("housing_safety_compliant", BOOL, ("住所符合安全管理规定", "housing meets safety rules"), default=False)
m.input("has_lease", BOOL, ("签订租赁合同", "has a lease"), default=False)
m.input("school_level", ENUM, ("就读学校类别", "school"), enum="school_level", default="none")
m.input("full_time_study", BOOL, ("全日制就读", "full-time study"), default=False)
m.input("scheme", ENUM, ("投资创业、引进人才政策", "direct scheme"), enum="scheme", default="none")
m.input("materials", SET, ("已提交材料", "materials handed in"), enum="material", default=())
m.input("claimed_basis", ENUM, ("申领人所依据的条件(无:按满足的第一项)", "condition the applicant relies on (none: the "
                                                         "first one met)"), enum="basis", default="none")
# applicants (rule 8)
m.input("applicant_relation", ENUM, ("申领人与本人关系", "who applies"), enum="relation")
m.input("person_age", INT, ("本人年龄", "age of the person"), minimum=0)
m.input("unable_to_attend", BOOL, ("行动不便的老年人、残疾人", "elderly or disabled and cannot come"),
        default=False)
# acceptance points, fees (rules 9, 12)
m.input("point_kind", ENUM, ("受理点类别", "kind of acceptance point"), enum="point_kind")
m.input("service", ENUM, ("业务", "service"), enum="service")
# issue (rule 9)
m.input("accepted_date", DATE, ("受理日期", "date accepted"), done=True)
m.input("issued_date", DATE, ("发证日期(未发证则不填)", "date issued (not yet: leave out)"), optional=True, done=True)
# endorsement (rule 10)
m.input("permit_anchor_date", DATE, ("居住年限起算日(发证或补办签注日)", "date residence years count from"), done=True)
m.input("endorsed_years", INT, ("已签注年数", "years already endorsed"), default=0, minimum=0)
m.input("endorsement_date", DATE, ("申请签注日期(未申请则不填)", "date endorsement is asked for (not yet: leave out)"),
        optional=True, done=True)
# change (rule 11)
m.input("change_date", DATE, ("地址或服务处所变更日期", "date of the change"), done=True)
m.input("change_reported_date", DATE, ("办理变更日期(未办理则不填)", "date the change is reported (not yet: leave out)"),
        optional=True, done=True)
# dormancy (rule 13)
m.input("days_without_active_record", INT, ("无有效居住登记或用工记录的天数",
                                             "days without an active registration or employment record"),
        minimum=0)

# dates that cannot come in the other order
m.order("event_time", "declared_time", ("申报时间早于来人/走人时间", "declared before the arrival or departure"))
m.order("employment_event_date", "employment_reported_date", ("录入日期早于招用/辞退日期",
                                                              "entered before the hire or separation"))
m.order("accepted_date", "issued_date", ("发证日期早于受理日期", "issued before it was accepted"))
m.order("permit_anchor_date", "endorsement_date", ("申请签注日期早于居住年限起算日",
                                                   "endorsement asked for before residence years count from"))
m.order("change_date", "change_reported_date", ("办理变更日期早于变更日期", "change reported before it happened"))


# ==== registration declarations (rules 1, 2, 6) ========================================================
@m.formula("declaration_instant_like", BOOL, ("按即时申报", "declared at once"),
           params={"hotel_style": "registration.rental_hotel_style"},
           because={"true": ("{place_class}按即时申报(出租屋“旅馆式”管理:{hotel_style})",
                             "{place_class}: declared at once (rentals hotel-style: {hotel_style})"),
                    "false": ("{place_class}按日计算申报时限(出租屋“旅馆式”管理:{hotel_style})",
                              "{place_class}: deadline counted in days (rentals hotel-style: {hotel_style})")})
def declaration_instant_like(place_class: Column, hotel_style: bool) -> Column:
    instant = place_class == code("place_class", "instant")
    rental = place_class == code("place_class", "rental")
    return instant | (rental & hotel_style)


@m.formula("declaration_limit_minutes", INT, ("申报时限(分钟)", "deadline (minutes)"), output=False,
           params={"arrival_minutes": "registration.deadline.instant.arrival_minutes",
                   "departure_minutes": "registration.deadline.instant.departure_minutes"})
def declaration_limit_minutes(event: Column, arrival_minutes: int, departure_minutes: int) -> Column:
    return where(event == code("event", "arrival"), arrival_minutes, departure_minutes)


@m.formula("declaration_limit_days", INT, ("申报时限(天)", "deadline (days)"), output=False,
           params={"arrival_days": "registration.deadline.long_term.arrival_days",
                   "departure_days": "registration.deadline.long_term.departure_days",
                   "rental_days": "registration.deadline.rental.change_days"})
def declaration_limit_days(place_class: Column, event: Column, arrival_days: int, departure_days: int,
                           rental_days: int) -> Column:
    long_term = where(event == code("event", "arrival"), arrival_days, departure_days)
    return where(place_class == code("place_class", "rental"), rental_days, long_term)


@m.formula("declaration_due", DATETIME, ("申报截止时间", "declaration due by"),
           because_key="declaration_instant_like",
           because={"true": ("{event}于{event_time},须在{declaration_limit_minutes}分钟内即时申报,截止{value}",
                             "{event} at {event_time}: declare at once, within {declaration_limit_minutes} "
                             "minutes, by {value}"),
                    "false": ("{event}于{event_time},须在{declaration_limit_days}日内申报,截止{value}",
                              "{event} at {event_time}: declare within {declaration_limit_days} days, "
                              "by {value}")})
def declaration_due(declaration_instant_like: Column, declaration_limit_minutes: Column, declaration_limit_days: Column,
                    event_time: Column, event: Column, place_class: Column) -> Column:
    by_minutes = add_minutes(event_time, declaration_limit_minutes)
    by_days = end_of_day_after(event_time, declaration_limit_days)
    return where(declaration_instant_like, by_minutes, by_days)


@m.formula("declaration_late", BOOL, ("逾期申报", "declared late"),
           because={"true": ("{declared_time}申报,晚于截止时间{declaration_due},逾期",
                             "declared at {declared_time}, after the deadline {declaration_due}: late"),
                    "false": ("{declared_time}申报,未超过截止时间{declaration_due}",
                              "declared at {declared_time}, by the deadline {declaration_due}: on time")})
def declaration_late(declared_time: Column, declaration_due: Column) -> Column:
    return declared_time > declaration_due


def _late_because(done: str, due: str, verb: Text) -> dict[str, Text]:
    """The because of "done late": the day it was done (or, not yet done, the as-of date) against the due date."""
    return {"true": (f"{verb[0]}日期:{{{done}}};截止{{{due}}},逾期(未{verb[0]}的按评估日计)",
                     f"{verb[1]}: {{{done}}}; due by {{{due}}}: late (not yet {verb[1]}: as of the as-of date)"),
            "false": (f"{verb[0]}日期:{{{done}}};未超过{{{due}}}", f"{verb[1]}: {{{done}}}; due by {{{due}}}: not late")}


# ==== employers' reports (rule 13) =====================================================================
@m.formula("employment_report_due", DATE, ("用工信息录入截止日", "employer's report due by"),
           params={"hire_days": "employment.report.hire_days",
                   "separation_days": "employment.report.separation_days"},
           because={"*": ("{employment_event}于{employment_event_date};招用须{hire_days}日内、辞退须{separation_days}"
                          "日内录入,截止{value}",
                          "{employment_event} on {employment_event_date}; hires within {hire_days} days, "
                          "separations within {separation_days} days: due by {value}")})
def employment_report_due(employment_event: Column, employment_event_date: Column, hire_days: int,
                          separation_days: int) -> Column:
    days = where(employment_event == code("employment_event", "hire"), hire_days, separation_days)
    return add_days(employment_event_date, days)


@m.formula("employment_report_late", BOOL, ("用工信息录入逾期", "employer reported late"),
           because=_late_because("employment_reported_date", "employment_report_due", ("录入", "entered")))
def employment_report_late(employment_reported_date: Column, employment_report_due: Column, as_of: Column) -> Column:
    return or_as_of(employment_reported_date, as_of) > employment_report_due


# ==== continuity and the permit conditions (rules 3, 7) ================================================
@m.formula("continuity", OBJECT, ("连续居住计算", "continuity worked out"), output=False,
           params={"area_level": "permit.continuity.area_level", "zones": "permit.continuity.zones",
                   "evidence_kinds": "permit.continuity.evidence_kinds", "local_codes": "areas.local_codes"},
           because={"*": ("按{area_level}区域计算,区划代码变更前后视为同一区域(视为同一区域的功能区:{zones};计入的记录:"
                          "{evidence_kinds})",
                          "counted within one {area_level} area, an area under a successor code being the same "
                          "area (zones counted as one: {zones}; records that count: {evidence_kinds})")})
def continuity(registration_intervals: Column, as_of: np.datetime64, divisions: DivisionTable, area_level: str,
               zones: tuple[Zone, ...], evidence_kinds: tuple[str, ...], local_codes: tuple[LocalArea, ...]) -> Column:
    return continuity_of(registration_intervals, to_date(as_of), area_level=area_level, zones=zones,
                         evidence_kinds=evidence_kinds, local_codes=local_codes, divisions=divisions)


def check_areas(intervals: Any, pset: Any, day: dt.date, divisions: DivisionTable) -> tuple[int, str] | None:
    """The first interval (situation, and the message naming it) whose area is not an area of the locality."""
    areas = rules_for(pset.get("permit.continuity.area_level", day).value, pset.get("permit.continuity.zones", day).value,
                      pset.get("areas.local_codes", day).value, divisions)
    if isinstance(intervals, IntervalTable):
        bad = [i for i, code in enumerate(intervals.areas) if areas.problem(code) is not None]
        if not bad:
            return None
        row = int(np.flatnonzero(np.isin(intervals.area, bad))[0])
        person = int(np.searchsorted(intervals.offsets, row, side="right") - 1)
        found: tuple[tuple[int, Interval], ...] = ((row - int(intervals.offsets[person]), intervals[person][
            row - int(intervals.offsets[person])]),)
    else:
        person = 0
        found = tuple((j, iv) for j, iv in enumerate(intervals) if areas.problem(iv.area) is not None)[:1]
        if not found:
            return None
    j, iv = found[0]
    return person, (f"registration_intervals[{j}] ({iv.start} – {iv.end or '…'}, area {iv.area!r}): "
                    f"{areas.problem(iv.area)}")


m.validate_input("registration_intervals", check_areas)


@m.formula("continuous_days", INT, ("连续居住登记天数", "days of continuous registration"),
           because={"*": ("{continuity}", "{continuity}")})
def continuous_days(continuity: Column) -> Column:
    return continuity.days


@m.formula("continuity_met", BOOL, ("居住满半年", "continuity met"),
           params={"min_days": "permit.continuity.min_days"},
           because={"true": ("连续居住登记{continuous_days}天,达到{min_days}天", "{continuous_days} days of "
                             "continuous registration reach the {min_days} required"),
                    "false": ("连续居住登记{continuous_days}天,不足{min_days}天", "{continuous_days} days of "
                              "continuous registration are fewer than the {min_days} required")})
def continuity_met(continuous_days: Column, min_days: int) -> Column:
    return continuous_days >= min_days


@m.formula("continuity_shortfall_days", INT, ("距连续居住要求还差天数", "days still short of continuity"),
           params={"min_days": "permit.continuity.min_days"},
           because={"*": ("要求{min_days}天,已有{continuous_days}天,还差{value}天",
                          "{min_days} required, {continuous_days} so far: {value} short")})
def continuity_shortfall_days(continuous_days: Column, min_days: int) -> Column:
    return maximum(min_days - continuous_days, 0)


@m.formula("direct_scheme", BOOL, ("属直接申领政策", "direct scheme applies"),
           params={"schemes": "permit.direct_schemes"},
           because={"true": ("属{scheme},可直接申领,不受居住和就业、住所、就读条件限制",
                             "{scheme} is a direct scheme ({schemes}): no other condition applies"),
                    "false": ("政策:{scheme};直接申领政策为{schemes}", "scheme: {scheme}; direct schemes are "
                              "{schemes}")})
def direct_scheme(scheme: Column, schemes: tuple[str, ...]) -> Column:
    return is_in(scheme, "scheme", schemes)


@m.formula("register_only", BOOL, ("只登记不发证", "registered, no permit"),
           params={"below_days": "registration.register_only_below_days"},
           because={"true": ("不满{below_days}天且不属直接申领政策,只登记不发证",
                             "under {below_days} days and no direct scheme: registered but no permit"),
                    "false": ("满{below_days}天或属直接申领政策,不限于只登记",
                              "{below_days} days or more, or a direct scheme: not registration only")})
def register_only(continuous_days: Column, direct_scheme: Column, below_days: int) -> Column:
    return (continuous_days < below_days) & not_(direct_scheme)


@m.formula("employment_met", BOOL, ("合法稳定就业", "stable employment"),
           params={"insurance": "permit.employment.min_social_insurance_months",
                   "licence": "permit.employment.min_business_licence_months",
                   "labour": "permit.employment.min_labour_contract_months",
                   "agricultural": "permit.employment.min_agricultural_contract_months",
                   "other_ok": "permit.employment.other_accepted"},
           because={"true": ("满足其中一项:社保满{insurance}个月、工商执照满{licence}个月、劳动合同满{labour}个月、"
                             "农业承包合同满{agricultural}个月,或其他合法稳定就业(认可:{other_ok})",
                             "one route met: insurance for {insurance} months, a licence for {licence}, a labour "
                             "contract of {labour}, an agricultural contract of {agricultural}, or other employment "
                             "(accepted: {other_ok})"),
                    "false": ("一项也未满足:社保满{insurance}个月、工商执照满{licence}个月、劳动合同满{labour}个月、"
                              "农业承包合同满{agricultural}个月,或其他合法稳定就业(认可:{other_ok})",
                              "no route met: insurance for {insurance} months, a licence for {licence}, a labour "
                              "contract of {labour}, an agricultural contract of {agricultural}, or other employment "
                              "(accepted: {other_ok})")})
def employment_met(social_insurance_months: Column, business_licence_months: Column, labour_contract_months: Column,
                   agricultural_contract_months: Column, other_employment: Column, insurance: int, licence: int,
                   labour: int, agricultural: int, other_ok: bool) -> Column:
    return ((social_insurance_months >= insurance) | (business_licence_months >= licence)
            | (labour_contract_months >= labour) | (agricultural_contract_months >= agricultural)
            | (other_employment & other_ok))


@m.formula("employment_shortfall_months", INT, ("距就业条件最近还差月数", "months short of the nearest "
                                                                         "employment route"),
           params={"insurance": "permit.employment.min_social_insurance_months",
                   "licence": "permit.employment.min_business_licence_months",
                   "labour": "permit.employment.min_labour_contract_months",
                   "agricultural": "permit.employment.min_agricultural_contract_months"},
           because={"*": ("最接近的就业条件还差{value}个月", "the nearest employment route is {value} months short")})
def employment_shortfall_months(employment_met: Column, social_insurance_months: Column, business_licence_months: Column,
                                labour_contract_months: Column, agricultural_contract_months: Column, insurance: int,
                                licence: int, labour: int, agricultural: int) -> Column:
    gap = minimum(minimum(insurance - social_insurance_months, licence - business_licence_months),
                  minimum(labour - labour_contract_months, agricultural - agricultural_contract_months))
    return where(employment_met, 0, maximum(gap, 0))


@m.formula("residence_met", BOOL, ("合法稳定住所", "stable residence"),
           params={"accepted": "permit.residence.accepted_housing",
                   "safety": "permit.residence.safety_compliance_required",
                   "lease": "permit.residence.lease_required"},
           because={"true": ("属认可的住所({accepted});{safety}须符合安全管理规定,{lease}须签订租赁合同",
                             "an accepted kind of housing ({accepted}); {safety} must meet the safety rules, "
                             "{lease} needs a lease"),
                    "false": ("须为认可的住所({accepted});{safety}须符合安全管理规定,{lease}须签订租赁合同",
                              "needs an accepted kind of housing ({accepted}); {safety} must meet the safety rules, "
                              "{lease} needs a lease")})
def residence_met(housing: Column, housing_safety_compliant: Column, has_lease: Column, accepted: tuple[str, ...],
                  safety: tuple[str, ...], lease: tuple[str, ...]) -> Column:
    ok = is_in(housing, "housing", accepted)
    needs_safety = is_in(housing, "housing", safety)
    needs_lease = is_in(housing, "housing", lease)
    return ok & (not_(needs_safety) | housing_safety_compliant) & (not_(needs_lease) | has_lease)


@m.formula("study_met", BOOL, ("连续就读", "continuous study"),
           params={"levels": "permit.study.accepted_levels", "full_time": "permit.study.full_time_required"},
           because={"true": ("在认可的学校({levels})就读(须全日制:{full_time})", "enrolled at an accepted school "
                             "({levels}; full time required: {full_time})"),
                    "false": ("须在认可的学校({levels})就读(须全日制:{full_time})", "needs enrolment at an "
                              "accepted school ({levels}; full time required: {full_time})")})
def study_met(school_level: Column, full_time_study: Column, levels: tuple[str, ...], full_time: bool) -> Column:
    return is_in(school_level, "school_level", levels) & (full_time_study | (not full_time))


@m.formula("eligible", BOOL, ("符合居住证申领条件", "eligible for a residence permit"),
           because={"true": ("属直接申领政策,或居住满期且符合就业、住所、就读条件之一",
                             "a direct scheme, or continuity and one of employment, residence, study"),
                    "false": ("既不属直接申领政策,也未同时满足居住满期和就业、住所、就读条件之一",
                              "neither a direct scheme nor continuity together with one of employment, residence, "
                              "study")})
def eligible(direct_scheme: Column, continuity_met: Column, employment_met: Column, residence_met: Column,
             study_met: Column) -> Column:
    return direct_scheme | (continuity_met & (employment_met | residence_met | study_met))


def _blocking(eligible: bool, continuity_met: bool, days: int, short_days: int, employment_met: bool,
              residence_met: bool, study_met: bool, short_months: int) -> Words:
    if eligible:
        return Words("", "")
    zh: list[str] = []
    en: list[str] = []
    if not continuity_met:
        zh.append(f"连续居住 {days} 天，还差 {short_days} 天")
        en.append(f"{days} days of continuous residence, {short_days} short")
    if not (employment_met or residence_met or study_met):
        zh.append(f"无合法稳定就业（最接近的就业条件还差 {short_months} 个月）、合法稳定住所或连续就读" if short_months
                  else "无合法稳定就业、合法稳定住所或连续就读")
        en.append(f"no stable employment (the nearest route {short_months} month(s) short), residence or study"
                  if short_months else "no stable employment, residence or study")
    return Words("；".join(zh), "; ".join(en))


@m.formula("blocking_reason", OBJECT, ("不符合条件的原因", "what blocks eligibility, in plain words"))
def blocking_reason(eligible: Column, continuity_met: Column, continuous_days: Column, continuity_shortfall_days: Column,
                    employment_met: Column, residence_met: Column, study_met: Column,
                    employment_shortfall_months: Column) -> Column:
    return lazy(_blocking, eligible, continuity_met, continuous_days, continuity_shortfall_days, employment_met,
                residence_met, study_met, employment_shortfall_months)


@m.formula("condition_basis", ENUM, ("满足的第一项条件", "first condition met"), enum="basis", output=False)
def condition_basis(direct_scheme: Column, employment_met: Column, residence_met: Column, study_met: Column) -> Column:
    basis = where(study_met, code("basis", "study"), code("basis", "none"))
    basis = where(residence_met, code("basis", "residence"), basis)
    basis = where(employment_met, code("basis", "employment"), basis)
    return where(direct_scheme, code("basis", "scheme"), basis)


@m.formula("eligibility_basis", ENUM, ("申领依据", "basis of eligibility"), enum="basis",
           because={"none": ("不符合申领条件,无申领依据", "not eligible: no basis"),
                    "*": ("符合申领条件,依据满足的第一项条件", "eligible, on the first condition met")})
def eligibility_basis(eligible: Column, condition_basis: Column) -> Column:
    return where(eligible, condition_basis, code("basis", "none"))


@m.formula("materials_basis", ENUM, ("证明材料所依据的条件", "condition the proof is for"), enum="basis",
           output=False,
           because={"*": ("申领人所依据的条件;未说明的,按满足的第一项条件", "the condition the applicant relies on; "
                          "if none is stated, the first condition met")})
def materials_basis(claimed_basis: Column, condition_basis: Column) -> Column:
    return where(claimed_basis != code("basis", "none"), claimed_basis, condition_basis)


@m.formula("missing_materials", SET, ("尚缺材料(一次性告知)", "materials still missing (told all at once)"),
           enum="material",
           params={"required": "permit.application.required_materials",
                   "proof_for": "permit.application.condition_materials"},
           because_key="materials_basis",
           because={"none": ("基本材料为{required}(未满足任何条件,无所依据条件的证明)", "always needed: {required} (no "
                             "condition is met, so no proof of one)"),
                    "*": ("基本材料为{required},另须{materials_basis}的证明材料", "always needed: {required}, and the "
                          "proof of {materials_basis}")})
def missing_materials(materials_basis: Column, materials: Column, required: tuple[str, ...],
                      proof_for: dict[str, str]) -> Column:
    needed = _proof_table(tuple(sorted(proof_for.items())))[materials_basis] | bits_of("material", required)
    return needed & ~materials


@lru_cache(maxsize=64)
def _proof_table(proof_for: tuple[tuple[str, str], ...]) -> Column:
    """table[basis code] = the bit of the material that proves that basis."""
    table = np.zeros(len(ENUMS["basis"]), dtype=np.int32)
    for basis, material in proof_for:
        table[code("basis", basis)] = bits_of("material", (material,))
    return table


# ==== who may apply (rule 8) ===========================================================================
@m.formula("applicant_accepted", BOOL, ("申领人可受理", "applicant accepted"),
           params={"self_min_age": "permit.applicant.self_min_age",
                   "proxies": "permit.applicant.proxy_relations",
                   "proxy_below_age": "permit.applicant.proxy_below_age",
                   "grid_ok": "permit.applicant.grid_worker_allowed"},
           because={"true": ("{applicant_relation}申领:本人年龄{person_age}岁(本人申领须满{self_min_age}岁;"
                             "{proxies}可为未满{proxy_below_age}岁或行动不便者代办,行动不便:{unable_to_attend};"
                             "网格员代办:{grid_ok}),可受理",
                             "applied by {applicant_relation}: age {person_age} (in person from "
                             "{self_min_age}; {proxies} for under {proxy_below_age} or those who cannot come, "
                             "cannot come: {unable_to_attend}; grid workers: {grid_ok}): accepted"),
                    "false": ("{applicant_relation}申领:本人年龄{person_age}岁(本人申领须满{self_min_age}岁;"
                              "{proxies}可为未满{proxy_below_age}岁或行动不便者代办,行动不便:{unable_to_attend};"
                              "网格员代办:{grid_ok}),不予受理",
                              "applied by {applicant_relation}: age {person_age} (in person from "
                              "{self_min_age}; {proxies} for under {proxy_below_age} or those who cannot "
                              "come, cannot come: {unable_to_attend}; grid workers: {grid_ok}): refused")})
def applicant_accepted(applicant_relation: Column, person_age: Column, unable_to_attend: Column, self_min_age: int,
                       proxies: tuple[str, ...], proxy_below_age: int, grid_ok: bool) -> Column:
    in_person = (applicant_relation == code("relation", "self")) & (person_age >= self_min_age)
    proxy = is_in(applicant_relation, "relation", proxies) & ((person_age < proxy_below_age) | unable_to_attend)
    grid = (applicant_relation == code("relation", "grid_worker")) & grid_ok
    return in_person | proxy | grid


# ==== acceptance points (rule 9; SZ: permits at police stations and street offices) ====================
@m.formula("point_may_accept", BOOL, ("受理点可受理该业务", "point may accept the service"),
           params={"services": "acceptance.point_services"},
           because={"true": ("{point_kind}可受理{service}(各类受理点可受理:{services})",
                             "a {point_kind} may accept {service} ({services})"),
                    "false": ("{point_kind}不能受理{service}(各类受理点可受理:{services})",
                              "a {point_kind} may not accept {service} ({services})")})
def point_may_accept(point_kind: Column, service: Column, services: dict[str, tuple[str, ...]]) -> Column:
    table = _service_table(tuple(sorted(services.items())))
    return table[point_kind, service]


@lru_cache(maxsize=64)
def _service_table(services: tuple[tuple[str, tuple[str, ...]], ...]) -> Column:
    """table[point kind code, service code] = may that kind of point accept that service."""
    table = np.zeros((len(ENUMS["point_kind"]), len(ENUMS["service"])), dtype=bool)
    for kind, allowed in services:
        table[code("point_kind", kind)] = member_table("service", allowed)
    return table


# ==== issuing (rule 9) =================================================================================
@m.formula("issue_due_date", DATE, ("制作发放截止日", "permit due by"),
           params={"limit": "permit.issue.limit_days", "extension": "permit.issue.local_extension_days"},
           because={"*": ("{accepted_date}受理,{limit}日内制作发放(地方延长{extension}日),截止{value}",
                          "accepted on {accepted_date}: issue within {limit} days (local extension "
                          "{extension}), by {value}")})
def issue_due_date(accepted_date: Column, limit: int, extension: int) -> Column:
    return add_days(accepted_date, limit + extension)


@m.formula("issue_status", ENUM, ("发证情况", "issue status"), enum="issue_status",
           because={"on_time": ("{issued_date}发证,未超过{issue_due_date}", "issued on {issued_date}, by "
                                "{issue_due_date}"),
                    "late": ("{issued_date}发证,晚于{issue_due_date}", "issued on {issued_date}, after "
                             "{issue_due_date}"),
                    "pending": ("尚未发证,截止日{issue_due_date}未过", "not issued yet; due by {issue_due_date}, "
                                "not passed"),
                    "overdue": ("尚未发证,已超过截止日{issue_due_date}", "not issued, and {issue_due_date} has "
                                "passed")})
def issue_status(issued_date: Column, issue_due_date: Column, as_of: Column) -> Column:
    late = or_as_of(issued_date, as_of) > issue_due_date
    issued = where(late, code("issue_status", "late"), code("issue_status", "on_time"))
    waiting = where(late, code("issue_status", "overdue"), code("issue_status", "pending"))
    return where(given(issued_date), issued, waiting)


@m.formula("issue_late", BOOL, ("逾期发证(或逾期未发证)", "issued late (or overdue)"),
           because={"true": ("{issue_status}", "{issue_status}"), "false": ("{issue_status}", "{issue_status}")})
def issue_late(issue_status: Column) -> Column:
    return is_in(issue_status, "issue_status", ("late", "overdue"))


# ==== endorsement (rule 10) ============================================================================
@m.formula("endorsement_due_date", DATE, ("居住满年之日(签注到期日)", "anniversary the endorsement is due"),
           params={"every": "permit.endorsement.every_years"},
           because={"*": ("自{permit_anchor_date}起已签注{endorsed_years}年,每{every}年签注一次,下一次在{value}",
                          "from {permit_anchor_date}, {endorsed_years} years endorsed, once every {every} "
                          "years: next due on {value}")})
def endorsement_due_date(permit_anchor_date: Column, endorsed_years: Column, every: int) -> Column:
    return add_months(permit_anchor_date, (endorsed_years + 1) * every * 12)


@m.formula("endorsement_window_start", DATE, ("可办理签注起始日", "endorsement window opens"),
           params={"months": "permit.endorsement.window_months_before"},
           because={"*": ("{endorsement_due_date}前{months}个月内办理,自{value}起",
                          "within {months} month(s) before {endorsement_due_date}: from {value}")})
def endorsement_window_start(endorsement_due_date: Column, months: int) -> Column:
    return add_months(endorsement_due_date, -months)


@m.formula("endorsement_timing", ENUM, ("签注时间", "endorsement timing"), enum="timing",
           because={"early": ("{endorsement_date}早于签注期起始日{endorsement_window_start}",
                              "{endorsement_date} is before the window opens on {endorsement_window_start}"),
                    "in_window": ("{endorsement_date}在签注期内({endorsement_window_start}至{endorsement_due_date})",
                                  "{endorsement_date} is in the window ({endorsement_window_start} to "
                                  "{endorsement_due_date})"),
                    "late": ("{endorsement_date}晚于{endorsement_due_date},逾期",
                             "{endorsement_date} is after {endorsement_due_date}: late"),
                    "not_endorsed": ("截至评估日未申请签注", "no endorsement asked for by the as-of date")})
def endorsement_timing(endorsement_date: Column, endorsement_window_start: Column, endorsement_due_date: Column) -> Column:
    day = or_as_of(endorsement_date, endorsement_window_start)  # any day where none is given: not used then
    timing = where(day < endorsement_window_start, code("timing", "early"), code("timing", "in_window"))
    timing = where(day > endorsement_due_date, code("timing", "late"), timing)
    return where(given(endorsement_date), timing, code("timing", "not_endorsed"))


@m.formula("endorsement_allowed", BOOL, ("可予签注", "endorsement granted"),
           because={"true": ("已申请、不早于签注期、仍符合申领条件且材料齐全,予以签注",
                             "asked for, not before the window, still eligible and nothing missing: endorsed"),
                    "false": ("须已申请、不早于签注期、仍符合申领条件且材料齐全;尚缺材料:{missing_materials}",
                              "needs a request not before the window, eligibility and complete materials; "
                              "missing: {missing_materials}")})
def endorsement_allowed(endorsement_timing: Column, eligible: Column, missing_materials: Column) -> Column:
    asked = is_in(endorsement_timing, "timing", ("in_window", "late"))
    return asked & eligible & (missing_materials == 0)


@m.formula("permit_status", ENUM, ("居住证状态", "permit status"), enum="permit_status",
           because={"active": ("截至评估日未过签注到期日{endorsement_due_date},或已按期签注", "as of the date, "
                               "{endorsement_due_date} has not passed or the endorsement was in time"),
                    "suspended": ("{endorsement_due_date}前未签注,使用功能中止", "not endorsed by "
                                  "{endorsement_due_date}: suspended"),
                    "restored": ("逾期后补办签注,使用功能恢复", "endorsed late: restored")})
def permit_status(endorsement_allowed: Column, endorsement_timing: Column, endorsement_due_date: Column,
                  as_of: Column) -> Column:
    late = endorsement_timing == code("timing", "late")
    lapsed = where(as_of > endorsement_due_date, code("permit_status", "suspended"), code("permit_status", "active"))
    endorsed = where(late, code("permit_status", "restored"), code("permit_status", "active"))
    return where(endorsement_allowed, endorsed, lapsed)


@m.formula("permit_suspended", BOOL, ("居住证使用功能中止", "permit suspended"),
           because={"true": ("{permit_status}", "{permit_status}"), "false": ("{permit_status}", "{permit_status}")})
def permit_suspended(permit_status: Column) -> Column:
    return permit_status == code("permit_status", "suspended")


@m.formula("residence_years_from", DATE, ("居住年限起算日", "residence years count from"),
           params={"restart": "permit.endorsement.restart_count_when_late"},
           because={"*": ("逾期补办签注的,居住年限自补办之日起连续计算(适用:{restart});状态{permit_status}",
                          "after a late endorsement years count again from it (rule applies: {restart}); status "
                          "{permit_status}")})
def residence_years_from(permit_status: Column, permit_anchor_date: Column, endorsement_date: Column,
                         restart: bool) -> Column:
    restored = permit_status == code("permit_status", "restored")
    return where(restored & restart, endorsement_date, permit_anchor_date)


# ==== change (rule 11) =================================================================================
@m.formula("change_due_date", DATE, ("办理变更截止日", "change to be reported by"),
           params={"limit": "permit.change.limit_days"},
           because={"*": ("{change_date}变更,{limit}日内办理,截止{value}",
                          "changed on {change_date}: report within {limit} days, by {value}")})
def change_due_date(change_date: Column, limit: int) -> Column:
    return add_days(change_date, limit)


@m.formula("change_late", BOOL, ("逾期办理变更", "change reported late"),
           because=_late_because("change_reported_date", "change_due_date", ("办理", "reported")))
def change_late(change_reported_date: Column, change_due_date: Column, as_of: Column) -> Column:
    return or_as_of(change_reported_date, as_of) > change_due_date


# ==== fees (rule 12) ===================================================================================
@m.formula("fee_yuan", INT, ("应缴费用(元)", "fee (yuan)"),
           params={"card_fee": "fees.card_fee_yuan", "charged": "fees.charged_services"},
           because={"*": ("{service}:收取工本费的业务为{charged},工本费{card_fee}元,应缴{value}元",
                          "{service}: the card fee ({card_fee} yuan) is paid for {charged}: {value} yuan")})
def fee_yuan(service: Column, card_fee: int, charged: tuple[str, ...]) -> Column:
    return where(is_in(service, "service", charged), card_fee, 0)


# ==== dormancy (rule 13) ===============================================================================
@m.formula("permit_dormant", BOOL, ("居住证休眠", "permit dormant"),
           params={"enabled": "permit.dormancy.enabled", "days": "permit.dormancy.days"},
           because={"true": ("已{days_without_active_record}天无有效居住登记或用工记录,超过{days}天,休眠",
                             "{days_without_active_record} days without an active registration or "
                             "employment record, more than {days}: dormant"),
                    "false": ("无有效记录{days_without_active_record}天;休眠功能启用:{enabled},期限{days}天",
                              "{days_without_active_record} days without an active record; dormancy "
                              "enabled: {enabled}, after {days} days")})
def permit_dormant(days_without_active_record: Column, enabled: bool, days: int) -> Column:
    return (days_without_active_record > days) & enabled


MODEL.check()

OUTPUT_GROUPS: dict[str, tuple[str, ...]] = {
    "eligibility": ("eligible", "eligibility_basis", "continuous_days", "continuity_met",
                    "continuity_shortfall_days", "register_only", "employment_met", "employment_shortfall_months",
                    "residence_met", "study_met", "direct_scheme", "missing_materials", "blocking_reason"),
    "declaration": ("declaration_due", "declaration_late"),
    "employment_report": ("employment_report_due", "employment_report_late"),
    "applicant": ("applicant_accepted",),
    "acceptance": ("point_may_accept", "fee_yuan"),
    "issue": ("issue_due_date", "issue_status", "issue_late"),
    "endorsement": ("endorsement_due_date", "endorsement_window_start", "endorsement_timing",
                    "endorsement_allowed", "permit_status", "permit_suspended", "residence_years_from"),
    "change": ("change_due_date", "change_late"),
    "dormancy": ("permit_dormant",),
}


def computable_outputs(keys: set[str] | frozenset[str]) -> list[str]:
    """The outputs whose inputs (without defaults) are all among ``keys``."""
    out = []
    for name in MODEL.outputs():
        inputs, _ = MODEL.plan((name,), frozenset(keys))
        if all(i in keys or MODEL.variables[i].default is not None for i in inputs):
            out.append(name)
    return out

