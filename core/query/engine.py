"""Run a QuerySpec: compile, execute each SELECT, merge, order, label, and keep the SQL shown as
"how it was computed".

Parts over different fact tables (say revenue from orders and activities) come back as separate
row lists and are merged on the dimension columns with an outer join: a month with activities but
no orders gets revenue 0 (counts and sums) or empty (ratios and averages), never a dropped row.
Plain Python lists, not pandas: a query returns at most a few thousand grouped rows, and not
importing pandas keeps `crm ask` quick to start (the frame is built only when a page asks for it).
Values come back as plain Python numbers: counts as int, currency rounded to cents, days to two
decimals, rates as fractions between 0 and 1.

Results are cached per data version (see `core.analytics.version`) and reader scope, keyed by a
hash of the spec: reports, the assistant and dashboards asking the same question twice get the
kept rows back in about a millisecond, and any edit makes a new version, so the next call reads
the database again. Metrics that compare with the current moment (overdue tasks, breached cases)
are also keyed by the minute. Only the rows are kept; each caller gets its own QueryResult (and
builds its own frame when it asks for one).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cached_property, reduce
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from core.analytics.cache import cached, user_scope
from core.analytics.version import QUERY_MODELS, data_version
from core.config import now as clock_now
from core.config import today as business_today
from core.db_errors import is_locked
from core.models import User
from core.query import rollup
from core.query.catalog import METRICS, NOW, Metric, describe_catalog, resolve_metric
from core.query.compiler import CompiledPart, CompiledQuery, compile_query
from core.query.spec import QuerySpec
from core.query.timerange import TimeRange

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["QueryResult", "describe_catalog", "run_query"]
Row = dict[str, Any]

DECIMALS = {"currency": 2, "days": 2, "percent": 6}


@dataclass
class QueryResult:
    columns: list[str]  # dimension labels, then metric labels
    rows: list[list[Any]]
    sql: str  # each SELECT with its placeholders, for display
    params: dict[str, Any]  # the bound values, keyed as the placeholders in `sql`
    spec: QuerySpec
    period: TimeRange | None
    ids: list[str] = field(default_factory=list)  # catalogue ids of the columns (for charts and bots)
    metrics: list[str] = field(default_factory=list)  # the metric ids, in column order
    units: dict[str, str] = field(default_factory=dict)  # metric id -> count, currency, percent, days
    notes: list[str] = field(default_factory=list)  # caveats to show with the answer

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The same table as a DataFrame, columns named by label (for pages and downloads)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)

    def value(self, metric: str | None = None, row: int = 0) -> Any:
        """One figure: `metric` (id or label; default the first metric) in row `row`."""
        name = metric or self.metrics[0]
        index = self.ids.index(name) if name in self.ids else self.columns.index(name)
        return self.rows[row][index] if len(self.rows) > row else None


def run_query(session: Session, spec: QuerySpec, user: User, *, today: Any = None,
              cache: bool = True, rollups: bool = True) -> QueryResult:
    """Answer `spec` for `user` from the database behind `session` (from the cache when the data,
    the reader's scope and the business date are unchanged; `cache=False` always reads).
    `rollups=False` reads the fact tables even where a rollup could answer (same figures)."""
    if not cache:
        return _run(session, spec, user, today, rollups)
    day = today or business_today()
    version = data_version(session, QUERY_MODELS)
    args = (spec_key(spec), day.isoformat(), _moment_key(spec), rollups)
    kept = cached("run_query", version, user_scope(user), args,
                  lambda: _kept(_run(session, spec, user, today, rollups)))
    return replace(kept, spec=spec, rows=[list(row) for row in kept.rows], params=dict(kept.params),
                   ids=list(kept.ids), metrics=list(kept.metrics), units=dict(kept.units),
                   notes=list(kept.notes), columns=list(kept.columns))


def spec_key(spec: QuerySpec) -> str:
    """A stable hash of what the spec asks: the same question gives the same key in every process."""
    text = spec.model_dump_json()
    return hashlib.sha256(text.encode()).hexdigest()


def _moment_key(spec: QuerySpec) -> str:
    """The current minute when a metric compares with the current moment (overdue, breached), so
    a kept figure is at most a minute behind the clock; '' when the clock does not matter."""
    if not any(_uses_clock(resolve_metric(name)) for name in spec.metrics):
        return ""
    return clock_now().strftime("%Y-%m-%dT%H:%M")


def _uses_clock(metric: Metric) -> bool:
    if metric.ratio:
        return any(_uses_clock(METRICS[name]) for name in metric.ratio)
    return any(value == NOW for _, _, value in metric.where)


def _kept(result: QueryResult) -> QueryResult:
    """What the cache keeps: the rows and their description, never a frame built from them."""
    return replace(result, rows=[tuple(row) for row in result.rows])  # type: ignore[misc]


def _run(session: Session, spec: QuerySpec, user: User, today: date | None, rollups: bool) -> QueryResult:
    compiled = compile_query(spec, user, today=today, session=session, rollups=rollups)
    if any(part.source for part in compiled):
        try:
            rollup.refresh(session)  # fold in what changed since it was last read
        except OperationalError as error:
            if not is_locked(error):
                raise
            # Another program holds the write lock the fold needs: the facts give the same answer.
            compiled = compile_query(spec, user, today=today, session=session, rollups=False)
    parts = [_fetch(session, part) for part in compiled]
    keys = [d.id for d in compiled.dimensions]
    table = reduce(lambda left, right: _merge(left, right, keys), parts)
    table = _sorted(_clean(table, compiled.metrics), compiled.order)
    if spec.limit is not None:
        table = table[: spec.limit]
    ids = keys + [m.id for m in compiled.metrics]
    labels = [d.label for d in compiled.dimensions] + [m.label for m in compiled.metrics]
    rows = [[_plain(row.get(name)) for name in ids] for row in table]
    sql, params = _display(session, compiled)
    metrics = [m.id for m in compiled.metrics]
    return QueryResult(columns=labels, rows=rows, sql=sql, params=params, spec=spec,
                       period=compiled.period, ids=ids, metrics=metrics,
                       units={m.id: m.unit for m in compiled.metrics}, notes=compiled.notes)


def _fetch(session: Session, part: CompiledPart) -> list[Row]:
    result = session.execute(part.select)
    names = list(result.keys())
    return [dict(zip(names, row, strict=True)) for row in result]


def _merge(left: list[Row], right: list[Row], keys: list[str]) -> list[Row]:
    """Outer join on the dimensions, in key order (a side by side join of the single rows when
    there are none)."""
    if not keys:
        return [{**(left[i] if i < len(left) else {}), **(right[i] if i < len(right) else {})}
                for i in range(max(len(left), len(right)))]
    merged: dict[tuple[Any, ...], Row] = {}
    for row in [*left, *right]:
        merged.setdefault(tuple(row[k] for k in keys), {}).update(row)
    return [merged[key] for key in sorted(merged, key=lambda key: tuple(map(_sort_key, key)))]


def _clean(table: list[Row], metrics: list[Metric]) -> list[Row]:
    """Every metric as a plain Python figure (see `_figure`)."""
    return [{**row, **{m.id: _figure(row.get(m.id), m) for m in metrics}} for row in table]


def _figure(value: Any, metric: Metric) -> int | float | None:
    """Whole counts as int, the rest as float rounded per unit; a missing count or sum is 0
    (nothing happened), a missing ratio or average stays None (there is nothing to divide)."""
    number = _plain(value)
    if number is None:
        return (0 if metric.unit == "count" else 0.0) if metric.additive else None
    number = float(number)
    if metric.unit == "count" and number.is_integer():
        return int(number)
    digits = DECIMALS.get(metric.unit)
    return round(number, digits) if digits is not None else number


def _sorted(table: list[Row], order: list[tuple[str, bool]]) -> list[Row]:
    """Stable sort, one key at a time from the least significant; empty values always last."""
    for name, descending in reversed(order):
        present = [row for row in table if _plain(row.get(name)) is not None]
        empty = [row for row in table if _plain(row.get(name)) is None]
        table = sorted(present, key=lambda row: _plain(row[name]), reverse=descending) + empty
    return table


def _sort_key(value: Any) -> tuple[bool, Any]:
    """Empty values after every other; the rest compare as themselves."""
    value = _plain(value)
    return (value is None, value if value is not None else 0)


def _plain(value: Any) -> Any:
    """A plain Python value: numpy scalars unwrapped, Decimal as float, NaN as None."""
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, Decimal):
        value = float(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _display(session: Session, compiled: CompiledQuery) -> tuple[str, dict[str, Any]]:
    """Each SELECT in the session's SQL dialect with named placeholders, and their values.
    With several SELECTs the placeholders are numbered per query (q1_..., q2_...)."""
    dialect = _named_dialect(session.get_bind().dialect)
    texts, params = [], {}
    for number, part in enumerate(compiled, start=1):
        compiled_sql = part.select.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        text, values = str(compiled_sql), dict(compiled_sql.params)
        if len(compiled) > 1:
            for name in sorted(values, key=len, reverse=True):
                text = text.replace(f":{name}", f":q{number}_{name}")
            values = {f"q{number}_{name}": value for name, value in values.items()}
        metrics = ", ".join(m.id for m in part.metrics)
        source = f"{part.source} (kept totals of {part.fact})" if part.source else part.fact
        texts.append(f"-- {metrics} from {source}\n{text}")
        params.update(values)
    return ";\n\n".join(texts), params


def _named_dialect(dialect: Dialect) -> Dialect:
    """The same dialect, writing placeholders as :name (readable, and keys of `params`)."""
    try:
        return type(dialect)(paramstyle="named")
    except TypeError:
        return dialect
