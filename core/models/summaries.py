"""Derived summary tables: facts the analytics read instead of millions of raw rows.

They hold nothing a person types: `core.analytics.summaries` rebuilds or folds them from the
source tables (orders, order lines, contacts) and `summary_state` records what has been folded in.
No foreign keys: a summary row is dropped and rewritten whenever its source changes.
"""

from __future__ import annotations

from datetime import date
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
        Index("ix_contact_purchases_last_day", "last_day"),  # the few customers with orders after "today"
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


class SharedCustomer(SQLModel, table=True):
    """A contact whose counted orders several owners took (more than one contact_purchases row):
    the few customers a reader's figures cannot take from the per-owner counts as they are."""

    __tablename__ = "shared_customers"

    contact_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})


class CohortCell(SQLModel, table=True):
    """Customers per order owner, cohort (month of the first order) and month they bought in,
    counting only the customers of one owner (not in shared_customers): the cohort matrix sums
    the cells of the owners a reader may see and recounts the shared customers from contact_months.
    Months are year × 12 + month − 1, as in order_facts."""

    __tablename__ = "cohort_cells"
    __table_args__ = (WITHOUT_ROWID,)

    owner_key: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})  # 0 = unowned
    cohort: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    month: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    order_owner_id: int | None = None
    customers: int = Field(nullable=False)


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


class OrderRollup(SQLModel, table=True):
    """Orders per day, owner and status, with their additive measures: what the semantic layer
    reads for orders, revenue, units sold and average order value when a query can be answered
    from it (`core.query.rollup`). orders = live orders; revenue = sum of quantity × unit price of
    their lines (NULL when none of them has a line); units = sum of quantities."""

    __tablename__ = "order_rollup"
    __table_args__ = (Index("ix_order_rollup_day", "day"),)

    id: int | None = Field(default=None, primary_key=True)  # owner_id is NULL for unowned orders
    day: date = Field(nullable=False)
    owner_id: int | None = None
    status: str = Field(max_length=16)
    orders: int = Field(nullable=False)
    revenue: float | None = None
    units: float | None = None


class OrderCategoryRollup(SQLModel, table=True):
    """The same per product category of the lines: orders = live orders with at least one line in
    the category (an order with lines in two categories counts once in each), revenue and units of
    those lines. category is NULL for lines of a product without a category or deleted, as the
    fact path's lookup of live products gives."""

    __tablename__ = "order_category_rollup"
    __table_args__ = (Index("ix_order_category_rollup_day", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(nullable=False)
    owner_id: int | None = None
    status: str = Field(max_length=16)
    category: str | None = Field(default=None, max_length=100)
    orders: int = Field(nullable=False)
    revenue: float | None = None
    units: float | None = None


class ContactFeatures(SQLModel, table=True):
    """One row per live contact: what the sales-potential model reads, kept narrow so that scoring
    a million contacts is one scan. Demographics as stored (birth year and month × 100 + day, so age
    on any date is arithmetic; gender already normalised to one of propensity.GENDERS) and every
    counted order of the contact, whoever owns it: orders, revenue, first and last order day (days
    since 1970-01-01; NULL before a first order). owner_id is the contact's owner (the reader's scope)."""

    __tablename__ = "contact_features"
    __table_args__ = (Index("ix_contact_features_owner", "owner_id"),
                      Index("ix_contact_features_last_day", "last_day"))

    contact_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    owner_id: int | None = None
    created_day: int | None = None
    birth_year: int | None = None
    birth_md: int | None = None
    gender: str = Field(max_length=10, nullable=False)
    household_income: float | None = None
    orders: int = Field(default=0, nullable=False)
    revenue: float = Field(default=0.0, nullable=False)
    first_day: int | None = None
    last_day: int | None = None


class PotentialModelRow(SQLModel, table=True):
    """The fitted sales-potential model per horizon, kept so that no reader refits it: readers score
    today's features with it, and `crm summaries refresh` (cron) refits it once it is from an
    earlier day (`core.analytics.potential`). `data_key` names the data it was fitted on (business
    date and the highest contact, order and line ids). `params` is JSON (coefficients, validation
    figures, the number of contacts fitted on)."""

    __tablename__ = "potential_models"

    horizon_days: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    data_key: str = Field(sa_column=Column(Text, nullable=False))
    params: str = Field(sa_column=Column(Text, nullable=False))
    fitted_at: NaiveDatetime | None = None


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


class CampaignAudienceRecipient(SQLModel, table=True):
    """Each live recipient row with what the campaign audience makes of it when the sender may see
    its contact: outcome = "already sent", the first exclusion reason for the campaign's channel,
    or "eligible" (core.services.audience_rules); live = the contact is not deleted; owner_id = the
    contact's owner, on which a reader is scoped. Kept so a fold knows what a changed recipient
    counted for before, and can move it from one count to another."""

    __tablename__ = "campaign_audience_recipients"
    # The preview's first eligible contacts of a campaign, in id order, without visiting the rows.
    __table_args__ = (Index("ix_campaign_audience_recipients_sample", "campaign_id", "outcome", "contact_id",
                            "live", "owner_id"), WITHOUT_ROWID)

    recipient_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    campaign_id: int = Field(nullable=False)
    contact_id: int = Field(nullable=False)
    owner_id: int | None = None
    live: bool = Field(nullable=False)
    outcome: str = Field(max_length=32)


class CampaignAudienceCount(SQLModel, table=True):
    """A campaign's live recipients counted per contact owner, contact live or deleted and outcome
    (as in campaign_audience_recipients), with the channel the outcomes were decided for: the
    workspace's audience counts for any reader are a sum over these few rows."""

    __tablename__ = "campaign_audience_counts"
    __table_args__ = (Index("ix_campaign_audience_counts_campaign", "campaign_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(nullable=False)
    channel: str = Field(max_length=16)
    owner_id: int | None = None
    live: bool = Field(nullable=False)
    outcome: str = Field(max_length=32)
    recipients: int = Field(nullable=False)


class FunnelDeal(SQLModel, table=True):
    """One row per live deal: the columns the funnel filters and sums on, with its furthest stage.

    furthest = the highest position of a non-lost stage the deal stayed in (NULL when it was only
    in a lost stage, or never in any); stays = its stays in any stage (0 = not in the funnel);
    close_days = days from created_at to closed_at, as the database computes them."""

    __tablename__ = "funnel_deals"
    __table_args__ = (
        # The funnel's one scan, grouped in this order without a sort and without visiting the table.
        Index("ix_funnel_deals_groups", "owner_id", "pipeline_id", "furthest", "stays", "status",
              "created_at", "amount", "close_days"),
    )

    deal_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    pipeline_id: int = Field(nullable=False)
    owner_id: int | None = None
    status: str = Field(max_length=8, nullable=False)
    created_at: NaiveDatetime = Field(nullable=False)
    amount: float | None = None
    close_days: float | None = None
    furthest: int | None = None
    stays: int = Field(default=0, nullable=False)


class FunnelStay(SQLModel, table=True):
    """One row per stay of a live deal in a stage, with the deal's pipeline, owner and creation
    time copied, so the median days in stage is read from one index without a join.
    days = exited_at − entered_at in days (NULL while the deal is still in the stage)."""

    __tablename__ = "funnel_stays"
    __table_args__ = (
        Index("ix_funnel_stays_deal", "deal_id"),
        # The medians: a group's completed stays in days order, with the filter columns at hand.
        Index("ix_funnel_stays_stage_days", "stage_id", "pipeline_id", "days", "created_at", "owner_id"),
    )

    stay_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    deal_id: int = Field(nullable=False)
    pipeline_id: int = Field(nullable=False)
    stage_id: int = Field(nullable=False)
    owner_id: int | None = None
    created_at: NaiveDatetime = Field(nullable=False)
    days: float | None = None
