"""The purchases summary: what RFM, loyalty and sales potential read instead of every order.

Three tables (core/models/summaries.py), refreshed on read by `core.analytics.summaries`:
- order_facts: one row per order that counts as sold (not a quote, not cancelled, not deleted, of a
  live contact) with its amount (sum of its lines), day and month, and the owners of the order and
  of the contact, so readers are scoped on the summary itself;
- contact_purchases: per contact and order owner ("slice"): orders, revenue, first and last order
  day, first month and the median gap between order days;
- contact_months: the months a contact bought in (per order owner), with the first order day in
  each, for the cohort matrix.

A change is folded in per contact: a new order or line, or an audit entry on an order or a contact
(edit, status change, soft delete, restore, owner change) marks its contacts (for an order, the one
it has now and the one it was counted for), whose rows are deleted and recomputed from the source.

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

from core.analytics import rfm, summaries
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


def fold(connection: Connection, new: dict[str, summaries.NewRows]) -> None:
    """Recompute the contacts touched by the new orders, lines and audit entries."""
    contacts = _touched_contacts(connection, new)
    if len(contacts) > REBUILD_ABOVE:
        raise summaries.RebuildNeeded
    for chunk in summaries.chunks(contacts):
        keys = summaries.in_list("contact_id", chunk)
        for table in TABLES:
            connection.execute(text(f"DELETE FROM {table} WHERE {keys}"))
        _fill(connection, keys)


def _touched_contacts(connection: Connection, new: dict[str, summaries.NewRows]) -> set[int]:
    def ids(sql: str) -> set[int]:
        return summaries.ids(connection, sql)

    contacts = ids(f"SELECT contact_id FROM orders WHERE {new['orders'].where('id')}")
    contacts |= ids("SELECT o.contact_id FROM order_lines l JOIN orders o ON o.id = l.order_id "
                    f"WHERE {new['order_lines'].where('l.id')}")
    audited = summaries.audited_ids(connection, new["audit_log"], ("orders", "contacts"))
    contacts |= audited["contacts"]
    for chunk in summaries.chunks(audited["orders"]):
        contacts |= ids(f"SELECT contact_id FROM orders WHERE {summaries.in_list('id', chunk)}")
        contacts |= ids(f"SELECT contact_id FROM order_facts WHERE {summaries.in_list('order_id', chunk)}")
    return contacts


SOURCES = ("orders", "order_lines", "audit_log")
SUMMARY = summaries.register(summaries.Summary("purchases", SOURCES, build, fold))


def refresh(session: Session) -> None:
    summaries.refresh(session, SUMMARY)


# ---- readers -----------------------------------------------------------------------------------------

CUSTOMER_TYPES = {"contact_id": "int64", "orders": "int64", "revenue": "float64", "first_day": "int64",
                  "last_day": "int64", "own_gap": "float64"}
CUSTOMER_COLUMNS = list(CUSTOMER_TYPES)


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
    several = (f"EXISTS (SELECT 1 FROM contact_purchases t WHERE t.contact_id = s.contact_id "
               f"AND t.owner_key <> s.owner_key AND {on_t})")
    return (
        "stored AS (SELECT s.contact_id, s.orders, s.revenue, s.first_day, s.last_day, s.own_gap "
        f"  FROM contact_purchases s WHERE {on_s} AND s.last_day <= :as_of AND NOT {several}), "
        "redo AS (SELECT f.contact_id, f.day, f.amount FROM order_facts f "
        f"  WHERE {on_f} AND f.day <= :as_of AND f.contact_id IN "
        "  (SELECT s.contact_id FROM contact_purchases s "
        f"  WHERE {on_s} AND (s.last_day > :as_of OR {several}))), "
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


def _score(rank: str) -> str:
    """Quintile score 1..5 of a 1-based rank among n, as `rfm.quintile_scores` cuts ranks: pd.qcut
    puts rank r above the k-th fifth when 5 × (r − 1) > k × (n − 1), so the score is 1 + the
    number of such k in 1..4, which integer division gives as (5r − 6) / (n − 1) (at most 4 as r ≤ n;
    rank 1 is 1, and a customer alone gets 3)."""
    return f"CASE WHEN n = 1 THEN 3 WHEN {rank} = 1 THEN 1 ELSE 1 + (5 * {rank} - 6) / (n - 1) END"


def _segment() -> str:
    """`rfm.assign_segments`' precedence table as a CASE (first match wins)."""
    rules = ["r >= 4 AND f >= 4 AND m >= 4", "r >= 3 AND f >= 4", "r >= 4 AND f BETWEEN 2 AND 3",
             "r = 5 AND f = 1", "r = 4 AND f = 1", "r = 3 AND f = 3", "r = 3 AND f <= 2", "r <= 2 AND f = 5",
             "r <= 2 AND f >= 3", "r <= 2 AND f <= 2"]
    names = [name.replace("'", "''") for name in rfm.SEGMENTS]
    whens = " ".join(f"WHEN {rule} THEN '{name}'" for rule, name in zip(rules, names, strict=True))
    return f"CASE {whens} ELSE '{rfm.OTHERS}' END"


def _rfm_sql(session: Session, user: User) -> str:
    """WITH ... `scored`: per customer recency_days, frequency, monetary, r, f, m, segment. Ranks
    break ties by contact_id, as `rank(method="first")` over rows in contact_id order does."""
    return (
        f"WITH {_customers_cte(session, user, 'order')}, "
        "ranked AS (SELECT contact_id, :as_of - last_day AS recency_days, orders AS frequency, "
        "  revenue AS monetary, ROW_NUMBER() OVER (ORDER BY last_day, contact_id) AS r_rank, "
        "  ROW_NUMBER() OVER (ORDER BY orders, contact_id) AS f_rank, "
        "  ROW_NUMBER() OVER (ORDER BY revenue, contact_id) AS m_rank, "
        "  COUNT(*) OVER () AS n FROM customers), "
        f"quintiles AS (SELECT contact_id, recency_days, frequency, monetary, {_score('r_rank')} AS r, "
        f"  {_score('f_rank')} AS f, {_score('m_rank')} AS m FROM ranked), "
        f"scored AS (SELECT contact_id, recency_days, frequency, monetary, r, f, m, {_segment()} AS segment "
        "  FROM quintiles)")


def rfm_totals(session: Session, user: User, as_of: date) -> pd.DataFrame:
    """Customers and revenue per RFM segment (index: segment) of the orders `user` sees."""
    refresh(session)
    sql = (f"{_rfm_sql(session, user)} SELECT segment, COUNT(*) AS customers, SUM(monetary) AS revenue "
           "FROM scored GROUP BY segment")
    totals = _read(session, sql, {"as_of": day_number(as_of)})
    return totals.astype({"customers": "int64", "revenue": "float64"}).set_index("segment")


def rfm_scores(session: Session, user: User, as_of: date, segment: str | None = None,
               limit: int | None = None) -> pd.DataFrame:
    """`rfm.rfm_scores`' rows: every customer in contact_id order, or the `limit` who spent most
    in `segment`."""
    refresh(session)
    params: dict[str, Any] = {"as_of": day_number(as_of)}
    sql = f"{_rfm_sql(session, user)} SELECT * FROM scored"
    if segment is not None:
        sql += " WHERE segment = :segment"
        params["segment"] = segment
    sql += " ORDER BY monetary DESC, contact_id" if limit is not None else " ORDER BY contact_id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    frame = _read(session, sql, params)
    frame = frame.reindex(columns=list(rfm.SCORE_COLUMNS))
    return frame.astype({"contact_id": "int64", "recency_days": "int64", "frequency": "int64",
                         "monetary": "float64", "r": "int64", "f": "int64", "m": "int64"})


def churn(session: Session, user: User, as_of: date, shown: int, *, gap_multiple: float = 2.0,
          min_days: int = 30) -> tuple[int, float, pd.DataFrame]:
    """(customers at risk, their revenue at stake, the `shown` riskiest) by `loyalty.churn_risk`'s
    rule, counted in SQL; the rows come back with loyalty.CHURN_COLUMNS but "reason" and own_gap."""
    refresh(session)
    cte = _customers_cte(session, user, "order")
    params: dict[str, Any] = {"as_of": day_number(as_of)}
    gaps = _read(session, f"WITH {cte} SELECT own_gap, COUNT(*) AS n FROM customers "
                          "WHERE own_gap IS NOT NULL "
                          "GROUP BY own_gap", params)
    population = float(np.median(np.repeat(gaps["own_gap"].to_numpy(float), gaps["n"].to_numpy(int)))) \
        if len(gaps) else None
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
    row = session.connection().execute(text(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN orders >= 2 THEN 1 ELSE 0 END), 0) FROM "
        f"(SELECT contact_id, SUM(orders) AS orders FROM contact_purchases WHERE {scope} "
        "GROUP BY contact_id) per")).one()
    return int(row[0]), int(row[1])


def cohort_counts(session: Session, user: User, today: date, cohorts: int, max_offset: int) -> pd.DataFrame:
    """Customers active per (first month, months since) for the latest `cohorts` cohorts, orders on
    or before `today` only: rows = cohort month index, columns = offset 0..max_offset (0 = size)."""
    refresh(session)
    scope = _scope(session, user, "order_owner_id")
    firsts = ("SELECT contact_id, MIN(first_month) AS m0 FROM contact_purchases "
              f"WHERE {scope} AND first_day <= :today GROUP BY contact_id")
    params = {"today": day_number(today)}
    sizes = _read(session, f"SELECT m0, COUNT(*) AS n FROM ({firsts}) f GROUP BY m0 ORDER BY m0", params)
    if sizes.empty:
        return pd.DataFrame()
    params["lowest"] = int(sizes["m0"].tail(cohorts).min())
    params["widest"] = max_offset
    active = _read(session, (
        "SELECT f.m0, a.month - f.m0 AS offset, COUNT(DISTINCT a.contact_id) AS n FROM contact_months a "
        f"JOIN ({firsts} HAVING MIN(first_month) >= :lowest) f ON f.contact_id = a.contact_id "
        f"WHERE {_scope(session, user, 'a.order_owner_id')} AND a.first_day <= :today "
        "AND a.month - f.m0 <= :widest GROUP BY f.m0, a.month - f.m0"), params)
    counts = active.pivot(index="m0", columns="offset", values="n").fillna(0).astype("int64")
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
