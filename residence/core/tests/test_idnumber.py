from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from residence.core import divisions
from residence.core.errors import ValidationError
from residence.core.idnumber import check_character, normalise, parse_id_number


def make(prefix17: str) -> str:
    return prefix17 + check_character(prefix17)


def test_example_from_the_standard_is_valid_and_carries_its_facts() -> None:
    idn = parse_id_number("11010519491231002X")
    assert idn.value == "11010519491231002X"
    assert idn.birth_date == dt.date(1949, 12, 31)
    assert idn.sex == "F"  # 17th digit 2 is even
    assert idn.division_code == "110105"
    assert idn.origin_name == "北京市朝阳区"


def test_lowercase_x_is_accepted_and_stored_upper() -> None:
    assert parse_id_number("11010519491231002x").value == "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("11010519491231002", "id_length"),
        ("1101051949123100211", "id_length"),
        ("11010519491231002Y", "id_chars"),
        ("1101051949123\u0661002X", "id_chars"),  # an Arabic-Indic digit: a digit, but not one NFKC makes ASCII
        ("11010519491231002Ｙ", "id_chars"),  # full-width Y: NFKC makes it ASCII, still not a check character
        ("110105194902300021", "id_birth_date"),  # 30 February
        ("110105219901010011", "id_birth_date"),  # in the future
        ("11010519491231003X", "id_check"),
    ],
)
def test_bad_numbers_name_the_problem(raw: str, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_id_number(raw)
    assert err.value.code == code
    assert err.value.field == "id_number"


@pytest.mark.parametrize("typed", [
    "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and X (an IME in full-width mode)
    "１１０１０５１９４９１２３１００２ｘ",  # full-width lower-case x
    "110105 19491231 002X",  # grouped with spaces
    "110105\u300019491231\u3000002x",  # ideographic spaces
    "110105-19491231-002X",  # hyphens
    "110105\u201019491231\u2212002X\u200b",  # a Unicode hyphen, a minus sign, a zero-width space copied along
])
def test_full_width_digits_spaces_and_hyphens_are_normalised(typed: str) -> None:
    assert normalise(typed) == "11010519491231002X"
    assert parse_id_number(typed).value == "11010519491231002X"


def test_normalise_takes_any_text() -> None:
    assert normalise("王 小明") == "王小明"
    assert normalise("") == ""
    assert normalise("ａｂ－１") == "AB1"


def test_unknown_division_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        parse_id_number(make("99999919900101001"))
    assert err.value.code == "id_division"
    assert "999999" in err.value.message


def test_historic_code_is_valid_even_for_births_outside_its_years() -> None:
    # 110103 崇文区 was abolished in 2010; numbers issued there stay valid.
    idn = parse_id_number(make("11010320150101001"))
    assert idn.division_code == "110103"
    assert divisions.name_of("110103", 2000) == "北京市崇文区"


def test_recent_codes_are_known() -> None:
    assert parse_id_number(make("33011320000101001")).division_code == "330113"  # 2021
    assert parse_id_number(make("65322820000101001")).division_code == "653228"  # 2024


def test_summary_codes_of_a_known_prefecture_are_accepted() -> None:
    assert parse_id_number(make("44030119800101001")).division_code == "440301"
    assert parse_id_number(make("44032019800101001")).division_code == "440320"
    with pytest.raises(ValidationError):
        parse_id_number(make("99990119800101001"))


def test_taiwan_residents_code_is_accepted() -> None:
    assert parse_id_number(make("83000019800101001")).division_code == "830000"


@given(
    code=st.sampled_from(divisions.county_codes()[:500]),
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
)
def test_any_well_formed_number_round_trips(code: str, day: dt.date, seq: int) -> None:
    raw = make(f"{code}{day:%Y%m%d}{seq:03d}")
    idn = parse_id_number(raw)
    assert idn.value == raw
    assert idn.birth_date == day
    assert idn.sex == ("M" if seq % 2 else "F")
    # changing any one digit of the first 17 breaks the check (MOD 11-2 detects all single-digit errors)
    pos = seq % 17
    altered = raw[:pos] + str((int(raw[pos]) + 1) % 10) + raw[pos + 1:]
    with pytest.raises(ValidationError):
        parse_id_number(altered)
