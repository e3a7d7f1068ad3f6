"""Citizen ID number (公民身份号码, GB 11643-1999): validation and the facts it carries.

17 digits + check character: digits 1–6 the division code of the place of household registration, 7–14 the birth
date, 15–17 a sequence (the 17th odd for men), 18 the ISO 7064 MOD 11-2 check character.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from operator import mul

from django.utils.translation import gettext_lazy as _

from residence.core import divisions
from residence.core.errors import ValidationError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# after NFKC: white space, hyphens and dashes, and the invisible characters copied text carries
_SEPARATORS = re.compile("[\\s\\-\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]")


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(first17) != len(_WEIGHTS):
        raise ValueError("check_character takes the first 17 digits")
    return _CHECK[sum(map(mul, map(int, first17), _WEIGHTS)) % 11]


@dataclass(frozen=True, slots=True)
class IdNumber:
    value: str

    @property
    def division_code(self) -> str:
        return self.value[:6]

    @property
    def birth_date(self) -> dt.date:
        return dt.date(int(self.value[6:10]), int(self.value[10:12]), int(self.value[12:14]))

    @property
    def sex(self) -> str:
        """'M' or 'F', from the parity of the 17th digit."""
        return "M" if int(self.value[16]) % 2 else "F"

    @property
    def origin_name(self) -> str:
        return divisions.name_of(self.division_code, self.birth_date.year)

    def __str__(self) -> str:
        return self.value


def normalise(text: str) -> str:
    """An ID number as typed, in the form it is checked, stored and searched in: NFKC (full-width digits and
    letters to ASCII), white space, hyphens and dashes removed, upper case (a trailing x to X).
    `"４４０３０８ １９９０-０１０１ ００１ｘ"` → `"44030819900101001X"`. Any text, not only a valid number."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def parse_id_number(raw: object, *, today: dt.date | None = None) -> IdNumber:
    """Validate and normalise an ID number, or raise ValidationError saying exactly what is wrong."""
    if not isinstance(raw, str):
        raise ValidationError(str(_("ID number must be text.")), code="id_type", field="id_number")
    value = normalise(raw)
    if len(value) != 18:
        raise ValidationError(
            str(_("ID number must have 18 characters, got %(n)d.")) % {"n": len(value)},
            code="id_length",
            field="id_number",
        )
    if not value[:17].isascii() or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise ValidationError(
            str(_("ID number must be 17 digits followed by a digit or X.")), code="id_chars", field="id_number"
        )
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(
            str(_("ID number has an impossible birth date %(d)s.")) % {"d": value[6:14]},
            code="id_birth_date",
            field="id_number",
        ) from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1880:
        raise ValidationError(
            str(_("ID number has an impossible birth date %(d)s.")) % {"d": value[6:14]},
            code="id_birth_date",
            field="id_number",
        )
    if not divisions.is_known(value[:6]):
        raise ValidationError(
            str(_("ID number starts with an unknown division code %(c)s.")) % {"c": value[:6]},
            code="id_division",
            field="id_number",
        )
    expected = check_character(value[:17])
    if value[17] != expected:
        raise ValidationError(
            str(_("ID number check character is wrong (expected %(e)s).")) % {"e": expected},
            code="id_check",
            field="id_number",
        )
    return IdNumber(value)
