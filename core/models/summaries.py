"""Derived summaries kept in the database: figures too costly to recompute from raw rows on every
cold read (see core/analytics/summary_state.py). Nothing here is edited by a person; every row can
be rebuilt from the orders, order lines and products (`crm summaries rebuild`)."""

from __future__ import annotations

from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from core.models.base import json_column


class SummaryState(SQLModel, table=True):
    """One row per summary: the data version and high-water marks it has folded in.

    Its row is also the summary's lock: a refresh starts by updating it, which makes concurrent
    refreshes (threads or processes, SQLite or PostgreSQL) wait for one another.
    """

    __tablename__ = "summary_state"

    name: str = Field(primary_key=True, max_length=40)
    data_version: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    marks: dict[str, Any] = json_column()  # empty until the first build
    refreshed_at: NaiveDatetime | None = None


class BasketOrder(SQLModel, table=True):
    """What one counted order added to `basket_counts`, so a change can take it back exactly."""

    __tablename__ = "basket_orders"

    order_id: int = Field(primary_key=True)  # no foreign key: derived data, rebuilt from orders
    owner_id: int = Field(default=0)  # the order's owner; 0 = unowned
    products: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of distinct names
    categories: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of distinct categories


class BasketCount(SQLModel, table=True):
    """Orders per owner holding an item (item_b = '') or a pair of items (item_a < item_b).

    kind: "product" (names), "category", or "orders" (items blank: the owner's counted orders).
    A reader's figure is the sum over the owners whose orders they may see.
    """

    __tablename__ = "basket_counts"

    kind: str = Field(primary_key=True, max_length=10)
    owner_id: int = Field(primary_key=True)  # 0 = unowned
    item_a: str = Field(primary_key=True, max_length=200)
    item_b: str = Field(primary_key=True, max_length=200)
    orders: int = Field(default=0)
