"""The purchases summary: what RFM, loyalty and sales potential read instead of every order.

Three tables (core/models/summaries.py), refreshed on read by `core.analytics.summaries`:
- order_facts: one row per order that counts as sold (not a quote, not cancelled, not deleted, of a
  live contact) with its amount (sum of its lines), day and month, and the owners of the order and
  of the contact, so readers are scoped on the summary itself;
- contact_purchases: per contact and order owner ("slice"): orders, revenue, first and last order
  day, first month and the median gap between order days;
- contact_months: the months a contact bought in (per order owner), with the first order day in
  each, for the cohort matrix;
- with them, `cohort_cells` keeps shared_customers (contacts of several slices) and the cohort
  matrix's counts per order owner (cohort_cells).

A change is folded in per contact: a new order or line, or an audit entry on an order or a contact
(edit, status change, soft delete, restore, owner change) marks its contacts (for an order, the one
it has now and the one it was counted for), whose rows are deleted and recomputed from the source;
their cohort counts are taken out before and put back after.

Readers return the same figures as the pandas code over raw orders (`loaders.orders_frame`,
`purchases_frame`): a contact with one visible slice and no order after `today` is read as stored;
the few others (orders after a pinned CRM_TODAY, orders of several owners in one reader's view) are
recomputed from their order_facts rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, literal_column, text
from sqlmodel import Session

from core.analytics import cohort_cells, summaries
from core.analytics.columns import fetch_columns
from core.models import User
from core.models.base import NOT_SOLD_ORDER_STATUSES
from core.services.permissions import owner_visible_clause

EPOCH = date(1970, 1, 1)
REBUILD_ABOVE = 50_000  # contacts to refold beyond which a full build is cheaper
SOLD = "o.status NOT IN ({})".format(", ".join(f"'{status}'" for status in NOT_SOLD_ORDER_STATUSES))
TABLES = ("order_facts", "contact_purchases", "contact_months")


def day_number(day: date) -> int:
    """Days since 1970-01-01, as order_facts.day stores them."""
    return (day - EPOCH).days


def _day_and_month(dialect: str) -> tuple[str, str]:
    if dialect == "postgresql":
        return ("(CAST(o.ordered_at AS DATE) - DATE '1970-01-01')",
                "(CAST(EXTRACT(YEAR FROM o.ordered_at) AS INTEGER) * 12"
                " + CAST(EXTRACT(MONTH FROM o.ordered_at) AS INTEGER) - 1)")
    return ("CAST(julianday(date(o.ordered_at)) - 2440587.5 AS INTEGER)",
            "(CAST(strftime('%Y', o.ordered_at) AS INTEGER) * 12"
            " + CAST(strftime('%m', o.ordered_at) AS INTEGER) - 1)")


# ---- build and fold ------------------------------------------------------------------------------------


def _fill(connection: Connection, contacts: str = "1 = 1") -> None:
    """Insert the summary rows of the contacts matching `contacts` (a condition on contact_id)."""
    day, month = _day_and_month(connection.dialect.name)
    on_orders = contacts.replace("contact_id", "o.contact_id")
    connection.execute(text(
        "INSERT INTO order_facts (order_id, contact_id, order_owner_id, contact_owner_id, ordered_at, day, "
        "month, amount) "
        f"SELECT o.id, o.contact_id, o.owner_id, c.owner_id, o.ordered_at, {day}, {month}, "
        "COALESCE((SELECT SUM(l.quantity * l.unit_price) FROM order_lines l WHERE l.order_id = o.id), 0) "
        "FROM orders o JOIN contacts c ON c.id = o.contact_id AND c.deleted_at IS NULL "
        f"WHERE o.deleted_at IS NULL AND {SOLD} AND o.ordered_at IS NOT NULL AND {on_orders}"))
    connection.execute(text(
        "INSERT INTO contact_purchases (contact_id, owner_key, order_owner_id, contact_owner_id, orders, "
        "revenue, first_day, last_day, first_month, own_gap) "
        "WITH days AS (SELECT DISTINCT contact_id, COALESCE(order_owner_id, 0) AS owner_key, day "
        f"  FROM order_facts WHERE {contacts}), "
        "gaps AS (SELECT contact_id, owner_key, day - LAG(day) OVER (PARTITION BY contact_id, owner_key "
        "  ORDER BY day) AS gap FROM days), "
        "ranked AS (SELECT contact_id, owner_key, gap, ROW_NUMBER() OVER (PARTITION BY contact_id, owner_key "
        "  ORDER BY gap) AS rn, COUNT(*) OVER (PARTITION BY contact_id, owner_key) AS n "
        "  FROM gaps WHERE gap IS NOT NULL), "
        "medians AS (SELECT contact_id, owner_key, AVG(CAST(gap AS FLOAT)) AS own_gap FROM ranked "
        "  WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 GROUP BY contact_id, owner_key), "
        "slices AS (SELECT contact_id, COALESCE(order_owner_id, 0) AS owner_key, MAX(order_owner_id) AS "
        "  order_owner_id, MAX(contact_owner_id) AS contact_owner_id, COUNT(*) AS orders, SUM(amount) AS "
        "  revenue, MIN(day) AS first_day, MAX(day) AS last_day, MIN(month) AS first_month "
        f"  FROM order_facts WHERE {contacts} GROUP BY contact_id, COALESCE(order_owner_id, 0)) "
        "SELECT s.contact_id, s.owner_key, s.order_owner_id, s.contact_owner_id, s.orders, s.revenue, "
        "s.first_day, s.last_day, s.first_month, m.own_gap FROM slices s "
        "LEFT JOIN medians m ON m.contact_id = s.contact_id AND m.owner_key = s.owner_key"))
    connection.execute(text(
        "INSERT INTO contact_months (contact_id, owner_key, month, order_owner_id, first_day) "
        "SELECT contact_id, COALESCE(order_owner_id, 0), month, MAX(order_owner_id), MIN(day) "
        f"FROM order_facts WHERE {contacts} GROUP BY contact_id, COALESCE(order_owner_id, 0), month"))


def build(connection: Connection) -> None:
    for table in TABLES:
        connection.execute(text(f"DELETE FROM {table}"))
    _fill(connection)
    cohort_cells.build(connection)


def fold(connection: Connection, new: dict[str, summaries.NewRows]) -> None:
    """Recompute the contacts touched by the new orders, lines and audit entries."""
    def refold_contacts(chunk: list[int]) -> None:
        keys = summaries.in_list("contact_id", chunk)
        taken = cohort_cells.take_out(connection, chunk)
        for table in TABLES:
            connection.execute(text(f"DELETE FROM {table} WHERE {keys}"))
        _fill(connection, keys)
        cohort_cells.put_back(connection, chunk, taken)

    summaries.refold(_touched_contacts(connection, new), refold_contacts, rebuild_above=REBUILD_ABOVE)


def _touched_contacts(connection: Connection, new: dict[str, summaries.NewRows]) -> set[int]:
    def ids(sql: str) -> set[int]:
        return summaries.ids(connection, sql)

    contacts = ids(f"SELECT contact_id FROM orders WHERE {new['orders'].where('id')}")
    contacts |= ids("SELECT o.contact_id FROM order_lines l JOIN orders o ON o.id = l.order_id "
                    f"WHERE {new['order_lines'].where('l.id')}")
    audited = summaries.audited_ids(connection, new["audit_log"], ("orders", "contacts"))
    contacts |= audited["contacts"]
    contacts |= summaries.ids_matching(connection, "SELECT contact_id FROM orders", "id", audited["orders"])
    # the contact an edited order belonged to before, if it moved
    contacts |= summaries.ids_matching(connection, "SELECT contact_id FROM order_facts", "order_id",
                                       audited["orders"])
    return contacts


SOURCES = ("orders", "order_lines", "audit_log")
SUMMARY = summaries.register(summaries.Summary("purchases", SOURCES, build, fold))


def refresh(session: Session) -> None:
    summaries.refresh(session, SUMMARY)


# ---- readers -----------------------------------------------------------------------------------------

CUSTOMER_TYPES = {"contact_id": "int64", "orders": "int64", "revenue": "float64", "first_day": "int64",
                  "last_day": "int64", "own_gap": "float64"}
CUSTOMER_COLUMNS = list(CUSTOMER_TYPES)
RFM_TYPES = {"contact_id": "int64", "last_day": "int64", "orders": "int64", "revenue": "float64"}


def _scope(session: Session, user: User | None, column: str) -> str:
    """The reader's scope as SQL text on a summary's owner column (`visible_clause`'s rule)."""
    if user is None:
        return "1 = 1"
    clause = owner_visible_clause(user, literal_column(column))
    compiled = clause.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    return f"({compiled})"


def _customers_cte(session: Session, user: User | None, by: str) -> str:
    """WITH-clause parts ending in `customers`: per customer with an order on or before :as_of,
    orders, revenue, first_day, last_day, own_gap (median days between distinct order days).

    by="order": the orders `user` may see by the order's owner (RFM, loyalty); by="contact": every
    order of the contacts `user` may see (potential). A customer with one visible slice and nothing
    after :as_of is read as stored ("stored"); the others are recomputed from order_facts ("redone").
    """
    column = "order_owner_id" if by == "order" else "contact_owner_id"
    on_s, on_t, on_f = (_scope(session, user, f"{alias}.{column}") for alias in "stf")
    # Only the few contacts in shared_customers can have another slice: the others skip the
    # probe, and the redone ones are found through that list and the index on last_day.
    several = (f"EXISTS (SELECT 1 FROM contact_purchases t WHERE t.contact_id = s.contact_id "
               f"AND t.owner_key <> s.owner_key AND {on_t})")
    shared = "SELECT contact_id FROM shared_customers"
    return (
        "stored AS (SELECT s.contact_id, s.orders, s.revenue, s.first_day, s.last_day, s.own_gap "
        f"  FROM contact_purchases s WHERE {on_s} AND +s.last_day <= :as_of "
        f"  AND (s.contact_id NOT IN ({shared}) OR NOT {several})), "
        "redo AS (SELECT f.contact_id, f.day, f.amount FROM order_facts f "
        f"  WHERE {on_f} AND f.day <= :as_of AND f.contact_id IN "
        f"  (SELECT s.contact_id FROM contact_purchases s WHERE {on_s} AND s.last_day > :as_of "
        f"  UNION SELECT s.contact_id FROM contact_purchases s WHERE {on_s} AND s.contact_id IN ({shared}) "
        f"  AND {several})), "
        "redo_gaps AS (SELECT contact_id, day - LAG(day) OVER (PARTITION BY contact_id ORDER BY day) AS gap "
        "  FROM (SELECT DISTINCT contact_id, day FROM redo) redo_days), "
        "redo_ranked AS (SELECT contact_id, gap, "
        "  ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY gap) AS rn, "
        "  COUNT(*) OVER (PARTITION BY contact_id) AS n FROM redo_gaps WHERE gap IS NOT NULL), "
        "redo_medians AS (SELECT contact_id, AVG(CAST(gap AS DOUBLE PRECISION)) AS own_gap FROM redo_ranked "
        "  WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 GROUP BY contact_id), "
        "redone AS (SELECT r.contact_id, COUNT(*) AS orders, SUM(r.amount) AS revenue, "
        "  MIN(r.day) AS first_day, "
        "  MAX(r.day) AS last_day, MAX(m.own_gap) AS own_gap FROM redo r "
        "  LEFT JOIN redo_medians m ON m.contact_id = r.contact_id GROUP BY r.contact_id), "
        "customers AS (SELECT * FROM stored UNION ALL SELECT * FROM redone)")


def customers(session: Session, user: User | None, as_of: date, *, by: str = "order") -> pd.DataFrame:
    """Per customer (see `_customers_cte`), in contact_id order: a frame of CUSTOMER_COLUMNS."""
    refresh(session)
    frame = _read(session, f"WITH {_customers_cte(session, user, by)} SELECT * FROM customers "
                           "ORDER BY contact_id", {"as_of": day_number(as_of)})
    return frame.reindex(columns=CUSTOMER_COLUMNS).astype(CUSTOMER_TYPES)


def rfm_values(session: Session, user: User, as_of: date) -> dict[str, np.ndarray]:
    """contact_id, last_day, orders and revenue of each customer (see `_customers_cte`, by order
    owner), as arrays in no particular order: the four numbers RFM ranks, without a sort in SQL,
    read as columns (`columns.fetch_columns`: packed by the server on PostgreSQL)."""
    refresh(session)
    return fetch_columns(session.connection(), f"WITH {_customers_cte(session, user, 'order')} "
                                               f"SELECT {', '.join(RFM_TYPES)} FROM customers",
                         {"as_of": day_number(as_of)}, RFM_TYPES)


def churn(session: Session, user: User, as_of: date, shown: int, *, gap_multiple: float = 2.0,
          min_days: int = 30) -> tuple[int, float, pd.DataFrame]:
    """(customers at risk, their revenue at stake, the `shown` riskiest) by `loyalty.churn_risk`'s
    rule, counted in SQL; the rows come back with loyalty.CHURN_COLUMNS but "reason" and own_gap.
    Three evaluations of the customers (the gaps, the totals, the riskiest) cost less than reading
    six numbers a customer into numpy row by row (measured: SQLite's tuples, psycopg's COPY), with
    PostgreSQL's JIT off (core.db); `fetch_columns`' packed read was not tried for it."""
    refresh(session)
    return _churn(session, user, as_of, shown, gap_multiple, min_days)


def _churn(session: Session, user: User, as_of: date, shown: int, gap_multiple: float,
           min_days: int) -> tuple[int, float, pd.DataFrame]:
    cte = _customers_cte(session, user, "order")
    params: dict[str, Any] = {"as_of": day_number(as_of)}
    # The gaps themselves, not counted per value: fetching one number a customer costs less than
    # SQLite's sort for a GROUP BY.
    gaps = fetch_columns(session.connection(), f"WITH {cte} SELECT own_gap FROM customers "
                         "WHERE own_gap IS NOT NULL", params, {"own_gap": "float64"})["own_gap"]
    population = float(np.median(gaps)) if len(gaps) else None
    params.update(population=population, multiple=float(gap_multiple), least=float(min_days),
                  fallback=min_days / gap_multiple)
    threshold = ("CASE WHEN :multiple * COALESCE(usual, 0) > :least THEN :multiple * COALESCE(usual, 0) "
                 "ELSE :least END")
    years = "(last_day - first_day) / CAST(365 AS DOUBLE PRECISION)"
    risky = (
        f"WITH {cte}, judged AS (SELECT contact_id, orders, revenue, first_day, last_day, own_gap, "
        "  :as_of - last_day AS days_since_last, COALESCE(own_gap, CAST(:population AS DOUBLE PRECISION)) "
        "  AS usual FROM customers), "
        "risky AS (SELECT contact_id, orders, revenue, last_day, days_since_last, usual AS usual_gap_days, "
        "  own_gap, 1 - COALESCE(usual, :fallback) / days_since_last AS risk, "
        f"  revenue / CASE WHEN {years} > 1 THEN {years} ELSE 1 END AS revenue_at_stake "
        f"  FROM judged WHERE days_since_last > {threshold}) ")
    totals = session.connection().execute(text(f"{risky} SELECT COUNT(*), SUM(revenue_at_stake) FROM risky"),
                                          params).one()
    top = _read(session, f"{risky} SELECT * FROM risky ORDER BY risk DESC, revenue_at_stake DESC, contact_id "
                         f"LIMIT {int(shown)}", params)
    top["risk"] = top["risk"].astype("float64").clip(0, 1)
    top["last_order"] = days_to_timestamps(top["last_day"]) if len(top) else pd.Series(dtype="datetime64[ns]")
    top = top.astype({"usual_gap_days": "float64", "own_gap": "float64", "revenue": "float64",
                      "revenue_at_stake": "float64"})
    return int(totals[0]), float(totals[1] or 0.0), top


def order_counts(session: Session, user: User) -> tuple[int, int]:
    """(customers, customers with two or more orders) among the orders `user` sees, any date."""
    refresh(session)
    scope = _scope(session, user, "order_owner_id")
    # A contact outside shared_customers has one slice: one row is one customer, no GROUP BY.
    shared = "SELECT contact_id FROM shared_customers"
    row = session.connection().execute(text(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN orders >= 2 THEN 1 ELSE 0 END), 0) FROM "
        f"(SELECT orders FROM contact_purchases WHERE {scope} AND contact_id NOT IN ({shared}) "
        f"UNION ALL SELECT SUM(orders) FROM contact_purchases WHERE {scope} AND contact_id IN ({shared}) "
        "GROUP BY contact_id) per")).one()
    return int(row[0]), int(row[1])


def cohort_counts(session: Session, user: User, today: date, cohorts: int, max_offset: int) -> pd.DataFrame:
    """Customers active per (first month, months since) for the latest `cohorts` cohorts, orders on
    or before `today` only: rows = cohort month index, columns = offset 0..max_offset (0 = size).
    Summed from the owners' cohort_cells, the few shared or late customers recounted
    (`core.analytics.cohort_cells`)."""
    refresh(session)
    sql = cohort_cells.matrix_sql(lambda column: _scope(session, user, column))
    parts = _read(session, sql, {"today": day_number(today)})
    if parts.empty:
        return pd.DataFrame()
    active = parts.astype("int64").groupby(["m0", "months"])["n"].sum()
    active = active[active != 0].reset_index()
    sizes = active.loc[active["months"] == 0, "m0"].sort_values()
    if sizes.empty:
        return pd.DataFrame()
    shown = active[(active["m0"] >= sizes.tail(cohorts).min()) & (active["months"] <= max_offset)]
    counts = shown.pivot(index="m0", columns="months", values="n").fillna(0).astype("int64")
    return counts.rename_axis(index=None, columns=None)


def purchases(session: Session, every: int = 1) -> pd.DataFrame:
    """order_id, contact_id, ordered_at, amount of every counted order (of one contact in `every`,
    by id), company-wide: `loaders.purchases_frame(session, None, every)` from the summary."""
    refresh(session)
    sql = "SELECT order_id, contact_id, ordered_at, amount FROM order_facts"
    if every > 1:  # the contacts id % every = 0, found through the (contact_id, day) index
        step = int(every)
        sql = (f"WITH RECURSIVE sample_ids(n) AS (SELECT {step} UNION ALL SELECT n + {step} FROM sample_ids "
               f"WHERE n + {step} <= (SELECT MAX(contact_id) FROM order_facts)) {sql} "
               "WHERE contact_id IN (SELECT n FROM sample_ids)")
    frame = _read(session, sql)
    moments = frame["ordered_at"].astype("string")
    frame["ordered_at"] = pd.to_datetime(moments, errors="coerce", format="ISO8601")
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def days_to_timestamps(days: pd.Series) -> pd.Series:
    """Day numbers back to midnight timestamps (datetime64)."""
    return pd.to_datetime(np.asarray(days, dtype="int64"), unit="D").to_series(index=days.index)


def _read(session: Session, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    result = session.connection().execute(text(sql), params or {})
    columns = list(result.keys())
    rows = result.cursor.fetchall()  # type: ignore[attr-defined]
    result.close()
    return pd.DataFrame.from_records(rows, columns=columns)
