"""Basket counts kept in the database: orders per owner holding each product, category and pair.

Counting pairs over every order line (5M at a million contacts) takes tens of seconds; the counts
themselves are small (owners × products²). So `basket_counts` keeps them per owner of the order,
and a reader sums the owners it may see (the same rule as `visible_clause` on orders: admin all,
manager their team and unowned, staff their own), which gives exactly what counting the reader's
visible order lines gives.

The counts are folded on read (`summaries.refresh`): orders changed since the last fold (new
orders and lines, audit entries of edited, deleted or restored orders and of renamed or
recategorised products) have their old contribution, kept in `basket_orders`, taken back and their
new one added. An order counts while it is not deleted, not a quote or cancelled, and has at least
one line; its contact's state does not matter (as in `loaders.order_lines_frame`). An UPDATE typed
by hand, which writes no audit entry, is picked up by `crm summaries rebuild`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import combinations, pairwise
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Connection, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from core.analytics import summaries
from core.analytics.basket import co_occurrence
from core.analytics.loaders import read_frame
from core.models import BasketCount, BasketOrder, Order, OrderLine, Product, User
from core.models.base import NOT_SOLD_ORDER_STATUSES
from core.services.permissions import owner_visible_clause

NAME = "baskets"
UNCATEGORISED = "Uncategorised"  # as the dashboard names a product without a category
KINDS = ("product", "category")
CHUNK = 500  # ids per IN (...) list
REBUILD_ABOVE = 200_000  # changed orders beyond which counting everything again is cheaper
COUNTS_TABLE = BasketCount.__table__  # type: ignore[attr-defined]
ORDERS_TABLE = BasketOrder.__table__  # type: ignore[attr-defined]

Key = tuple[str, int, str, str]  # kind, owner_id, item_a, item_b


def build(connection: Connection) -> None:
    """Count every order that counts, per owner, by sparse pair counting (see `basket`)."""
    connection.execute(delete(BasketCount))
    connection.execute(delete(BasketOrder))
    lines = _all_counted_lines(connection)
    if lines.empty:
        return
    rows: list[tuple[Any, ...]] = []
    for owner, own_lines in lines.groupby("owner_id"):
        rows += _counts_of(int(owner), own_lines)
    _bulk_insert(connection, COUNTS_TABLE, rows)
    _insert_orders(connection, lines)


def fold(connection: Connection, new: dict[str, summaries.NewRows]) -> None:
    """Take back and add again the orders touched by the new orders, lines and audit entries."""
    summaries.refold(_changed_orders(connection, new), lambda chunk: _refold(connection, chunk),
                     rebuild_above=REBUILD_ABOVE)


SUMMARY = summaries.register(summaries.Summary(NAME, ("orders", "order_lines", "audit_log"), build, fold))


def refresh(session: Session) -> bool:
    """Bring the basket counts up to date (build them on first use); True when anything was folded."""
    return summaries.refresh(session, SUMMARY)


# ---- what changed ------------------------------------------------------------------------------------


def _changed_orders(connection: Connection, new: dict[str, summaries.NewRows]) -> set[int]:
    """New orders, orders given new lines, orders edited, deleted or restored (their audit entries),
    and the orders holding a product that was renamed or recategorised."""
    def ids(sql: str) -> set[int]:
        return summaries.ids(connection, sql)

    changed = ids(f"SELECT id FROM orders WHERE {new['orders'].where('id')}")
    changed |= ids(f"SELECT order_id FROM order_lines WHERE {new['order_lines'].where('id')}")
    audited = summaries.audited_ids(connection, new["audit_log"], ("orders", "products"))
    changed |= audited["orders"]
    changed |= summaries.ids_matching(connection, "SELECT order_id FROM order_lines", "product_id",
                                      audited["products"])
    return changed


# ---- folding orders in ---------------------------------------------------------------------------------


def _counted_lines(order_ids: list[int] | None = None) -> Any:
    """order_id, owner_id, product, category of the lines of the orders that count."""
    query = (
        select(Order.id.label("order_id"), func.coalesce(Order.owner_id, 0).label("owner_id"),
               Product.name.label("product"), Product.category)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(Order.deleted_at.is_(None), Order.status.not_in(NOT_SOLD_ORDER_STATUSES))
    )
    return query if order_ids is None else query.where(Order.id.in_(order_ids))


def _contribution(owner: int, products: Iterable[str], categories: Iterable[str]) -> Iterator[Key]:
    """The count keys one order adds 1 to."""
    yield ("orders", owner, "", "")
    for kind, items in (("product", products), ("category", categories)):
        ordered = sorted(set(items))
        for item in ordered:
            yield (kind, owner, item, "")
        for a, b in combinations(ordered, 2):
            yield (kind, owner, a, b)


def _refold(connection: Connection, order_ids: list[int]) -> None:
    """Take back these orders' counted contribution and add their current one."""
    delta: Counter[Key] = Counter()
    counted = ORDERS_TABLE.c
    old = connection.execute(select(counted.owner_id, counted.products, counted.categories)
                             .where(counted.order_id.in_(order_ids)))
    for owner, products, categories in old:
        delta.subtract(_contribution(owner, json.loads(products), json.loads(categories)))
    new = _per_order(connection.execute(_counted_lines(order_ids)).all())
    for owner, products, categories in new.values():
        delta.update(_contribution(owner, products, categories))
    connection.execute(delete(BasketOrder).where(BasketOrder.order_id.in_(order_ids)))
    if new:
        rows = [_order_row(order_id, *facts) for order_id, facts in new.items()]
        connection.execute(insert(ORDERS_TABLE), rows)
    _apply(connection, {key: change for key, change in delta.items() if change})


def _per_order(rows: Iterable[Any]) -> dict[int, tuple[int, list[str], list[str]]]:
    orders: dict[int, tuple[int, list[str], list[str]]] = {}
    for order_id, owner, product, category in rows:
        facts = orders.setdefault(order_id, (owner, [], []))
        facts[1].append(product)
        facts[2].append(category if category is not None else UNCATEGORISED)
    return {order_id: (owner, sorted(set(products)), sorted(set(categories)))
            for order_id, (owner, products, categories) in orders.items()}


def _order_row(order_id: int, owner: int, products: list[str], categories: list[str]) -> dict[str, Any]:
    return {"order_id": order_id, "owner_id": owner, "products": json.dumps(products),
            "categories": json.dumps(categories)}


def _apply(connection: Connection, delta: dict[Key, int]) -> None:
    """Add each change to its count (creating it), then drop the counts that fell to zero."""
    if not delta:
        return
    rows = [{"kind": kind, "owner_id": owner, "item_a": a, "item_b": b, "orders": change}
            for (kind, owner, a, b), change in delta.items()]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(COUNTS_TABLE)
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "owner_id", "item_a", "item_b"],
        set_={"orders": COUNTS_TABLE.c.orders + statement.excluded.orders})
    connection.execute(statement, rows)
    connection.execute(delete(BasketCount).where(BasketCount.orders == 0))


# ---- building from scratch -----------------------------------------------------------------------------


def _all_counted_lines(connection: Connection) -> pd.DataFrame:
    """order_id, owner_id, product, category of every counted line: only numbers are read per line
    (names and categories are mapped from the small products table), as that is most of the cost."""
    query = (select(Order.id.label("order_id"), func.coalesce(Order.owner_id, 0).label("owner_id"),
                    OrderLine.product_id)
             .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
             .where(Order.deleted_at.is_(None), Order.status.not_in(NOT_SOLD_ORDER_STATUSES)))
    lines = read_frame(connection, query)
    products = read_frame(connection, select(Product.id, Product.name, Product.category)).set_index("id")
    lines["product"] = lines["product_id"].map(products["name"])
    lines["category"] = lines["product_id"].map(products["category"].fillna(UNCATEGORISED))
    return lines.dropna(subset=["product"]).drop(columns="product_id")


def _bulk_insert(connection: Connection, table: Any, rows: list[tuple[Any, ...]]) -> None:
    """Insert many tuples (in the table's column order) through the driver: SQLAlchemy's per-row
    parameter handling would cost more than the insert itself."""
    if not rows:
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(column.name for column in table.columns)
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([marker] * len(table.columns))})"
    cursor = connection.connection.cursor()
    try:
        for chunk in _chunks(rows, 10_000):
            cursor.executemany(statement, chunk)
    finally:
        cursor.close()


def _counts_of(owner: int, lines: pd.DataFrame) -> list[tuple[Any, ...]]:
    """basket_counts rows (kind, owner_id, item_a, item_b, orders) of one owner's lines."""
    rows: list[tuple[Any, ...]] = [("orders", owner, "", "", int(lines["order_id"].nunique()))]
    for kind in KINDS:
        co, counts, catalogue, _ = co_occurrence(lines.assign(product=lines[kind]))
        rows += [(kind, owner, str(item), "", int(n)) for item, n in zip(catalogue, counts, strict=True)]
        upper = co.tocoo()
        keep = upper.row < upper.col
        rows += [(kind, owner, str(catalogue[a]), str(catalogue[b]), int(n))
                 for a, b, n in zip(upper.row[keep], upper.col[keep], upper.data[keep], strict=True)]
    return rows


def _insert_orders(connection: Connection, lines: pd.DataFrame) -> None:
    """One basket_orders row per counted order: its owner and distinct products and categories."""
    products, categories = _json_lists(lines, "product"), _json_lists(lines, "category")
    owners = lines.drop_duplicates("order_id").set_index("order_id")["owner_id"].sort_index()
    rows = list(zip(owners.index.tolist(), owners.tolist(), products, categories, strict=True))
    _bulk_insert(connection, ORDERS_TABLE, rows)


def _json_lists(lines: pd.DataFrame, column: str) -> list[str]:
    """Per order (in order_id order), the JSON list of its distinct `column` values, sorted."""
    items = lines[["order_id", column]].drop_duplicates().sort_values(["order_id", column], kind="stable")
    encoded = items[column].map({value: json.dumps(value) for value in items[column].unique()}).tolist()
    order_ids = items["order_id"].to_numpy()
    starts = [0, *(np.flatnonzero(order_ids[1:] != order_ids[:-1]) + 1).tolist(), len(order_ids)]
    return ["[" + ", ".join(encoded[start:end]) + "]" for start, end in pairwise(starts)]


# ---- reading -----------------------------------------------------------------------------------------


def owners_visible_to(user: User | None) -> ColumnElement[bool]:
    """The owners whose orders `user` may see, by the rule every read follows (0 = unowned)."""
    return owner_visible_clause(user, func.nullif(BasketCount.owner_id, 0))


def counts_frame(session: Session, user: User | None) -> pd.DataFrame:
    """kind, item_a, item_b, orders summed over the owners `user` may see (folds changes first)."""
    refresh(session)
    query = (select(BasketCount.kind, BasketCount.item_a, BasketCount.item_b,
                    func.sum(BasketCount.orders).label("orders"))
             .where(owners_visible_to(user))
             .group_by(BasketCount.kind, BasketCount.item_a, BasketCount.item_b))
    frame = read_frame(session, query)
    frame["orders"] = frame["orders"].astype("int64")
    return frame[frame["orders"] > 0].reset_index(drop=True)


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
