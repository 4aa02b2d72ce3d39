"""Pipelines, deals with their stage history, products and orders."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import NaiveDatetime
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.config import now
from core.models.base import Editable, json_column


class Pipeline(Editable, table=True):
    __tablename__ = "pipelines"
    owner_field: ClassVar[str | None] = None

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    is_default: bool = Field(default=False)
    position: int = Field(default=0)


class Stage(Editable, table=True):
    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("pipeline_id", "name", name="uq_stages_pipeline_name"),)
    owner_field: ClassVar[str | None] = None

    id: int | None = Field(default=None, primary_key=True)
    pipeline_id: int = Field(foreign_key="pipelines.id", index=True)
    name: str = Field(max_length=100)
    position: int = Field(default=0)
    probability: int = Field(default=0)  # percent, 0-100, for the weighted pipeline
    is_won: bool = Field(default=False)
    is_lost: bool = Field(default=False)


class Deal(Editable, table=True):
    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_stage_status", "stage_id", "status"),
        Index("ix_deals_owner_status", "owner_id", "status"),
        Index("ix_deals_status_closed", "status", "closed_at"),
        # The pipeline board: the top deals of a stage, latest closed then biggest, without a sort.
        Index("ix_deals_stage_closed_amount", "stage_id", "closed_at", "amount"),
    )
    has_custom_fields: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    company_id: int | None = Field(default=None, foreign_key="companies.id", index=True)
    pipeline_id: int = Field(foreign_key="pipelines.id", index=True)
    stage_id: int = Field(foreign_key="stages.id")
    amount: float = Field(default=0.0)
    currency: str = Field(default="EUR", max_length=3)
    expected_close: date | None = None
    owner_id: int | None = Field(default=None, foreign_key="users.id")
    status: str = Field(default="open", max_length=8)
    closed_at: NaiveDatetime | None = None
    lost_reason: str | None = Field(default=None, max_length=300)
    source: str | None = Field(default=None, max_length=40)
    custom: dict[str, Any] = json_column()


class DealStageHistory(SQLModel, table=True):
    """One row per stay of a deal in a stage; `exited_at` is NULL while the deal is still there."""

    __tablename__ = "deal_stage_history"
    __table_args__ = (
        Index("ix_dsh_stage_entered", "stage_id", "entered_at"),
        # Covering the funnel's read: a deal's stays without visiting the table.
        Index("ix_dsh_deal_stage_dates", "deal_id", "stage_id", "entered_at", "exited_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deals.id", index=True)
    stage_id: int = Field(foreign_key="stages.id")
    entered_at: NaiveDatetime = Field(default_factory=now)
    exited_at: NaiveDatetime | None = None
    changed_by_id: int | None = Field(default=None, foreign_key="users.id")


class Product(Editable, table=True):
    __tablename__ = "products"
    owner_field: ClassVar[str | None] = None
    has_custom_fields: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    category: str | None = Field(default=None, max_length=100, index=True)
    price: float = Field(default=0.0)
    active: bool = Field(default=True)
    description: str | None = Field(default=None, max_length=2000)
    custom: dict[str, Any] = json_column()


class ProductOption(Editable, table=True):
    """A configurable choice of a product (option "colour", value "red") and its price delta."""

    __tablename__ = "product_options"
    __table_args__ = (UniqueConstraint("product_id", "name", "value", name="uq_product_option"),)
    owner_field: ClassVar[str | None] = None

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="products.id", index=True)
    name: str = Field(max_length=60)
    value: str = Field(max_length=100)
    price_delta: float = Field(default=0.0)


class Order(Editable, table=True):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_contact_date", "contact_id", "ordered_at"),)
    has_custom_fields: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    order_number: str = Field(max_length=40, unique=True)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    company_id: int | None = Field(default=None, foreign_key="companies.id", index=True)
    ordered_at: NaiveDatetime = Field(default_factory=now, index=True)
    status: str = Field(default="placed", max_length=16)
    currency: str = Field(default="EUR", max_length=3)
    total: float = Field(default=0.0)  # kept equal to the sum of its lines by the order service
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    custom: dict[str, Any] = json_column()


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (Index("ix_order_lines_product_order", "product_id", "order_id"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    product_id: int = Field(foreign_key="products.id")
    quantity: float = Field(default=1)
    unit_price: float = Field(default=0.0)  # price paid per unit, options included
    options: dict[str, Any] = json_column()  # e.g. {"colour": "red", "size": "L"}
