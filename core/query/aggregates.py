"""Aggregate awareness: answer a part of a query from the order rollup (`core.query.rollup`) when
that gives exactly the figures the fact tables give, else leave it to the fact path.

A part is served when
- its metrics are orders, revenue, units sold and ratios of them (average order value), whose
  conditions are on the order's status (the rollup keeps every status);
- every dimension and filter reads only what the rollup keeps: the time buckets of ordered_at
  (day to year: a bucket of the day is the bucket of the moment), the status, the owner (the
  owner's name is joined as on the fact path) and the category of the lines' products;
- counting orders by category needs category as a dimension: an order with lines in two categories
  counts once in each, so summing categories (a filter "category in (A, B)" without grouping by
  it) would count it twice; revenue and units add up over categories and are served either way;
- any period: periods are whole days, and the rollup is per day.
The dimension and filter expressions are the fact path's own (`fields`), with the order and product
columns swapped for the rollup's: same values, same case rules, same bound parameters. The reader's
scope is the same owner rule (`owner_visible_clause`) on the rollup's owner column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, Table, and_, case, func, select
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause

from core.models import User
from core.query.catalog import METRICS, NOW, Cond, Metric
from core.query.dimensions import Dimension, FieldRef
from core.query.filters import condition
from core.query.rollup import BY_CATEGORY, TOTALS
from core.query.sqlfuncs import ratio, time_bucket
from core.query.timerange import TimeRange
from core.services.permissions import owner_visible_clause

# The leaf metrics the rollup holds, and the rollup column that sums each.
MEASURES = {"orders": "orders", "revenue": "revenue", "units_sold": "units"}
# Columns of the fact's tables the rollup keeps, under the rollup's column names.
KEPT = {("orders", "status"): "status", ("orders", "owner_id"): "owner_id",
        ("products", "category"): "category"}
JOINS = {"owner", "lines", "product"}  # the joins whose columns the rollup keeps or can join
FACT, DATE = "orders", "ordered_at"


def rollup_select(metrics: list[Metric], leaves: list[Metric], shared: set[Cond], refs: list[FieldRef],
                  dimensions: list[Dimension], filters: list[tuple[ColumnElement[bool], frozenset[str]]],
                  period: TimeRange | None, user: User) -> tuple[Select[Any], str] | None:
    """The SELECT over the rollup answering these metrics exactly (and the table it reads), or None.

    `refs` are the dimensions on the fact and `filters` the filter clauses on it, as the fact path
    built them; `shared` are the conditions every leaf metric has."""
    if metrics[0].fact != FACT or metrics[0].date != DATE or not all(_held(leaf) for leaf in leaves):
        return None
    joins = {name for ref in refs for name in ref.joins} | {name for _, needed in filters for name in needed}
    if not joins <= JOINS:
        return None
    reads_category = [_reads(ref.expr, "products", "category") for ref in refs]
    by_category = any(reads_category) or any(_reads(clause, "products", "category") for clause, _ in filters)
    if by_category and not any(reads_category) and any(leaf.kind == "count" for leaf in leaves):
        return None  # orders would count once per category they have lines in
    table = BY_CATEGORY if by_category else TOTALS
    keys = [_translate(ref.expr, table) for ref in refs]
    clauses = [_translate(clause, table) for clause, _ in filters]
    if any(item is None for item in [*keys, *clauses]):
        return None
    where = [owner_visible_clause(user, table.c.owner_id),
             *(_cond(table, cond) for cond in sorted(shared, key=repr)), *clauses]
    if period is not None:
        where += [table.c.day >= period.start, table.c.day < period.end]
    labels = [key.label(dimension.id) for key, dimension in zip(keys, dimensions, strict=True)]  # type: ignore[union-attr]
    measures = [_measure(metric, table, shared).label(metric.id) for metric in metrics]
    query = (select(*labels, *measures).select_from(_source(table, "owner" in joins)).where(*where)
             .group_by(*keys))
    return query, table.name


def _held(leaf: Metric) -> bool:
    """Whether the rollup sums this leaf metric, under conditions it can evaluate."""
    return leaf.id in MEASURES and all(column == "status" and value != NOW for column, _, value in leaf.where)


def _source(table: Table, owner: bool) -> FromClause:
    """The rollup, with the owner looked up as the fact path does (live users only)."""
    if not owner:
        return table
    return table.outerjoin(User.__table__, and_(User.id == table.c.owner_id,  # type: ignore[attr-defined]
                                                User.deleted_at.is_(None)))  # type: ignore[union-attr]


def _cond(table: Table, cond: Cond) -> ColumnElement[bool]:
    column, op, value = cond
    return condition(table.c[column], op, value)


def _measure(metric: Metric, table: Table, shared: set[Cond]) -> ColumnElement[Any]:
    """The rollup's sum standing for the fact path's count or sum; ratios of those, as there."""
    if metric.ratio:
        numerator, denominator = (_measure(METRICS[name], table, shared) for name in metric.ratio)
        return ratio(numerator, denominator, in_cents=METRICS[metric.ratio[0]].unit == "currency")
    column = table.c[MEASURES[metric.id]]
    own = [_cond(table, cond) for cond in metric.where if cond not in shared]
    total = func.sum(case((and_(*own), column)) if own else column)
    return func.coalesce(total, 0) if metric.kind == "count" else total  # count() is 0, never NULL


def _reads(expr: ColumnElement[Any], table: str, column: str) -> bool:
    return any(_is(element, table, column) for element in visitors.iterate(_clause(expr)))


def _clause(expr: Any) -> Any:
    """The SQL element behind an ORM attribute (Product.category), which the visitors walk."""
    return expr.__clause_element__() if hasattr(expr, "__clause_element__") else expr


def _is(element: Any, table: str, column: str | None = None) -> bool:
    """Whether `element` is a column of `table` (named `column`, when given)."""
    owner = getattr(element, "table", None)
    return (isinstance(element, ColumnClause) and owner is not None and getattr(owner, "name", None) == table
            and (column is None or element.name == column))


def _translate(expr: ColumnElement[Any], table: Table) -> ColumnElement[Any] | None:
    """`expr` with the fact's columns swapped for the rollup's, or None when it reads anything
    else than the rollup and the owner's user row (a contact's city, a product's name...)."""
    def swap(element: Any) -> Any:
        if isinstance(element, time_bucket):
            (moment,) = list(element.clauses)
            return time_bucket(table.c.day, element.grain) if _is(moment, FACT, DATE) else None
        if isinstance(element, ColumnClause) and getattr(element, "table", None) is not None:
            kept = KEPT.get((getattr(element.table, "name", ""), element.name))
            return table.c[kept] if kept is not None and kept in table.c else None
        return None

    swapped = visitors.replacement_traverse(_clause(expr), {}, swap)
    for element in visitors.iterate(swapped):
        if isinstance(element, ColumnClause) and not (_is(element, table.name) or _is(element, "users")):
            return None
    return swapped
