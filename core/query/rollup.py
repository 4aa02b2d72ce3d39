"""The order rollup: orders, revenue and units per day, owner and status (`order_rollup`), and the
same per product category of the lines (`order_category_rollup`), kept in the database and folded
on read by `core.analytics.summaries`. `core.query.aggregates` answers a query from it when every
part of the query can be answered exactly; `refresh` runs before it is read.

What a row holds is what the fact path computes over the same rows (`core.query.catalog`):
- a live order (not soft-deleted) counts in its day (the calendar date of ordered_at), owner and
  status, whatever its contact; cancelled orders and quotes are kept too (their own status rows),
  so a metric's status conditions are evaluated on the rollup as on the orders;
- order_rollup: orders = the orders, revenue = sum of quantity × unit price of their lines (NULL
  when none has a line), units = sum of quantities: the LEFT join of orders to lines;
- order_category_rollup: per category of the line's product, looked up among live products (a line
  of a deleted product, or of one without a category, is in the NULL category): orders = orders
  with a line in it (an order with lines in two categories counts once in each), revenue and units
  of those lines: the inner join of orders to lines the fact path makes when grouping by category.

Folding recomputes whole days: the days of new orders and of orders given new lines, and, through
their audit entries, of edited, cancelled, deleted, restored or re-owned orders (an order moved to
another date refolds its old day too, read from the entry's `before`). A product recategorised,
deleted or restored has its categories' rows recomputed (old and new ones, and NULL).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    delete,
    distinct,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlmodel import Session

from core.analytics import summaries
from core.audit_batches import NOT_BULK_CREATION_SQL
from core.config import start_of_day
from core.models import AuditLog, Order, OrderCategoryRollup, OrderLine, OrderRollup, Product
from core.query.sqlfuncs import calendar_day

NAME = "order_rollup"
TOTALS = OrderRollup.__table__  # type: ignore[attr-defined]
BY_CATEGORY = OrderCategoryRollup.__table__  # type: ignore[attr-defined]
REBUILD_ABOVE = 400  # days to refold beyond which building everything again is cheaper
KEYS = ("day", "owner_id", "status")
MEASURES = ("orders", "revenue", "units")


# ---- what a row holds ------------------------------------------------------------------------------------


def _measures() -> list[ColumnElement[Any]]:
    return [func.count(distinct(Order.id)), func.sum(OrderLine.quantity * OrderLine.unit_price),
            func.sum(OrderLine.quantity)]


def _totals(*where: ColumnElement[bool]) -> Select[Any]:
    """order_rollup rows of the live orders matching `where`: orders LEFT JOIN their lines."""
    day = calendar_day(Order.ordered_at)
    lines = Order.__table__.outerjoin(OrderLine.__table__, OrderLine.order_id == Order.id)
    return (select(day, Order.owner_id, Order.status, *_measures()).select_from(lines)
            .where(Order.deleted_at.is_(None), Order.ordered_at.is_not(None), *where)
            .group_by(day, Order.owner_id, Order.status))


def _by_category(*where: ColumnElement[bool]) -> Select[Any]:
    """order_category_rollup rows: lines of live orders matching `where`, by live product category."""
    day = calendar_day(Order.ordered_at)
    live_product = and_(Product.id == OrderLine.product_id, Product.deleted_at.is_(None))
    lines = (Order.__table__.join(OrderLine.__table__, OrderLine.order_id == Order.id)
             .outerjoin(Product.__table__, live_product))
    return (select(day, Order.owner_id, Order.status, Product.category, *_measures()).select_from(lines)
            .where(Order.deleted_at.is_(None), Order.ordered_at.is_not(None), *where)
            .group_by(day, Order.owner_id, Order.status, Product.category))


def _fill(connection: Connection, *where: ColumnElement[bool]) -> None:
    connection.execute(insert(TOTALS).from_select([*KEYS, *MEASURES], _totals(*where)))
    connection.execute(insert(BY_CATEGORY).from_select([*KEYS, "category", *MEASURES], _by_category(*where)))


# ---- build and fold --------------------------------------------------------------------------------------


def build(connection: Connection) -> None:
    connection.execute(delete(TOTALS))
    connection.execute(delete(BY_CATEGORY))
    _fill(connection)


def fold(connection: Connection, new: dict[str, summaries.NewRows]) -> None:
    """Recompute the days and categories the new orders, lines and audit entries touch."""
    entries = _audit_entries(connection, new["audit_log"])
    days = _changed_days(connection, new, entries)
    if len(days) > REBUILD_ABOVE:
        raise summaries.RebuildNeeded
    for start, end in day_ranges(days):
        connection.execute(delete(TOTALS).where(TOTALS.c.day >= start, TOTALS.c.day < end))
        connection.execute(delete(BY_CATEGORY).where(BY_CATEGORY.c.day >= start, BY_CATEGORY.c.day < end))
        _fill(connection, Order.ordered_at >= start_of_day(start), Order.ordered_at < start_of_day(end))
    categories = _changed_categories(connection, entries)
    if categories is not None:
        _refill_categories(connection, categories)


SUMMARY = summaries.register(summaries.Summary(NAME, ("orders", "order_lines", "audit_log"), build, fold))


def refresh(session: Session) -> bool:
    """Bring the rollup up to date (build it on first use); True when anything was folded."""
    return summaries.refresh(session, SUMMARY)


# ---- what changed ----------------------------------------------------------------------------------------


def _audit_entries(connection: Connection, rows: summaries.NewRows) -> list[Any]:
    """The new audit entries of orders and products: entity, entity_id, action, before, after."""
    if rows.empty:
        return []
    query = (select(AuditLog.entity, AuditLog.entity_id, AuditLog.action, AuditLog.before, AuditLog.after)
             .where(rows.clause(AuditLog.id), AuditLog.entity.in_(("orders", "products")),
                    text(NOT_BULK_CREATION_SQL)))  # products an import created: sold nothing yet
    entries = connection.execute(query).all()
    if any(entry.entity_id is None for entry in entries):
        raise summaries.RebuildNeeded  # a bulk entry names no record
    return entries


def _changed_days(connection: Connection, new: dict[str, summaries.NewRows], entries: list[Any]) -> set[date]:
    """The days of new orders, of orders given new lines and of audited orders, and the days
    audited orders were moved from."""
    day = calendar_day(Order.ordered_at)
    days = _days(connection, select(day).where(new["orders"].clause(Order.id)).distinct())
    days |= _days(connection, select(day).join(OrderLine, OrderLine.order_id == Order.id)
                  .where(new["order_lines"].clause(OrderLine.id)).distinct())
    audited = {int(entry.entity_id) for entry in entries if entry.entity == "orders"}
    for chunk in summaries.chunks(audited):
        days |= _days(connection, select(day).where(Order.id.in_(chunk)).distinct())
    for entry in entries:
        if entry.entity == "orders":
            days |= {_as_date(side["ordered_at"]) for side in (entry.before, entry.after)
                     if isinstance(side, dict) and side.get("ordered_at")}
    return days


def _changed_categories(connection: Connection, entries: list[Any]) -> set[str] | None:
    """The categories (names; NULL always with them) whose rows a product change moves, or None.

    A category edit moves lines between the old and the new category; a delete or restore moves
    them between the product's category and NULL. Other product edits (names, prices) move none.
    """
    touched: set[int] = set()
    names: set[str] = set()
    for entry in entries:
        if entry.entity != "products" or entry.action == "create":
            continue
        sides = [side for side in (entry.before, entry.after) if isinstance(side, dict)]
        if entry.action == "update" and not any({"category", "deleted_at"} & set(side) for side in sides):
            continue
        touched.add(int(entry.entity_id))
        names |= {side["category"] for side in sides if side.get("category")}
    if not touched:
        return None
    for chunk in summaries.chunks(touched):
        names |= {name for name in connection.execute(
            select(Product.category).where(Product.id.in_(chunk))).scalars() if name is not None}
    return names


def _refill_categories(connection: Connection, names: set[str]) -> None:
    """Recompute the category rows of `names` and of NULL, every day."""
    stored = BY_CATEGORY.c.category
    connection.execute(delete(BY_CATEGORY).where(or_(stored.in_(names), stored.is_(None))))
    where = or_(Product.category.in_(names), Product.category.is_(None))
    connection.execute(insert(BY_CATEGORY).from_select([*KEYS, "category", *MEASURES], _by_category(where)))


def _days(connection: Connection, query: Select[Any]) -> set[date]:
    return {_as_date(value) for value in connection.execute(query).scalars() if value is not None}


def _as_date(value: Any) -> date:
    """A day from a DATE, a datetime or their ISO text (SQLite and the audit log keep text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def day_ranges(days: Iterable[date]) -> Iterator[tuple[date, date]]:
    """Consecutive days as [start, end) ranges: a year of imported orders is one range, not 365."""
    start = end = None
    for day in sorted(set(days)):
        if end is not None and day == end:
            end = day + timedelta(days=1)
            continue
        if start is not None and end is not None:
            yield start, end
        start, end = day, day + timedelta(days=1)
    if start is not None and end is not None:
        yield start, end
