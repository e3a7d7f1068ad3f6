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
    # No NUL character (as Django's form fields refuse it): PostgreSQL cannot compare text with one (a 500 before).
    q: str = Field(min_length=1, max_length=40, pattern=r"^[^\x00]*$",
                   description="ID number, phone, name prefix or pinyin initials")
