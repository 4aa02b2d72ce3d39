"""Derived summary tables: facts the analytics read instead of millions of raw rows.

They hold nothing a person types: `core.analytics.summaries` rebuilds or folds them from the
source tables (orders, order lines, contacts) and `summary_state` records what has been folded in.
No foreign keys: a summary row is dropped and rewritten whenever its source changes.
"""

from __future__ import annotations

from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

WITHOUT_ROWID = {"sqlite_with_rowid": False}  # SQLite keeps the rows in primary-key order


class SummaryState(SQLModel, table=True):
    """Per summary: the high-water marks folded in and the data version they were read at."""

    __tablename__ = "summary_state"

    name: str = Field(primary_key=True, max_length=40)
    marks: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    data_version: str = Field(default="", sa_column=Column(Text, nullable=False))
    refreshed_at: NaiveDatetime | None = None


class OrderFact(SQLModel, table=True):
    """One row per order that counts as sold: not a quote, not cancelled, not deleted, of a live
    contact. amount = sum of quantity × unit price of its lines; day = days since 1970-01-01 of
    ordered_at, month = year × 12 + month − 1 (so month arithmetic is a subtraction)."""

    __tablename__ = "order_facts"
    __table_args__ = (Index("ix_order_facts_contact_day", "contact_id", "day"),)

    order_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    contact_id: int = Field(nullable=False)
    order_owner_id: int | None = None
    contact_owner_id: int | None = None
    ordered_at: NaiveDatetime = Field(nullable=False)
    day: int = Field(nullable=False)
    month: int = Field(nullable=False)
    amount: float = Field(nullable=False)


class ContactPurchases(SQLModel, table=True):
    """A contact's purchases per order owner (a "slice"; owner_key = order owner, 0 for none):
    the readers' scope follows the order's owner for RFM and loyalty, the contact's for potential.
    own_gap = median days between the slice's distinct order days (NULL under two days)."""

    __tablename__ = "contact_purchases"
    __table_args__ = (
        Index("ix_contact_purchases_order_owner", "order_owner_id", "contact_id"),
        Index("ix_contact_purchases_contact_owner", "contact_owner_id", "contact_id"),
        WITHOUT_ROWID,
    )

    contact_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    owner_key: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    order_owner_id: int | None = None
    contact_owner_id: int | None = None
    orders: int = Field(nullable=False)
    revenue: float = Field(nullable=False)
    first_day: int = Field(nullable=False)
    last_day: int = Field(nullable=False)
    first_month: int = Field(nullable=False)
    own_gap: float | None = None


class ContactMonth(SQLModel, table=True):
    """The months in which a contact bought (per order owner), with the first order day in each:
    the cohort matrix counts these rows."""

    __tablename__ = "contact_months"
    __table_args__ = (Index("ix_contact_months_order_owner", "order_owner_id", "contact_id"), WITHOUT_ROWID)

    contact_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    owner_key: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    month: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    order_owner_id: int | None = None
    first_day: int = Field(nullable=False)


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


class CampaignAnswerCount(SQLModel, table=True):
    """A campaign's live recipients counted per delivery status, response (NULL: none recorded) and
    whether a send time is recorded: the funnel and the answers are sums over these few groups."""

    __tablename__ = "campaign_answer_counts"
    __table_args__ = (Index("ix_campaign_answer_counts_campaign", "campaign_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(nullable=False)
    status: str = Field(max_length=16)
    response: str | None = Field(default=None, max_length=16)
    dated: bool = Field(nullable=False)
    recipients: int = Field(nullable=False)


class CampaignReplyMedian(SQLModel, table=True):
    """The median days from sending to a positive answer (replied, interested) of a campaign's live
    recipients; NULL when nobody answered so."""

    __tablename__ = "campaign_reply_medians"

    campaign_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    median_days: float | None = None


class CampaignFollowUp(SQLModel, table=True):
    """An order or deal of a recipient's contact placed or created up to the longest window after
    the recipient was sent the campaign (kind "order": sold orders of live contacts, recipients
    whose answer is not pending; kind "deal": live deals). owner_id is the order's or deal's owner,
    so readers are scoped on the summary itself; after_seconds = record time − send time."""

    __tablename__ = "campaign_follow_ups"
    # Kept in campaign order (readers sum a campaign's rows); a fold finds rows by recipient, and
    # by order or deal when one is edited.
    __table_args__ = (Index("ix_campaign_follow_ups_recipient", "recipient_id"),
                      Index("ix_campaign_follow_ups_record", "kind", "record_id"), WITHOUT_ROWID)

    campaign_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(primary_key=True, max_length=8)
    recipient_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    record_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    owner_id: int | None = None
    amount: float = Field(nullable=False)
    after_seconds: float = Field(nullable=False)
