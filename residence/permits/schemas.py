"""The permits API's bodies and answers."""

from __future__ import annotations

import datetime as dt

import pydantic
from ninja import Field, Schema


class VerifyIn(pydantic.BaseModel):
    """A plain pydantic model, not ninja's Schema: nothing here is read from a Django object, and the public check
    parses one per request (`permits.api.permit_verify_short`), where ninja's wrapper cost more than the parse."""

    token: str = pydantic.Field(max_length=4096, description="The e-permit token, as read from the QR code")
    purpose: str = pydantic.Field("", max_length=200, description="A department's reason for the read (logged)")


class PermitShown(Schema):
    number: str = Field(description="The permit number, masked")
    name: str = Field(description="The holder's name, masked, as the token carries it")


class DepartmentShown(Schema):
    district: str
    status: str
    endorsed_years: int
    endorsement_due_on: dt.date


class VerifyOut(Schema):
    result: str = Field(description="valid, suspended, dormant, revoked, expired or invalid")
    reason: str = Field("", description="Why, in words, when the result is not valid")
    permit: PermitShown | None = None
    expires_at: dt.datetime | None = Field(None, description="When the token itself stops being good")
    checked_at: dt.datetime
    department: DepartmentShown | None = Field(None, description="For a department client with permit.verify")
