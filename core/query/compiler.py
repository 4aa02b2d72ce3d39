"""QuerySpec -> SQLAlchemy Core SELECTs: the one place analytics SQL is written.

Metrics that share a fact table and a date column compile into ONE SELECT ... GROUP BY the
dimensions; each other (fact, date) pair gets its own SELECT, and `core.query.engine` merges the
results on the dimension columns. Every SELECT:
- reads only rows the user may see (`visible_clause`) and that are not soft-deleted;
- puts conditions shared by all its metrics in WHERE (so indexes serve them) and the others
  inside the aggregates (count(CASE WHEN won ...)), so one pass computes several metrics;
- computes ratios from their parts in the same group (sum / count, never an average of averages),
  with NULLIF so a zero denominator gives NULL rather than an error;
- limits the metric's own date column to the period, [start, end), and leaves out rows without
  that date (a deal that is still open has no close date, so it is not in the win rate);
- binds every value as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Label,
    Select,
    and_,
    case,
    distinct,
    func,
    literal_column,
    select,
)

from core.config import now as clock_now
from core.config import start_of_day
from core.config import today as business_today
from core.errors import ValidationError
from core.models import User
from core.query.aggregates import rollup_select
from core.query.catalog import METRICS, NOW, Cond, Metric, resolve_dimension, resolve_metric
from core.query.dimensions import Dimension
from core.query.facts import FACTS, Fact
from core.query.fields import Context, filter_clause, is_text, query_error, require_dimension
from core.query.filters import condition
from core.query.spec import QuerySpec
from core.query.sqlfuncs import binary_order, ratio
from core.query.timerange import TimeRange, parse_period
from core.services.permissions import visible_clause


@dataclass(frozen=True)
class CompiledPart:
    """One SELECT: `metrics` of one fact and date column, grouped by `dimensions`."""

    fact: str
    date: str | None
    metrics: tuple[Metric, ...]
    dimensions: tuple[Dimension, ...]
    select: Select[Any]
    period_applied: bool
    source: str = ""  # the rollup table it reads instead of the fact table ('' = the fact table)


class CompiledQuery(list[CompiledPart]):
    """The parts of a query (a list), with what the engine needs to merge, order and label them."""

    def __init__(self, parts: list[CompiledPart], *, metrics: list[Metric], dimensions: list[Dimension],
                 period: TimeRange | None, order: list[tuple[str, bool]], notes: list[str]):
        super().__init__(parts)
        self.metrics = metrics
        self.dimensions = dimensions
        self.period = period
        self.order = order  # (metric or dimension id, descending), most significant first
        self.notes = notes


def compile_query(spec: QuerySpec, user: User, *, today: date | None = None,
                  session: Any = None, rollups: bool = True) -> CompiledQuery:
    """Compile `spec` for `user`. `today` defaults to the business date (CRM_TODAY or the clock);
    `session` lets custom fields be named by label and saved segments be used as filters;
    `rollups=False` reads the fact tables even where a rollup could answer (for comparisons)."""
    day = today or business_today()
    moment = clock_now() if today is None else datetime.combine(day, clock_now().time())
    ctx = Context(user, day, moment, session)
    metrics = list(dict.fromkeys(resolve_metric(name) for name in spec.metrics))
    named = (resolve_dimension(name, session) for name in spec.dimensions)
    dimensions = list({d.id: d for d in named}.values())
    period = parse_period(spec.period, day) if spec.period else None
    order = _order(spec, metrics, dimensions)
    parts = [_part(group, dimensions, spec, period, ctx, rollups) for group in _groups(metrics)]
    if spec.limit is not None and len(parts) == 1:
        parts = [_limited(parts[0], order, spec.limit)]
    notes = [f"'{m.label}' is a current figure; the period does not limit it."
             for m in metrics if period is not None and m.date is None]
    return CompiledQuery(parts, metrics=metrics, dimensions=dimensions, period=period, order=order,
                         notes=notes)


def _groups(metrics: list[Metric]) -> list[list[Metric]]:
    """Metrics grouped by (fact, date column), in the order they were asked for."""
    groups: dict[tuple[str, str | None], list[Metric]] = {}
    for metric in metrics:
        groups.setdefault((metric.fact, metric.date), []).append(metric)
    return list(groups.values())


def _leaves(metrics: list[Metric]) -> list[Metric]:
    """The counted/summed metrics behind `metrics` (a ratio stands for its two parts)."""
    leaves: list[Metric] = []
    for metric in metrics:
        leaves += _leaves([METRICS[name] for name in metric.ratio]) if metric.ratio else [metric]
    return list(dict.fromkeys(leaves))


def _part(metrics: list[Metric], dimensions: list[Dimension], spec: QuerySpec,
          period: TimeRange | None, ctx: Context, rollups: bool) -> CompiledPart:
    """One SELECT for metrics sharing a fact table and date column: over a rollup when one answers
    it exactly (`core.query.aggregates`), else over the fact table."""
    first = metrics[0]
    fact = FACTS[first.fact]
    leaves = _leaves(metrics)
    shared = set.intersection(*(set(leaf.where) for leaf in leaves))
    refs = [require_dimension(dimension, first, ctx) for dimension in dimensions]
    filters = [filter_clause(item, first, ctx) for item in spec.filters]
    applied = period is not None and first.date is not None
    served = rollup_select(metrics, leaves, shared, refs, dimensions, filters, period, ctx.user) \
        if rollups else None
    if served is not None:
        query, source = served
        return CompiledPart(fact.id, first.date, tuple(metrics), tuple(dimensions), query, applied, source)
    clauses = _where(first, shared, [clause for clause, _ in filters], period, ctx)
    grouped = {name for ref in refs for name in ref.joins} | {name for _, used in filters for name in used}
    joins = grouped | {name for leaf in leaves for name in leaf.joins}
    fanout = fact.fans_out(joins)
    keys = [ref.expr.label(dimension.id) for ref, dimension in zip(refs, dimensions, strict=True)]
    measures = [_measure(metric, fact, shared, fanout, ctx).label(metric.id) for metric in metrics]
    query = (select(*keys, *measures).select_from(fact.source(joins, grouped)).where(*clauses)
             .group_by(*(ref.expr for ref in refs)))
    return CompiledPart(fact.id, first.date, tuple(metrics), tuple(dimensions), query, applied)


def _where(metric: Metric, shared: set[Cond], filters: list[ColumnElement[bool]], period: TimeRange | None,
           ctx: Context) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a part: live rows the user may see, the conditions all its metrics
    share, the filters, and the period on the metric's date."""
    fact = FACTS[metric.fact]
    clauses = [fact.model.deleted_at.is_(None), visible_clause(ctx.user, fact.model),
               *(visible_clause(ctx.user, model) for model in fact.guarded_by)]
    clauses += [_cond(fact, cond, ctx) for cond in sorted(shared, key=repr)]
    clauses += filters
    if metric.date is not None:  # a row without the metric's date is not part of it (open deals)
        column = getattr(fact.model, metric.date)
        clauses.append(column.is_not(None))
        if period is not None:
            clauses += [column >= start_of_day(period.start), column < start_of_day(period.end)]
    return clauses


def _cond(fact: Fact, cond: Cond, ctx: Context) -> ColumnElement[bool]:
    column, op, value = cond
    return condition(fact.column(column), op, ctx.now if value == NOW else value)


def _measure(metric: Metric, fact: Fact, shared: set[Cond], fanout: bool, ctx: Context) -> ColumnElement[Any]:
    """The aggregate of one metric; conditions not shared by the whole SELECT go inside it."""
    if metric.ratio:
        numerator, denominator = (_measure(METRICS[name], fact, shared, fanout, ctx) for name in metric.ratio)
        return ratio(numerator, denominator, in_cents=METRICS[metric.ratio[0]].unit == "currency")
    own = [_cond(fact, cond, ctx) for cond in metric.where if cond not in shared]
    when = and_(*own) if own else None
    if metric.kind == "count":
        if fanout:  # order lines repeat the order: count each order once
            return func.count(distinct(fact.model.id if when is None else case((when, fact.model.id))))
        return func.count() if when is None else func.count(case((when, literal_column("1"))))
    assert metric.value is not None, f"metric {metric.id} has no value to aggregate"
    value = metric.value() if when is None else case((when, metric.value()))
    return func.sum(value) if metric.kind == "sum" else func.avg(value)


def _order(spec: QuerySpec, metrics: list[Metric], dimensions: list[Dimension]) -> list[tuple[str, bool]]:
    """spec.order_by, else time ascending, else the first metric largest first; then the
    remaining dimensions ascending so equal values always come out in the same order."""
    ids = [m.id for m in metrics] + [d.id for d in dimensions]
    order: list[tuple[str, bool]] = []
    for item in spec.order_by:
        order.append((_order_name(item.name, metrics, dimensions, ids), item.descending))
    if not order:
        times = [d.id for d in dimensions if d.grain]
        order = [(name, False) for name in times] or [(metrics[0].id, True)]
    taken = {name for name, _ in order}
    return order + [(d.id, False) for d in dimensions if d.id not in taken]


def _order_name(name: str, metrics: list[Metric], dimensions: list[Dimension], ids: list[str]) -> str:
    for candidate in (name, name.strip().lower()):
        if candidate in ids:
            return candidate
    resolved = ""
    for resolve in (resolve_metric, resolve_dimension):
        try:
            resolved = resolve(name).id
            break
        except ValidationError:
            continue
    if resolved not in ids:
        raise query_error("order_by", f"cannot sort by {name!r}: sort by one of the query's metrics or "
                          f"dimensions ({', '.join(ids)})")
    return resolved


def _limited(part: CompiledPart, order: list[tuple[str, bool]], limit: int) -> CompiledPart:
    """A single SELECT sorts and limits in the database (a top 10 of a million contacts must not
    fetch them all); text sorts by code point on both databases so the same rows come back."""
    columns: dict[str, Label[Any]] = {column.key: column for column in part.select.selected_columns}
    terms = []
    for name, descending in order:
        column = columns[name]
        text = name in {d.id for d in part.dimensions} and is_text(column)
        term = binary_order(column.element) if text else column
        terms.append((term.desc() if descending else term.asc()).nulls_last())
    return replace(part, select=part.select.order_by(*terms).limit(limit))
