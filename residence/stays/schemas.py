"""The integrator API's shapes. Item fields are typed loosely on purpose: each item is checked by the service and
answered on its own (`rejected` with field, code and message), so that one bad item never fails the batch.

The items and their results are plain pydantic models rather than ninja Schemas: a batch has up to 1,000 of each,
and a ninja Schema runs a Python validator per object (to read Django models' attributes), which these dicts do not
need; the OpenAPI description is the same."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel


class CheckInItem(BaseModel):
    idempotency_key: Any = Field(None, description="1–100 printable characters, unique per premises for 30 days")
    id_number: Any = Field(None, description="citizen ID number, 18 characters")
    name: Any = Field(None, description="the guest's name")
    unit_code: Any = Field(None, description="a unit code of these premises (GET /api/v1/stays/units)")
    arrived_at: Any = Field(None, description="ISO 8601, e.g. 2026-12-01T14:30:00+08:00 (no offset: Beijing time)")
    expected_departure: Any = Field(None, description="optional, ISO 8601")


class CheckOutItem(BaseModel):
    idempotency_key: Any = Field(None, description="1–100 printable characters, unique per premises for 30 days")
    stay_id: Any = Field(None, description="the stay number the check-in answered; or give id_number and unit_code")
    id_number: Any = Field(None, description="with unit_code, instead of stay_id")
    unit_code: Any = Field(None, description="with id_number, instead of stay_id")
    departed_at: Any = Field(None, description="ISO 8601")


class CheckInsIn(Schema):
    items: list[CheckInItem] = Field(..., description="at most 1,000 items")


class CheckOutsIn(Schema):
    items: list[CheckOutItem] = Field(..., description="at most 1,000 items")


class ItemError(BaseModel):
    field: str
    code: str
    message: str


class Flag(BaseModel):
    code: str
    stay_id: int | None = None
    message: str


class ItemResult(BaseModel):
    index: int
    idempotency_key: str | None = None
    status: str = Field(..., description="accepted | duplicate | rejected")
    stay_id: int | None = None
    on_time: bool | None = None
    due_at: str | None = None
    flags: list[Flag] = []
    errors: list[ItemError] = []


class BatchOut(Schema):
    dry_run: bool
    accepted: int
    duplicate: int
    rejected: int
    results: list[ItemResult]


class UnitOut(Schema):
    code: str
    label: str
    address: str


class DeclaredOut(Schema):
    stay_id: int
    event: str
    unit_code: str
    idempotency_key: str
    arrived_at: str
    departed_at: str | None
    declared_at: str
    on_time: bool
