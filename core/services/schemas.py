"""Input models: what a person may type for each entity, with the checks and the messages.

The same model validates a new record and the merged result of an edit, so a rule is written once.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NaiveDatetime,
    WithJsonSchema,
    field_validator,
)

from core.config import today
from core.models import base as vocab
from core.services.email_check import check_email

PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")
_DIGIT = re.compile("[0-9]")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value != value:  # NaN from a spreadsheet's empty cell
        return None
    return value


def _check_phone(value: str | None) -> str | None:
    if value is None:
        return None
    # Past PHONE_RE every digit is 0-9: counted in C (a generator cost an import ~1 s per 100k phones)
    if not PHONE_RE.match(value) or len(_DIGIT.findall(value)) < 6:
        raise ValueError("is not a phone number (use digits, spaces, +, -, e.g. +39 02 1234 5678)")
    return value


def _check_birth_date(value: date | None) -> date | None:
    if value is not None and not (date(1900, 1, 1) <= value <= today()):
        raise ValueError(f"must be between 1900-01-01 and today ({today().isoformat()})")
    return value


def _money(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def _email(value: str | None) -> str | None:
    """EmailStr's check and normalized form, with a fast path for plain addresses (email_check)."""
    return None if value is None else check_email(value)


Text = Annotated[str | None, BeforeValidator(_blank_to_none)]
RequiredText = Annotated[str, BeforeValidator(_blank_to_none), Field(min_length=1)]
Email = Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(_email), AfterValidator(_lower),
                  WithJsonSchema({"anyOf": [{"type": "string", "format": "email"}, {"type": "null"}]})]
Phone = Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(_check_phone)]
Money = Annotated[float, Field(ge=0, le=1e12), AfterValidator(_money)]
OptionalMoney = Annotated[Annotated[float, Field(ge=0, le=1e12)] | None, BeforeValidator(_blank_to_none)]
OptionalId = Annotated[Annotated[int, Field(gt=0)] | None, BeforeValidator(_blank_to_none)]
OptionalDate = Annotated[date | None, BeforeValidator(_blank_to_none)]
OptionalDatetime = Annotated[NaiveDatetime | None, BeforeValidator(_blank_to_none)]


def choice(values: tuple[str, ...]) -> Any:
    return Literal[values]  # type: ignore[valid-type]


def optional_choice(values: tuple[str, ...]) -> Any:
    return Annotated[
        Literal[values] | None,  # type: ignore[valid-type]
        BeforeValidator(_blank_to_none),
        BeforeValidator(_lower),
    ]


# Integer columns are 32-bit on PostgreSQL; SQLite takes 64 bits. The smaller range holds on both.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def _unstorable(value: Any, top: bool = True) -> str | None:
    """Why a value cannot be stored as it is on both databases, or None when it can."""
    if isinstance(value, str):
        return "must not contain the NUL character (\\x00)" if "\x00" in value else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if not top or INT_MIN <= value <= INT_MAX else f"must be between {INT_MIN} and {INT_MAX}"
    if isinstance(value, float):
        return None if math.isfinite(value) else "must be a finite number"
    if isinstance(value, dict):
        return next((p for p in (_unstorable(k, False) or _unstorable(v, False) for k, v in value.items())
                     if p), None)
    if isinstance(value, list | tuple):
        return next((p for p in (_unstorable(item, False) for item in value) if p), None)
    return None


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_max_length=20_000)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        """What PostgreSQL would refuse with a raw error (NUL in text, NaN in JSON, a 64-bit id)
        is refused here, with the field named, on both databases."""
        problem = _unstorable(value)
        if problem:
            raise ValueError(problem)
        return value


class UserIn(Input):
    username: Annotated[str, AfterValidator(_lower), Field(pattern=USERNAME_RE.pattern)]
    display_name: RequiredText = Field(max_length=120)
    email: Email = None
    role: choice(vocab.ROLES) = "staff"
    team: Text = Field(default=None, max_length=64)
    active: bool = True


class CompanyIn(Input):
    name: RequiredText = Field(max_length=200)
    domain: Text = Field(default=None, max_length=200)
    industry: Text = Field(default=None, max_length=100)
    phone: Phone = None
    website: Text = Field(default=None, max_length=300)
    address: Text = Field(default=None, max_length=300)
    city: Text = Field(default=None, max_length=100)
    country: Text = Field(default=None, max_length=100)
    employees: Annotated[Annotated[int, Field(ge=0)] | None, BeforeValidator(_blank_to_none)] = None
    owner_id: OptionalId = None
    custom: dict[str, Any] = Field(default_factory=dict)


class ContactIn(Input):
    first_name: RequiredText = Field(max_length=100)
    last_name: Annotated[str, BeforeValidator(lambda v: _blank_to_none(v) or "")] = Field(
        default="", max_length=100
    )
    email: Email = None
    phone: Phone = None
    mobile: Phone = None
    job_title: Text = Field(default=None, max_length=120)
    address: Text = Field(default=None, max_length=300)
    postal_code: Text = Field(default=None, max_length=20)
    city: Text = Field(default=None, max_length=100)
    country: Text = Field(default=None, max_length=100)
    company_id: OptionalId = None
    gender: optional_choice(vocab.GENDERS) = None
    birth_date: Annotated[OptionalDate, AfterValidator(_check_birth_date)] = None
    household_income: OptionalMoney = None
    best_time_to_call: Text = Field(default=None, max_length=40)
    preferred_channel: optional_choice(vocab.CONTACT_CHANNELS) = None
    lifecycle_stage: Annotated[choice(vocab.LIFECYCLE_STAGES), BeforeValidator(_lower)] = "lead"
    source: Text = Field(default=None, max_length=40)
    owner_id: OptionalId = None
    consent_email: bool = False
    consent_phone: bool = False
    consent_sms: bool = False
    unsubscribed: bool = False
    tags: list[Annotated[str, Field(max_length=60)]] = Field(default_factory=list, max_length=50)
    custom: dict[str, Any] = Field(default_factory=dict)


class PipelineIn(Input):
    name: RequiredText = Field(max_length=100)
    is_default: bool = False
    position: int = 0


class StageIn(Input):
    pipeline_id: int = Field(gt=0)
    name: RequiredText = Field(max_length=100)
    position: int = 0
    probability: int = Field(default=0, ge=0, le=100)
    is_won: bool = False
    is_lost: bool = False


class DealIn(Input):
    title: RequiredText = Field(max_length=200)
    contact_id: OptionalId = None
    company_id: OptionalId = None
    pipeline_id: OptionalId = None  # None: the default pipeline
    stage_id: OptionalId = None  # None: the pipeline's first stage
    amount: Money = 0.0
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    expected_close: OptionalDate = None
    owner_id: OptionalId = None
    lost_reason: Text = Field(default=None, max_length=300)
    source: Text = Field(default=None, max_length=40)
    custom: dict[str, Any] = Field(default_factory=dict)


class ProductIn(Input):
    sku: RequiredText = Field(max_length=64)
    name: RequiredText = Field(max_length=200)
    category: Text = Field(default=None, max_length=100)
    price: Money = 0.0
    active: bool = True
    description: Text = Field(default=None, max_length=2000)
    custom: dict[str, Any] = Field(default_factory=dict)


class ProductOptionIn(Input):
    product_id: int = Field(gt=0)
    name: RequiredText = Field(max_length=60)
    value: RequiredText = Field(max_length=100)
    price_delta: Annotated[float, Field(ge=-1e9, le=1e9), AfterValidator(_money)] = 0.0


class OrderLineIn(Input):
    product_id: int = Field(gt=0)
    quantity: float = Field(default=1, gt=0, le=1e6)
    unit_price: OptionalMoney = None  # None: the product's price plus the chosen options' deltas
    options: dict[str, str] = Field(default_factory=dict)


class OrderIn(Input):
    order_number: Text = Field(default=None, max_length=40)  # None: generated
    contact_id: OptionalId = None
    company_id: OptionalId = None
    ordered_at: OptionalDatetime = None
    status: choice(vocab.ORDER_STATUSES) = "placed"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    owner_id: OptionalId = None
    custom: dict[str, Any] = Field(default_factory=dict)


class ActivityIn(Input):
    contact_id: OptionalId = None
    company_id: OptionalId = None
    deal_id: OptionalId = None
    case_id: OptionalId = None
    channel: Annotated[choice(vocab.CHANNELS), BeforeValidator(_lower)]
    direction: Annotated[choice(vocab.DIRECTIONS), BeforeValidator(_lower)] = "outbound"
    occurred_at: OptionalDatetime = None  # None: now
    subject: Text = Field(default=None, max_length=300)
    notes: Text = Field(default=None, max_length=10_000)
    outcome: Text = Field(default=None, max_length=200)
    duration_minutes: Annotated[
        Annotated[int, Field(ge=0, le=10_000)] | None, BeforeValidator(_blank_to_none)
    ] = None
    owner_id: OptionalId = None
    source: choice(vocab.ACTIVITY_SOURCES) = "manual"
    custom: dict[str, Any] = Field(default_factory=dict)


class TaskIn(Input):
    title: RequiredText = Field(max_length=300)
    notes: Text = Field(default=None, max_length=5000)
    due_at: OptionalDatetime = None
    assignee_id: OptionalId = None
    contact_id: OptionalId = None
    deal_id: OptionalId = None
    case_id: OptionalId = None
    status: choice(vocab.TASK_STATUSES) = "open"
    priority: choice(vocab.PRIORITIES) = "normal"
    recurrence: choice(vocab.RECURRENCES) = "none"
    custom: dict[str, Any] = Field(default_factory=dict)


class CaseIn(Input):
    subject: RequiredText = Field(max_length=300)
    description: Text = Field(default=None, max_length=10_000)
    contact_id: OptionalId = None
    company_id: OptionalId = None
    status: choice(vocab.CASE_STATUSES) = "new"
    priority: choice(vocab.PRIORITIES) = "normal"
    channel: choice(vocab.CHANNELS) = "email"
    opened_at: OptionalDatetime = None
    sla_due_at: OptionalDatetime = None
    assignee_id: OptionalId = None
    custom: dict[str, Any] = Field(default_factory=dict)


class CampaignIn(Input):
    name: RequiredText = Field(max_length=200)
    channel: choice(vocab.CAMPAIGN_CHANNELS) = "email"
    status: choice(vocab.CAMPAIGN_STATUSES) = "draft"
    subject: Text = Field(default=None, max_length=300)
    body: Text = Field(default=None, max_length=20_000)
    segment_id: OptionalId = None
    owner_id: OptionalId = None
    budget: OptionalMoney = None


class CustomFieldIn(Input):
    entity: choice(vocab.CUSTOMISABLE_ENTITIES)
    name: Annotated[str, Field(pattern=FIELD_NAME_RE.pattern)]
    label: RequiredText = Field(max_length=120)
    field_type: choice(vocab.CUSTOM_FIELD_TYPES) = "text"
    options: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list)
    required: bool = False
    position: int = 0


class SavedViewIn(Input):
    entity: Annotated[str, Field(min_length=1, max_length=32)]
    name: RequiredText = Field(max_length=120)
    owner_id: OptionalId = None
    shared: bool = False
    config: dict[str, Any] = Field(default_factory=dict)  # filters, search, sort, columns, page_size


class SegmentIn(Input):
    name: RequiredText = Field(max_length=120)
    description: Text = Field(default=None, max_length=1000)
    owner_id: OptionalId = None
    shared: bool = True
    spec: dict[str, Any] = Field(default_factory=dict)  # {"filters": [Filter, ...]} over contacts


class SavedReportIn(Input):
    name: RequiredText = Field(max_length=120)
    owner_id: OptionalId = None
    shared: bool = False
    chart_type: Literal["table", "bar", "line", "pie", "funnel"] = "table"
    spec: dict[str, Any] = Field(default_factory=dict)  # a QuerySpec as JSON
