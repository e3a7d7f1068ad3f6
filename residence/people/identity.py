"""Protected identity fields of a person: validation, encryption, blind index and masking in one place.

Used by the service that creates one person and by the bulk paths (demo generator, imports), so that every row is
written the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.constants import PHRASES_DICT

from residence.core import crypto
from residence.core.columns import Kind
from residence.core.errors import ValidationError
from residence.core.idnumber import IdNumber, normalise, parse_id_number

ID_CONTEXT = "person.id_number"
PHONE_CONTEXT = "person.phone"

_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef·]{1,30}$")
_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", ".": "·", "‧": "·"})
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def clean_name(raw: str) -> str:
    name = (raw or "").strip().translate(_DOTS)
    if not _NAME.match(name) or name.startswith("·") or name.endswith("·"):
        raise ValidationError(
            _("Name must be 1–30 Chinese characters; a middle dot (·) may separate parts."), code="name", field="name"
        )
    return name


def name_initials(name: str) -> str:
    """Pinyin initials, lower case: 张三 → zs, 阿依古丽·买买提 → ayglmmt. Character by character (each character's
    reading cached), unless a polyphonic character's reading may depend on its words: a name with such a character
    and a word of pypinyin's phrase dictionary in it goes to pypinyin whole (cached by name; some 15 to 80 µs a name).
    The same initials as pypinyin gives for the whole name, checked on 450,000 names; about 1 name in 100 needs it."""
    bare = name.replace("·", "")
    letters = []
    polyphonic = False
    for character in bare:
        readings = _readings(character)
        polyphonic = polyphonic or len(readings) > 1
        letters.append(readings[0][0] if readings else "")
    if polyphonic and _has_phrase(bare):
        return _initials_in_context(name)
    return "".join(letters).lower()


def _has_phrase(text: str) -> bool:
    """Whether a stretch of two or more characters of `text` is a word of pypinyin's phrase dictionary (which is
    where a polyphonic character gets a reading other than its first)."""
    n = len(text)
    return any(text[i:j] in PHRASES_DICT for i in range(n - 1) for j in range(i + 2, n + 1))


@functools.lru_cache(maxsize=65_536)
def _initials_in_context(name: str) -> str:
    return "".join(lazy_pinyin(name.replace("·", ""), style=Style.FIRST_LETTER, errors="ignore")).lower()


READINGS_PER_CHARACTER = 4  # a polyphonic character's readings kept, most common first
READINGS_PER_NAME = 8  # combinations of readings kept per name, for the full pinyin and for the initials each


def name_forms(name: str) -> set[str]:
    """Everything a name is found by as a prefix: the name itself (and without its middle dot), and for every
    reading of its characters (pypinyin's heteronyms, bounded above) the full pinyin and the initials, lower case
    without tones or spaces: 单丽 → 单丽, danli, shanli, chanli, dl, sl, cl (ü as v: 吕 → lv)."""
    bare = name.replace("·", "")
    readings = [r for r in map(_readings, bare) if r]
    forms = {name, bare}
    forms |= {"".join(c) for c in _likeliest(readings)}
    forms |= {"".join(c) for c in _likeliest([list(dict.fromkeys(r[0] for r in rs)) for rs in readings])}
    return {f.lower()[:60] for f in forms if f}


@functools.cache
def _readings(character: str) -> tuple[str, ...]:
    """A character's pinyin readings without tones, most common first (at most READINGS_PER_CHARACTER)."""
    found = pinyin(character, style=Style.NORMAL, heteronym=True, errors="ignore", v_to_u=False)
    return tuple(found[0][:READINGS_PER_CHARACTER]) if found else ()


def _likeliest(options: list[list[str]] | list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The READINGS_PER_NAME combinations (one option per character) with the smallest sum of the options' ranks,
    pypinyin listing the most common reading first: kept best-first character by character, which is exact for a
    sum."""
    beam: list[tuple[int, tuple[str, ...]]] = [(0, ())]
    for opts in options:
        beam = sorted(((rank + i, (*combo, o)) for rank, combo in beam for i, o in enumerate(opts)),
                      key=lambda x: x[0])[:READINGS_PER_NAME]
    return [combo for _rank, combo in beam]


def search_keys(name: str, registrations: Iterable[tuple[str, dt.date | None]], *,
                forms: Callable[[str], set[str]] | None = None) -> list[tuple[str, str, dt.date | None]]:
    """(form, area path, end) rows of a person's search keys from their registrations' (area path, end): every
    form at every area, with the latest end there (None while a registration there is open)."""
    latest: dict[str, dt.date] = {}
    for path, ended in registrations:
        latest[path] = max(latest.get(path, dt.date.min), ended or dt.date.max)
    return [(form, path, None if ended == dt.date.max else ended)
            for form in sorted((forms or name_forms)(name)) for path, ended in sorted(latest.items())]


def search_form(query: str) -> str:
    """A typed name or pinyin as stored in name_forms: spaces dropped (王 芳, wang fang), lower case, dots unified."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", query or "")).translate(_DOTS).lower()


def clean_phone(raw: str) -> str:
    phone = re.sub(r"[\s]", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        raise ValidationError(_("Phone must be an 11-digit mobile or a landline with area code."),
                              code="phone", field="phone")
    return phone


def mask_id(id_number: str) -> str:
    """`440305199001011234` → `440305************`: the division code only. Never the birth date, the sequence or
    the check character, which together with the birth date would leave a handful of candidates (docs/security.md,
    "What each role sees")."""
    return id_number[:6] + "*" * (len(id_number) - 6)


def mask_phone(phone: str) -> str:
    """`13912345678` → `*******5678`: the last four digits only (700,000 candidates for a mobile number)."""
    digits = phone.replace("-", "")
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_name(name: str) -> str:
    """`张三丰` → `张**`: the first character only (the surname, mostly), one star for each other character (at most
    four), so a verifier can compare it with the holder's ID card. Never a hash: names come from a dictionary small
    enough to try them all."""
    name = (name or "").strip()
    return name[:1] + "*" * min(max(len(name) - 1, 1), 4) if name else ""


_LONG_NUMBER = re.compile(r"[0-9](?:[\s-]*[0-9]){7,}(?:[\s-]*[Xx])?")


def redact_numbers(text: str) -> str:
    """Free text that goes on the audit trail (a stated purpose), with any run of 8 or more digits (an ID or phone
    number someone typed into it) starred out: the trail is read by managers who may not unmask."""
    return _LONG_NUMBER.sub(lambda m: "*" * len(m.group()), unicodedata.normalize("NFKC", text or "").strip())


def id_index(id_number: str) -> str:
    return crypto.blind_index(id_number, context=ID_CONTEXT)


def phone_index(phone: str) -> str:
    return crypto.blind_index(phone, context=PHONE_CONTEXT)


def resident_username(person_id: int) -> str:
    """A resident account's user name: from the person's record number, so that no account table holds the ID
    number. Residents type their ID number; the log-in form finds the person and so the user name."""
    return f"resident-{person_id}"


@dataclass(frozen=True, slots=True)
class ProtectedIdentity:
    id_number: IdNumber
    id_number_enc: bytes
    id_number_index: str
    id_number_masked: str
    phone_enc: bytes | None
    phone_index: str
    phone_masked: str


def protect(*, id_number: str, phone: str = "") -> ProtectedIdentity:
    """Validate the ID number (and phone, when given) and return the columns to store."""
    idn = parse_id_number(id_number)
    cleaned_phone = clean_phone(phone) if phone else ""
    return ProtectedIdentity(
        id_number=idn,
        id_number_enc=crypto.encrypt(idn.value, context=ID_CONTEXT),
        id_number_index=id_index(idn.value),
        id_number_masked=mask_id(idn.value),
        phone_enc=crypto.encrypt(cleaned_phone, context=PHONE_CONTEXT) if cleaned_phone else None,
        phone_index=phone_index(cleaned_phone) if cleaned_phone else "",
        phone_masked=mask_phone(cleaned_phone) if cleaned_phone else "",
    )


def reveal_id_number(enc: bytes) -> str:
    return crypto.decrypt(enc, context=ID_CONTEXT)


def reveal_phone(enc: bytes | None) -> str:
    return crypto.decrypt(enc, context=PHONE_CONTEXT) if enc else ""


# The kinds of import column for these fields (core/columns.py): the same checks as one person's form, and the
# preview shows the numbers masked as every other screen does.
ID_NUMBER = Kind(lambda v: parse_id_number(v).value,
                 lambda: _("18 characters per GB 11643, the last a digit or X (spaces and hyphens are ignored)."),
                 shown=lambda v: mask_id(normalise(v)) if len(normalise(v)) > 6 else "*" * len(v))
PHONE = Kind(clean_phone, lambda: _("An 11-digit mobile number, or a landline with its area code (0755-12345678)."),
             shown=lambda v: mask_phone(re.sub(r"\s", "", v)) if len(v) > 4 else "*" * len(v))
PERSON_NAME = Kind(clean_name, lambda: _("1–30 Chinese characters; a middle dot (·) may separate parts."))
