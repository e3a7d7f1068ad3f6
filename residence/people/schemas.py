from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class PersonOut(Schema):
    """A person as the caller may see them (docs/security.md, "What each role sees")."""

    id: int
    name: str
    id_number_masked: str = Field(description="the division code, the rest starred")
    sex: str
    birth_date: dt.date | None = Field(description="only for callers who may reveal full numbers")
    born_from: int = Field(description="birth year, or the earlier of the two years it is shown as")
    born_to: int = Field(description="birth year, or the later of the two years it is shown as")
    origin_code: str
    phone_masked: str = Field(description="the last four digits, the rest starred")


class SearchIn(Schema):
    q: str = Field(min_length=1, max_length=40,
                   description="ID number, phone, name prefix or pinyin initials")
