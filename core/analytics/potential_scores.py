"""Sales-potential scores computed by the database: the contact_features summary and the SQL that
scores it.

contact_features holds one narrow row per live contact (`core.models.ContactFeatures`):
demographics and every counted order of the contact. It is a summary like the purchases one
(`core.analytics.summaries`: built on first use, folded on read): a new contact, order or line, or
an audit entry on a contact or an order (edit, soft delete, restore, owner change; for an order
moved between contacts, both) marks the contacts whose rows are recomputed from the source tables.

The model is linear in its inputs once imputation and standardisation are folded into the weights
(`propensity.LinearModel.raw_weights`), so a contact's logit is one expression over its row; the
top prospects are an ORDER BY ... LIMIT and the score distribution a GROUP BY over the same rows,
read as a few hundred rows instead of a million-row frame. Bands are counted on the logit against
the logits of the probability edges (the probability is monotonic in it), so no exp() is needed.

Features are as of a day (`as_of`): contacts created later are left out, age counts whole years on
that day, and orders after it do not count: the rare contacts whose last order is later (a pinned
CRM_TODAY) have their purchase figures recomputed from the orders in the query itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, literal_column, text
from sqlmodel import Session

from core.analytics import propensity, summaries
from core.analytics.purchases import SOLD, _day_and_month, _read, day_number
from core.models import User
from core.services.permissions import owner_visible_clause

REBUILD_ABOVE = 50_000  # contacts to refold beyond which a full build is cheaper
NUMERIC = ("age", "household_income", "orders_count", "revenue", "days_since_last_order", "tenure_days")


# ---- build and fold ------------------------------------------------------------------------------------


def _dates(dialect: str) -> tuple[str, str, str]:
    """Day number of c.created_at, year and month × 100 + day of c.birth_date, in SQL."""
    if dialect == "postgresql":
        return ("(CAST(c.created_at AS DATE) - DATE '1970-01-01')",
                "CAST(EXTRACT(YEAR FROM c.birth_date) AS INTEGER)",
                "CAST(EXTRACT(MONTH FROM c.birth_date) * 100 + EXTRACT(DAY FROM c.birth_date) AS INTEGER)")
    return ("CAST(julianday(date(c.created_at)) - 2440587.5 AS INTEGER)",
            "CAST(strftime('%Y', c.birth_date) AS INTEGER)",
            "CAST(strftime('%m%d', c.birth_date) AS INTEGER)")


def _gender() -> str:
    """`propensity.build_features`' reading of c.gender: trimmed, lower case, blank or NULL =
    unknown, any other value not in GENDERS = other."""
    known = ", ".join(f"'{value}'" for value in propensity.GENDERS)
    cleaned = "LOWER(TRIM(c.gender))"
    return (f"CASE WHEN c.gender IS NULL OR {cleaned} = '' THEN 'unknown' "
            f"WHEN {cleaned} IN ({known}) THEN {cleaned} ELSE 'other' END")


def _fill(connection: Connection, contacts: str = "1 = 1") -> None:
    """Insert the rows of the live contacts matching `contacts` (a condition on contact_id)."""
    dialect = connection.dialect.name
    created, year, month_day = _dates(dialect)
    day = _day_and_month(dialect)[0]
    on_orders = contacts.replace("contact_id", "o.contact_id")
    amount = "COALESCE((SELECT SUM(l.quantity * l.unit_price) FROM order_lines l WHERE l.order_id = o.id), 0)"
    connection.execute(text(
        "INSERT INTO contact_features (contact_id, owner_id, created_day, birth_year, birth_md, gender, "
        "household_income, orders, revenue, first_day, last_day) "
        f"SELECT c.id, c.owner_id, {created}, {year}, {month_day}, {_gender()}, c.household_income, "
        "COALESCE(p.orders, 0), COALESCE(p.revenue, 0), p.first_day, p.last_day FROM contacts c "
        f"LEFT JOIN (SELECT o.contact_id, COUNT(*) AS orders, SUM({amount}) AS revenue, "
        f"  MIN({day}) AS first_day, MAX({day}) AS last_day FROM orders o "
        f"  WHERE o.deleted_at IS NULL AND {SOLD} AND o.ordered_at IS NOT NULL AND {on_orders} "
        "  GROUP BY o.contact_id) p ON p.contact_id = c.id "
        f"WHERE c.deleted_at IS NULL AND {contacts.replace('contact_id', 'c.id')}"))


def build(connection: Connection) -> None:
    connection.execute(text("DELETE FROM contact_features"))
    _fill(connection)


def fold(connection: Connection, new: dict[str, summaries.NewRows]) -> None:
    """Recompute the contacts touched by new contacts, orders, lines and audit entries."""
    def refold_contacts(chunk: list[int]) -> None:
        keys = summaries.in_list("contact_id", chunk)
        connection.execute(text(f"DELETE FROM contact_features WHERE {keys}"))
        _fill(connection, keys)

    summaries.refold(_touched_contacts(connection, new), refold_contacts, rebuild_above=REBUILD_ABOVE)


def _touched_contacts(connection: Connection, new: dict[str, summaries.NewRows]) -> set[int]:
    def ids(sql: str) -> set[int]:
        return summaries.ids(connection, sql)

    contacts = ids(f"SELECT id FROM contacts WHERE {new['contacts'].where('id')}")
    contacts |= ids(f"SELECT contact_id FROM orders WHERE {new['orders'].where('id')}")
    contacts |= ids("SELECT o.contact_id FROM order_lines l JOIN orders o ON o.id = l.order_id "
                    f"WHERE {new['order_lines'].where('l.id')}")
    audited = summaries.audited_ids(connection, new["audit_log"], ("orders", "contacts"))
    contacts |= audited["contacts"]
    contacts |= summaries.ids_matching(connection, "SELECT contact_id FROM orders", "id", audited["orders"])
    return contacts | _contacts_orders_left(connection, new["audit_log"])


def _contacts_orders_left(connection: Connection, new: summaries.NewRows) -> set[int]:
    """The contacts an edited order belonged to before the edit (its audit entry's `before`): an
    order moved to another contact leaves its old contact's figures to recompute too."""
    rows = connection.execute(text(
        f"SELECT before FROM audit_log WHERE {new.where('id')} AND entity = 'orders'")).scalars()
    found = set()
    for before in rows:
        values = json.loads(before) if isinstance(before, str) else before
        if isinstance(values, dict) and values.get("contact_id") is not None:
            found.add(int(values["contact_id"]))
    return found


SOURCES = ("contacts", "orders", "order_lines", "audit_log")
SUMMARY = summaries.register(summaries.Summary("contact_features", SOURCES, build, fold))


def refresh(session: Session) -> None:
    summaries.refresh(session, SUMMARY)


# ---- readers -----------------------------------------------------------------------------------------


def _scope(session: Session, user: User | None) -> str:
    if user is None:
        return "1 = 1"
    clause = owner_visible_clause(user, literal_column("f.owner_id"))
    return f"({clause.compile(dialect=session.get_bind().dialect, compile_kwargs={'literal_binds': True})})"


def _as_of(day: date) -> dict[str, Any]:
    return {"today": day_number(day), "year": day.year, "md": day.month * 100 + day.day}


def _features_cte(session: Session, user: User | None, contacts: str = "1 = 1", *,
                  later: bool = True) -> str:
    """WITH-clause part `features`: per visible contact existing on :today (and matching
    `contacts`, a condition on f.contact_id) the model's raw inputs as of :today. `later=False`
    when no contact has an order after :today (`_any_later`): the stored figures are then read
    as they are, without the per-row test."""
    kept = {name: f"f.{name}" for name in ("orders", "revenue", "first_day", "last_day")}
    if later:  # only a contact whose last order is after :today is recomputed from its orders
        kept = {name: f"CASE WHEN f.last_day > :today THEN {sql} ELSE f.{name} END"
                for name, sql in _recomputed(session).items()}
    return (
        "features AS (SELECT f.contact_id, f.gender, "
        "  :year - f.birth_year - CASE WHEN f.birth_md > :md THEN 1 ELSE 0 END AS age, "
        f"  f.household_income, {kept['orders']} AS orders_count, {kept['revenue']} AS revenue, "
        f"  :today - ({kept['last_day']}) AS days_since_last_order, "
        f"  :today - ({kept['first_day']}) AS tenure_days "
        f"  FROM contact_features f WHERE {_scope(session, user)} AND {contacts} "
        "  AND (f.created_day IS NULL OR f.created_day <= :today))")


def _recomputed(session: Session) -> dict[str, str]:
    """A contact's purchase figures from its orders on or before :today (correlated on f)."""
    day = _day_and_month(session.get_bind().dialect.name)[0]
    mine = (f"FROM orders o WHERE o.contact_id = f.contact_id AND o.deleted_at IS NULL AND {SOLD} "
            f"AND o.ordered_at IS NOT NULL AND {day} <= :today")
    return {"orders": f"(SELECT COUNT(*) {mine})",
            "revenue": "(SELECT COALESCE(SUM(l.quantity * l.unit_price), 0) FROM order_lines l "
                       f"WHERE l.order_id IN (SELECT o.id {mine}))",
            "first_day": f"(SELECT MIN({day}) {mine})", "last_day": f"(SELECT MAX({day}) {mine})"}


def _any_later(session: Session, as_of: date) -> bool:
    """Whether any contact has an order after `as_of` (one look at the last_day index)."""
    return session.connection().execute(text(
        "SELECT 1 FROM contact_features WHERE last_day > :today LIMIT 1"), _as_of(as_of)).first() is not None


def _logit(model: propensity.LinearModel) -> tuple[str, dict[str, float]]:
    """The model's logit over a `features` row, bias + Σ weight × (value, or its median when NULL),
    and its parameters (bound, so that PostgreSQL computes in double precision, not numeric)."""
    bias, weights = model.raw_weights()
    medians = dict(zip(propensity.FEATURES, model.medians, strict=True))
    params = {"bias": bias, **{f"w_{name}": weight for name, weight in weights.items()},
              **{f"m_{name}": medians[name] for name in NUMERIC}}
    if not all(math.isfinite(value) for value in params.values()):
        raise ValueError("the fitted model has a non-finite weight")
    terms = [f":w_{name} * COALESCE({name}, :m_{name})" for name in NUMERIC]
    genders = " ".join(f"WHEN '{g}' THEN :w_gender_{g}" for g in propensity.GENDERS)
    return f":bias + {' + '.join(terms)} + CASE gender {genders} END", params


def features(session: Session, user: User | None, as_of: date, ids: list[int] | None = None) -> pd.DataFrame:
    """The model's FEATURES (index contact_id, in id order) of the contacts `user` may see, as of
    `as_of`, read from contact_features (of `ids` only when given)."""
    refresh(session)
    contacts = "1 = 1" if ids is None else summaries.in_list("f.contact_id", ids or [0])
    cte = _features_cte(session, user, contacts, later=_any_later(session, as_of))
    frame = _read(session, f"WITH {cte} SELECT * FROM features ORDER BY contact_id", _as_of(as_of))
    return _as_features(frame)


def _as_features(frame: pd.DataFrame) -> pd.DataFrame:
    result = pd.DataFrame(index=pd.Index(frame["contact_id"].astype("int64").to_numpy(), name="contact_id"))
    for name in NUMERIC:
        result[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64").to_numpy()
    for value in propensity.GENDERS:
        result[f"gender_{value}"] = (frame["gender"] == value).astype("float64").to_numpy()
    return result[list(propensity.FEATURES)]


def top(session: Session, user: User, model: propensity.LinearModel, as_of: date,
        limit: int) -> tuple[pd.DataFrame, float | None]:
    """The `limit` visible contacts with the highest scores (features, index contact_id, best
    first, ties by contact_id) and the highest logit (None when nobody is scored)."""
    refresh(session)
    logit, params = _logit(model)
    cte = _features_cte(session, user, later=_any_later(session, as_of))
    sql = (f"WITH {cte}, scored AS (SELECT features.*, {logit} AS z "
           f"FROM features) SELECT * FROM scored ORDER BY z DESC, contact_id LIMIT {int(limit)}")
    frame = _read(session, sql, {**_as_of(as_of), **params})
    if frame.empty:
        return _as_features(frame.reindex(columns=["contact_id", "gender", *NUMERIC])), None
    return _as_features(frame), float(frame["z"].iloc[0])


def band_counts(session: Session, user: User, model: propensity.LinearModel, as_of: date,
                edges: np.ndarray) -> np.ndarray:
    """Contacts per probability band [edges[i], edges[i + 1]) (the last one closed), as
    np.histogram counts them, the probabilities compared as logits."""
    refresh(session)
    logit, params = _logit(model)
    # The OFFSET keeps both databases from pasting the logit's expression into every WHEN (a
    # subquery with an offset is not merged into its outer query): it is computed once per row.
    fence = "LIMIT -1 OFFSET 0" if session.get_bind().dialect.name == "sqlite" else "OFFSET 0"
    scored = (f"(WITH {_features_cte(session, user, later=_any_later(session, as_of))} "
              f"SELECT {logit} AS z FROM features {fence})")
    return _count_bands(session.connection(), scored, edges, {**_as_of(as_of), **params})


def _count_bands(connection: Connection, scored: str, edges: np.ndarray,
                 params: dict[str, Any]) -> np.ndarray:
    """Rows of `scored` (a table or subquery with a logit column z) per band of `edges`."""
    inner = edges[1:-1]
    cuts = " ".join(f"WHEN z < :cut{i} THEN {i}" for i in range(len(inner)))
    params = {**params, **{f"cut{i}": _logit_of(float(edge)) for i, edge in enumerate(inner)}}
    sql = (f"SELECT band, COUNT(*) AS contacts FROM (SELECT CASE {cuts} ELSE {len(inner)} END AS band "
           f"FROM {scored} scored) banded GROUP BY band")
    counts = np.zeros(len(edges) - 1, dtype="int64")
    for band, contacts in connection.execute(text(sql), params):
        counts[int(band)] = int(contacts)
    return counts


SCORED = "potential_scored"  # the temporary table of `top_and_bands` on SQLite


def top_and_bands(session: Session, user: User, model: propensity.LinearModel, as_of: date, limit: int,
                  edges_of: Callable[[float | None], np.ndarray]
                  ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """`top` (the `limit` best, their features), the band edges `edges_of(highest logit)` and
    `band_counts` over them, in one pass over the contacts where it pays.

    Computing each contact's logit is most of a scan's cost (SQLite runs the expression row by row:
    about 0.25 s per 100,000 contacts under load against 0.03 s to walk the rows), and the bands
    need the highest score first. On SQLite the logits are therefore written once to a temporary
    table (private to the connection, so no lock on the database) that both the top and the bands
    read (measured: 0.56 s against 0.73-0.94 s for the two scans at 100,000 contacts). PostgreSQL
    runs the two statements as they are."""
    if session.get_bind().dialect.name != "sqlite":
        best, highest = top(session, user, model, as_of, limit)
        edges = edges_of(highest)
        return best, edges, band_counts(session, user, model, as_of, edges)
    refresh(session)
    connection = session.connection()
    logit, params = _logit(model)
    cte = _features_cte(session, user, later=_any_later(session, as_of))
    connection.execute(text(f"DROP TABLE IF EXISTS temp.{SCORED}"))
    connection.execute(text(f"CREATE TEMP TABLE {SCORED} AS WITH {cte} SELECT contact_id, {logit} AS z "
                            "FROM features"), {**_as_of(as_of), **params})
    try:
        ranked = connection.execute(text(f"SELECT contact_id, z FROM temp.{SCORED} "
                                         f"ORDER BY z DESC, contact_id LIMIT {int(limit)}")).all()
        edges = edges_of(float(ranked[0][1]) if ranked else None)
        counts = _count_bands(connection, f"temp.{SCORED}", edges, {})
    finally:
        connection.execute(text(f"DROP TABLE IF EXISTS temp.{SCORED}"))
    ids = [int(row[0]) for row in ranked]
    return features(session, user, as_of, ids).loc[ids], edges, counts


def _logit_of(probability: float) -> float:
    if probability <= 0.0:
        return -math.inf
    if probability >= 1.0:
        return math.inf
    return math.log(probability / (1.0 - probability))
