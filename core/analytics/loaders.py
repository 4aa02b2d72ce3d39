"""Narrow frames for the analytics, each read with one SELECT of the few columns it needs.

Every loader takes the reader and adds `visible_clause(user, Model)` and `deleted_at IS NULL`, so
a dashboard never counts a row its reader may not open. `user=None` reads company-wide: only for
results no person sees row by row (the propensity model is fitted on every contact).

No ORM objects: rows come back as tuples straight into pandas (about 1 s per million rows), and
date columns are read without SQLAlchemy's per-value parsing (`_raw`) and parsed by pandas in one
vectorised call. Cancelled orders never count; an order's amount is the sum of quantity × unit
price of its lines, as the semantic layer's "revenue" metric computes it. Customer-level frames
(orders for RFM, loyalty and propensity) leave out deleted contacts, who can no longer be acted on;
order lines for baskets keep them, as the semantic layer counts their orders in revenue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    func,
    literal,
    select,
    true,
    type_coerce,
)
from sqlmodel import Session

from core.analytics.version import VERSION_MODELS, data_version  # noqa: F401  (re-exported)
from core.config import start_of_day
from core.models import (
    Campaign,
    CampaignRecipient,
    Contact,
    Deal,
    DealStageHistory,
    Editable,
    Order,
    OrderLine,
    Pipeline,
    Product,
    Stage,
    User,
)
from core.models.base import NOT_SOLD_ORDER_STATUSES
from core.services.permissions import team_member_ids, visible_clause


def _raw(column: Any, name: str) -> Any:
    """A date column left as the driver returns it (SQLite: ISO text; PostgreSQL: datetime)."""
    return type_coerce(column, String).label(name)


def read_frame(source: Session | Connection, query: Select[Any], dates: Sequence[str] = ()) -> pd.DataFrame:
    """Run `query` and return its rows as a frame, the `dates` columns as datetime64.

    Rows are fetched from the driver's cursor as plain tuples: pandas builds a frame from those
    several times faster than from SQLAlchemy Row objects, and no per-value conversion runs (dates
    are parsed here in one vectorised call; SQLite booleans stay 0/1). So no JSON columns here.
    """
    connection = source if isinstance(source, Connection) else source.connection()
    result = connection.execute(query)
    columns = list(result.keys())
    rows = result.cursor.fetchall()  # type: ignore[attr-defined]
    result.close()
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for name in dates:
        frame[name] = pd.to_datetime(frame[name], errors="coerce", format="ISO8601")
    return frame


def _visible(user: User | None, model: type[Editable]) -> ColumnElement[bool]:
    readable = true() if user is None else visible_clause(user, model)
    return and_(readable, model.deleted_at.is_(None))


# ---- deals and their stage history ------------------------------------------------------------------


@dataclass(frozen=True)
class DealFilter:
    """Which deals a funnel covers: one pipeline, one owner, created in [created_from, created_to)."""

    pipeline_id: int | None = None
    owner_id: int | None = None
    created_from: date | None = None
    created_to: date | None = None


def deal_history_frame(session: Session, user: User | None, where: DealFilter = DealFilter()) -> pd.DataFrame:
    """One row per stay of a visible deal in a stage, with the deal's facts repeated on each row.

    Columns: deal_id, stage, stage_position, is_lost, entered_at, exited_at, status, amount,
    created_at, closed_at, owner (display name), pipeline (name). A deal without any history row
    still appears once, with a blank stage, so it counts in the deal KPIs.
    """
    query = (
        select(Deal.id.label("deal_id"), Stage.name.label("stage"), Stage.position.label("stage_position"),
               Stage.is_lost, _raw(DealStageHistory.entered_at, "entered_at"),
               _raw(DealStageHistory.exited_at, "exited_at"), Deal.status, Deal.amount,
               _raw(Deal.created_at, "created_at"), _raw(Deal.closed_at, "closed_at"),
               User.display_name.label("owner"), Pipeline.name.label("pipeline"))
        .select_from(Deal)
        .join(Pipeline, Pipeline.id == Deal.pipeline_id)
        .outerjoin(User, User.id == Deal.owner_id)
        .outerjoin(DealStageHistory, DealStageHistory.deal_id == Deal.id)
        .outerjoin(Stage, Stage.id == DealStageHistory.stage_id)
    )
    query = _deal_filters(query, user, where)
    return read_frame(session, query, ("entered_at", "exited_at", "created_at", "closed_at"))


def _deal_filters(query: Select[Any], user: User | None, where: DealFilter) -> Select[Any]:
    query = query.where(_visible(user, Deal))
    if where.pipeline_id is not None:
        query = query.where(Deal.pipeline_id == where.pipeline_id)
    if where.owner_id is not None:
        query = query.where(Deal.owner_id == where.owner_id)
    if where.created_from is not None:
        query = query.where(Deal.created_at >= start_of_day(where.created_from))
    if where.created_to is not None:
        query = query.where(Deal.created_at < start_of_day(where.created_to))
    return query


def split_history(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (history, deals) pair `core.analytics.funnel` takes, from `deal_history_frame`'s rows."""
    history = frame.loc[frame["stage"].notna(), ["deal_id", "stage", "stage_position", "is_lost",
                                                 "entered_at", "exited_at"]]
    history = history.astype({"stage_position": "int64", "is_lost": "bool"})
    deals = frame.drop_duplicates("deal_id")[["deal_id", "status", "amount", "created_at", "closed_at",
                                              "owner", "pipeline"]]
    return history.reset_index(drop=True), deals.reset_index(drop=True)


# ---- orders, lines, contacts, campaigns --------------------------------------------------------------


def orders_frame(session: Session, user: User | None, contact_id: int | None = None) -> pd.DataFrame:
    """order_id, contact_id, ordered_at, amount of the visible, not cancelled orders of live contacts
    (of one contact when `contact_id` is given)."""
    query = _orders_query(_visible(user, Order))
    if contact_id is not None:
        query = query.where(Order.contact_id == contact_id)
    return _orders(session, query)


def purchases_frame(session: Session, user: User | None, every: int = 1,
                    contact_id: int | None = None) -> pd.DataFrame:
    """Like `orders_frame`, but every not cancelled order of the live contacts `user` may see,
    whoever owns the order (a contact's history is all of it), optionally of one contact in
    `every` (by id: a deterministic sample that `contacts_frame(..., every=every)` matches) or of
    one contact."""
    query = _orders_query(true()).where(_visible(user, Contact))
    if contact_id is not None:
        query = query.where(Order.contact_id == contact_id)
    if every > 1:
        query = query.where(Order.contact_id % every == 0)
    return _orders(session, query)


def _orders_query(readable: ColumnElement[bool]) -> Select[Any]:
    amount = func.coalesce(func.sum(OrderLine.quantity * OrderLine.unit_price), 0.0)
    return (
        select(Order.id.label("order_id"), Order.contact_id, _raw(Order.ordered_at, "ordered_at"),
               amount.label("amount"))
        .select_from(Order)
        .join(Contact, and_(Contact.id == Order.contact_id, Contact.deleted_at.is_(None)))
        .outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .where(readable, Order.deleted_at.is_(None), Order.status.not_in(NOT_SOLD_ORDER_STATUSES))
        .group_by(Order.id, Order.contact_id, Order.ordered_at)
    )


def _orders(session: Session, query: Select[Any]) -> pd.DataFrame:
    frame = read_frame(session, query, ("ordered_at",))
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def order_lines_frame(session: Session, user: User | None, contact_id: int | None = None) -> pd.DataFrame:
    """order_id, contact_id, product (name), category of each line of the visible, not cancelled orders
    (of one contact's orders when `contact_id` is given)."""
    query = (
        select(OrderLine.order_id, Order.contact_id, Product.name.label("product"), Product.category)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(_visible(user, Order), Order.status.not_in(NOT_SOLD_ORDER_STATUSES))
    )
    if contact_id is not None:
        query = query.where(Order.contact_id == contact_id)
    return read_frame(session, query)


def contacts_frame(session: Session, user: User | None, contact_id: int | None = None,
                   every: int = 1) -> pd.DataFrame:
    """contact_id, birth_date, gender, household_income, created_at of the visible contacts
    (of one contact when `contact_id` is given; of one in `every`, by id, when `every` > 1)."""
    query = select(Contact.id.label("contact_id"), _raw(Contact.birth_date, "birth_date"), Contact.gender,
                   Contact.household_income, _raw(Contact.created_at, "created_at")).where(
        _visible(user, Contact))
    if contact_id is not None:
        query = query.where(Contact.id == contact_id)
    if every > 1:
        highest = session.scalar(select(func.max(Contact.id))) or 0
        query = query.where(Contact.id.in_(multiples(every, highest)))
    frame = read_frame(session, query, ("birth_date", "created_at"))
    frame["household_income"] = frame["household_income"].astype("float64")
    return frame


def multiples(every: int, highest: int) -> Select[Any]:
    """SELECT n for n = every, 2 × every, ... up to `highest`: the ids of the 1-in-`every` sample
    (id % every = 0), looked up through the primary key rather than testing every row."""
    step = int(every)
    start = select(literal(step).label("n")).cte("sample_ids", recursive=True)
    ids = start.union_all(select((start.c.n + step).label("n")).where(start.c.n + step <= highest))
    return select(ids.c.n)


def recipients_frame(session: Session, user: User | None, campaign_id: int | None = None) -> pd.DataFrame:
    """campaign (id), status, sent_at, responded_at, contact_id of the visible campaigns' recipients
    (of one campaign when `campaign_id` is given). The status is the person's response when one
    was recorded (it implies the delivery steps before it), else the delivery status."""
    status = func.coalesce(CampaignRecipient.response, CampaignRecipient.status).label("status")
    query = (
        select(CampaignRecipient.campaign_id.label("campaign"), status,
               _raw(CampaignRecipient.sent_at, "sent_at"),
               _raw(CampaignRecipient.responded_at, "responded_at"), CampaignRecipient.contact_id)
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .where(_visible(user, Campaign), CampaignRecipient.deleted_at.is_(None))
    )
    if campaign_id is not None:
        query = query.where(CampaignRecipient.campaign_id == campaign_id)
    return read_frame(session, query, ("sent_at", "responded_at"))


def campaign_orders_frame(session: Session, user: User | None, campaign_id: int) -> pd.DataFrame:
    """Like `orders_frame`, limited to the orders of one campaign's recipients."""
    recipients = select(CampaignRecipient.contact_id).where(CampaignRecipient.campaign_id == campaign_id)
    return _orders(session, _orders_query(_visible(user, Order)).where(Order.contact_id.in_(recipients)))


def campaigns_frame(session: Session, user: User | None) -> pd.DataFrame:
    """campaign (id), name, channel, status, sent_at, budget of the visible campaigns."""
    query = select(Campaign.id.label("campaign"), Campaign.name, Campaign.channel, Campaign.status,
                   _raw(Campaign.sent_at, "sent_at"), Campaign.budget).where(_visible(user, Campaign))
    return read_frame(session, query.order_by(Campaign.id), ("sent_at",))


# ---- labels for the rows a page shows -------------------------------------------------------------------


def contact_labels(session: Session, ids: Sequence[int]) -> pd.DataFrame:
    """contact_id, name, email, tags of the given contacts (a page's worth: call with a few hundred)."""
    wanted = [int(i) for i in ids]
    if not wanted:
        return pd.DataFrame(columns=["contact_id", "name", "email", "tags"])
    name = (Contact.first_name + " " + Contact.last_name).label("name")
    query = select(Contact.id.label("contact_id"), name, Contact.email, Contact.tags).where(
        Contact.id.in_(wanted))
    rows = session.execute(query).all()  # through SQLAlchemy: tags is JSON, parsed per row
    frame = pd.DataFrame([tuple(row) for row in rows], columns=["contact_id", "name", "email", "tags"])
    frame["name"] = frame["name"].str.strip()
    return frame


def visible_contact_ids(session: Session, user: User) -> pd.Index:
    query = select(Contact.id).where(_visible(user, Contact))
    return pd.Index(session.scalars(query).all(), name="contact_id")


def stages_frame(session: Session) -> pd.DataFrame:
    """pipeline (name), stage, stage_position, is_lost of every live stage (reference data)."""
    query = (select(Pipeline.name.label("pipeline"), Stage.name.label("stage"),
                    Stage.position.label("stage_position"), Stage.is_lost)
             .join(Pipeline, Pipeline.id == Stage.pipeline_id)
             .where(Stage.deleted_at.is_(None), Pipeline.deleted_at.is_(None)))
    return read_frame(session, query.order_by(Pipeline.position, Pipeline.id, Stage.position))


def pipeline_choices(session: Session) -> list[tuple[int, str, bool]]:
    """(id, name, is_default) of every pipeline, default first (reference data: everyone reads it)."""
    query = select(Pipeline.id, Pipeline.name, Pipeline.is_default).where(Pipeline.deleted_at.is_(None))
    rows = session.execute(query.order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id))
    return [(row.id, row.name, bool(row.is_default)) for row in rows]


def owner_choices(session: Session, user: User) -> list[tuple[int, str]]:
    """(id, display name) of the people whose records `user` may see: all, the team, or themself."""
    query = select(User.id, User.display_name).where(User.deleted_at.is_(None))
    if user.role == "manager":
        query = query.where(User.id.in_(team_member_ids(user)))
    elif user.role != "admin":
        query = query.where(User.id == user.id)
    return [(row.id, row.display_name) for row in session.execute(query.order_by(User.display_name))]
