from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class PersonOut(Schema):
    id: int
    name: str
    id_number_masked: str
    sex: str
    birth_date: dt.date
    origin_code: str
    phone_masked: str


class SearchIn(Schema):
    q: str = Field(min_length=1, max_length=40, description="ID number, phone, name prefix or pinyin initials")
