"""One check per column kind, shared by every import: coded values by code, standard name or common name, with an
error that names what is accepted; division codes that must exist; dates; and a template whose example row must
pass the same check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from residence.core.columns import Code, Column, address_code, coded, date, row_check, template_xlsx, text, yes_no
from residence.core.errors import ValidationError
from residence.people.choices import EDUCATION, ETHNICITY, MARITAL_STATUS
from residence.places.imports import SAFETY_GRADE, UNIT_KIND

EDUCATION_ACCEPTED = ("10 研究生、20 大学本科、30 大学专科、40 中等职业教育、60 普通高级中学、70 初级中学、80 小学、"
                      "90 其他，或其名称")


def refused(kind, value: str) -> str:
    with pytest.raises(ValidationError) as err:
        kind.parse(value)
    return err.value.message


@pytest.mark.parametrize(("typed", "code"), [
    ("研究生", "10"), ("硕士", "10"), ("博士", "10"), ("博士研究生毕业", "10"), ("11", "10"), ("14", "10"),
    ("大学本科", "20"), ("本科", "20"), ("本科毕业", "20"), ("大学", "20"), ("21", "20"),
    ("大学专科", "30"), ("大专", "30"), ("专科", "30"), ("高职", "30"),
    ("中等职业教育", "40"), ("中专", "40"), ("技校", "40"), ("职高", "40"), ("47", "40"),
    ("普通高级中学", "60"), ("高中", "60"), ("高中毕业", "60"), ("61", "60"),
    ("初级中学", "70"), ("初中", "70"), ("小学", "80"), ("其他", "90"), ("文盲", "90"),
    ("２０", "20"), (" 本 科 ", "20"),  # full-width digits and stray spaces
])
def test_common_names_of_education_levels_map_to_their_gb_t_4658_code(typed: str, code: str) -> None:
    assert EDUCATION.parse(typed) == code


@pytest.mark.parametrize(("kind", "typed", "code"), [
    (ETHNICITY, "汉族", "01"), (ETHNICITY, "汉", "01"), (ETHNICITY, "01", "01"), (ETHNICITY, "1", "01"),
    (ETHNICITY, "维吾尔", "05"), (ETHNICITY, "维吾尔族", "05"), (ETHNICITY, "其他", "97"),
    (MARITAL_STATUS, "已婚", "20"), (MARITAL_STATUS, "初婚", "20"), (MARITAL_STATUS, "再婚", "20"),
    (MARITAL_STATUS, "离异", "40"), (MARITAL_STATUS, "90", "90"),
    (UNIT_KIND, "住宅", "flat"), (UNIT_KIND, "宿舍", "dormitory"), (UNIT_KIND, "酒店", "hotel"),
    (SAFETY_GRADE, "a", "A"), (SAFETY_GRADE, "隐患", "C"),
])
def test_other_coded_columns_accept_codes_and_names(kind, typed: str, code: str) -> None:
    assert kind.parse(typed) == code


@pytest.mark.parametrize(("typed", "value"), [("是", True), ("Y", True), ("yes", True), ("1", True), ("否", False),
                                              ("N", False), ("0", False)])
def test_yes_no(typed: str, value: bool) -> None:
    assert yes_no().parse(typed) is value


def test_every_coded_column_names_its_accepted_values_in_the_error() -> None:
    assert refused(EDUCATION, "高级中学学历") == f"无法识别“高级中学学历”，可填：{EDUCATION_ACCEPTED}。"
    assert refused(MARITAL_STATUS, "单身") == (
        "无法识别“单身”，可填：10 未婚、20 已婚、30 丧偶、40 离婚、90 未说明，或其名称。")
    assert refused(ETHNICITY, "火星族") == (
        "无法识别“火星族”，可填：01 汉族、02 蒙古族、03 回族、04 藏族、05 维吾尔族、06 苗族、07 彝族、"
        "08 壮族 等共 58 项（见模板的“代码表”），或其名称。")
    assert refused(UNIT_KIND, "别墅") == "无法识别“别墅”，可填：住宅、房间、集体宿舍、旅馆。"
    assert refused(yes_no(), "也许") == "无法识别“也许”，可填：是、否。"
    assert refused(SAFETY_GRADE, "Z") == "无法识别“Z”，可填：A 安全、B 需关注、C 隐患，或其名称。"


def test_a_hostile_or_long_value_is_not_repeated_in_the_error() -> None:
    assert refused(EDUCATION, "<script>alert(1)</script>") == f"无法识别所填内容，可填：{EDUCATION_ACCEPTED}。"
    assert refused(EDUCATION, "本" * 31) == f"无法识别所填内容，可填：{EDUCATION_ACCEPTED}。"


def test_a_name_given_to_two_codes_is_refused_when_declared() -> None:
    with pytest.raises(ValueError, match="'甲' names two codes"):
        coded([Code("1", "甲"), Code("2", "乙", ("甲",))])


@pytest.mark.parametrize(("typed", "message"), [
    ("12345", "应以 6 位 GB/T 2260 行政区划代码开头（如 440308），“12345”不是有效的区划代码。"),
    ("999999001001001900001", "应以 6 位 GB/T 2260 行政区划代码开头（如 440308），“999999”不是有效的区划代码。"),
    ("ADDR000001", "应以 6 位 GB/T 2260 行政区划代码开头（如 440308），“ADDR00”不是有效的区划代码。"),
    ("<b>440308</b>", "应以 6 位 GB/T 2260 行政区划代码开头（如 440308），“…”不是有效的区划代码。"),
    ("440308", "应为 10–32 位字母、数字或连字符。"),  # a division code alone is not an address
    ("440308001001001900001" + "0" * 12, "应为 10–32 位字母、数字或连字符。"),
])
def test_an_address_code_must_begin_with_a_division_that_exists(typed: str, message: str) -> None:
    assert refused(address_code(), typed) == message


@pytest.mark.parametrize("typed", ["440308001001001900001", "4403030010", "110101-0001", "４４０３０８００１００１"])
def test_address_codes_of_known_divisions_pass(typed: str) -> None:
    assert address_code().parse(typed) == typed.translate(str.maketrans("０１２３４５６７８９", "0123456789"))


@pytest.mark.parametrize(("typed", "day"), [("2025-06-01", dt.date(2025, 6, 1)), ("2025/6/1", dt.date(2025, 6, 1)),
                                            ("2025.06.01", dt.date(2025, 6, 1)), ("2025年6月1日", dt.date(2025, 6, 1)),
                                            ("2025-06-01 00:00:00", dt.date(2025, 6, 1))])
def test_dates_as_people_type_them(typed: str, day: dt.date) -> None:
    assert date().parse(typed) == day


def test_impossible_and_future_dates_are_refused() -> None:
    for typed in ("2025-02-30", "2025-13-01", "tomorrow", "20250601"):
        assert refused(date(), typed) == "日期格式为 YYYY-MM-DD。"
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert refused(date(), tomorrow.isoformat()) == "日期不能晚于今天。"
    assert date(not_future=False).parse(tomorrow.isoformat()) == tomorrow


def test_a_row_is_checked_formula_first_then_required_then_kind_with_defaults_for_empty_cells() -> None:
    columns = [Column("a", "甲", text(5), required=True), Column("b", "乙", EDUCATION, default="90"),
               Column("c", "丙", text(5))]
    checked = row_check(4, {"a": "=cmd|' /C calc'!A0", "b": ""}, columns)
    assert [e.text for e in checked.errors] == ["第 4 行「甲」：疑似公式，请填写纯文本。"]
    assert checked.values == {"b": "90", "c": ""}
    checked = row_check(5, {"a": "", "b": "高级中学学历", "c": "<script>"}, columns)
    assert [e.text for e in checked.errors] == [
        "第 5 行「甲」：必填。", f"第 5 行「乙」：无法识别“高级中学学历”，可填：{EDUCATION_ACCEPTED}。",
        "第 5 行「丙」：不超过 5 个字符，且不含 < > 或控制字符。"]


def test_a_template_whose_example_fails_its_own_check_is_not_made() -> None:
    columns = [Column("edu", "文化程度", EDUCATION, required=True, example="高级中学学历")]
    with pytest.raises(ValueError, match="the template's example fails its own check"):
        template_xlsx(columns)
    with pytest.raises(ValueError, match="必填"):
        template_xlsx([Column("edu", "文化程度", EDUCATION, required=True, example="本科")], {"edu": ""})
