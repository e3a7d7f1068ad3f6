from __future__ import annotations

import datetime as dt

from ninja import Schema


class PersonOut(Schema):
    id: int
    name: str
    id_number_masked: str
    sex: str
    birth_date: dt.date
    origin_code: str
    phone_masked: str


class ErrorOut(Schema):
    code: str
    message: str
