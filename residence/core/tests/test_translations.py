"""The Chinese catalogue is complete, has no fuzzy (guessed) entries, and the compiled .mo matches the .po."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def entries() -> list[tuple[str, str, str]]:
    """(flags, msgid, first msgstr) of every entry but the header."""
    return [(flags, msgid, msgstr) for flags, _ctx, msgid, msgstr in entries_in_context()]


def entries_in_context() -> list[tuple[str, str, str, str]]:
    """(flags, msgctxt, msgid, first msgstr) of every entry but the header; the context is "" when there is none."""
    out = []
    for block in LOCALE.joinpath("django.po").read_text(encoding="utf-8").split("\n\n"):
        m = re.search(r'^msgid ((?:".*"\n)+)(?:msgid_plural .*\n)?msgstr(?:\[0\])? ((?:".*"\n?)+)', block, re.M)
        if not m:
            continue
        msgid = "".join(re.findall(r'"(.*)"', m.group(1)))
        msgstr = "".join(re.findall(r'"(.*)"', m.group(2)))
        c = re.search(r'^msgctxt ((?:".*"\n)+)', block, re.M)
        ctx = "".join(re.findall(r'"(.*)"', c.group(1))) if c else ""
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        if msgid:
            out.append((flags, ctx, msgid, msgstr))
    return out


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    found = entries()
    assert len(found) > 150
    assert [m for _f, m, s in found if not s] == []
    assert [m for f, m, _s in found if "fuzzy" in f] == []


def test_compiled_catalogue_matches_the_source() -> None:
    with LOCALE.joinpath("django.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    def compiled(ctx: str, msgid: str) -> str:
        return mo.pgettext(ctx, msgid) if ctx else mo.gettext(msgid)

    stale = [m for _f, ctx, m, s in entries_in_context()
             if "%" not in m and compiled(ctx, m.replace('\\"', '"')) != s.replace('\\"', '"')]
    assert stale == []


def test_distinct_screens_have_distinct_names() -> None:
    by_id = {m: s for _f, m, s in entries()}
    assert by_id["Import addresses"] != by_id["Addresses"]
