"""The few SQL expressions SQLite and PostgreSQL spell differently, as dialect-aware constructs.

Each construct compiles to the native spelling of the database it runs on, so the compiler builds
one expression tree and both databases return the same values (the labels of time buckets are
byte-identical strings: '2026-03-15', '2026-W11', '2026-03', '2026-Q1', '2026').
Only constant text written here reaches the SQL; values always travel as bound parameters.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Date, Float, String, cast, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

GRAINS = ("day", "week", "month", "quarter", "year")
_PG_FORMATS = {
    "day": "YYYY-MM-DD", "week": 'IYYY-"W"IW', "month": "YYYY-MM",
    "quarter": 'YYYY-"Q"Q', "year": "YYYY",
}
_SQLITE_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}


class time_bucket(FunctionElement[str]):
    """The label of the day/week/month/quarter/year a datetime falls in, as sortable text."""

    type = String()
    name = "time_bucket"
    inherit_cache = True
    # The grain is part of the statement cache key, otherwise a cached 'month' could serve 'week'.
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own declaration style
        *FunctionElement._traverse_internals, ("grain", InternalTraversal.dp_string)]

    def __init__(self, column: Any, grain: str):
        if grain not in GRAINS:
            raise ValueError(f"unknown grain {grain!r}")
        self.grain = grain
        super().__init__(column)


@compiles(time_bucket, "postgresql")
def _time_bucket_pg(element: time_bucket, compiler: Any, **kw: Any) -> str:
    column = compiler.process(next(iter(element.clauses)), **kw)
    return f"to_char({column}, '{_PG_FORMATS[element.grain]}')"


@compiles(time_bucket)
def _time_bucket_sqlite(element: time_bucket, compiler: Any, **kw: Any) -> str:
    column = compiler.process(next(iter(element.clauses)), **kw)
    if element.grain in _SQLITE_FORMATS:
        return f"strftime('{_SQLITE_FORMATS[element.grain]}', {column})"
    if element.grain == "quarter":
        return (f"(strftime('%Y', {column}) || '-Q' || "
                f"((CAST(strftime('%m', {column}) AS INTEGER) + 2) / 3))")
    # ISO week: the week belongs to the year of its Thursday (SQLite < 3.46 has no %V / %G).
    thursday = f"date({column}, '-' || ((CAST(strftime('%w', {column}) AS INTEGER) + 6) % 7) || ' days', " \
               f"'+3 days')"
    return (f"(strftime('%Y', {thursday}) || '-W' || "
            f"printf('%02d', (CAST(strftime('%j', {thursday}) AS INTEGER) - 1) / 7 + 1))")


class calendar_day(FunctionElement[Any]):
    """The date a datetime falls on: 'YYYY-MM-DD' text on SQLite (how it stores a DATE), a DATE on
    PostgreSQL; a datetime compared with `start_of_day(d)` and this compared with `d` agree."""

    type = Date()
    name = "calendar_day"
    inherit_cache = True


class days_between(FunctionElement[float]):
    """(later - earlier) in days, fractional: julianday on SQLite, EXTRACT(EPOCH) on PostgreSQL."""

    type = Float()
    name = "days_between"
    inherit_cache = True

    def __init__(self, later: Any, earlier: Any):
        super().__init__(later, earlier)


def ratio(numerator: ColumnElement[Any], denominator: ColumnElement[Any], *,
          in_cents: bool = False) -> ColumnElement[Any]:
    """numerator / denominator as a float (no integer truncation on either database), NULL when the
    denominator is 0 or missing rather than an error.

    `in_cents` rounds a sum of amounts to cents first: amounts are floats holding whole cents, and
    a float sum depends on the order rows are added in (2105.0 or 2105.0000000001), which would
    tip an average of exactly half a cent (263.125) either way depending on the plan or the table
    read (fact rows or a rollup); rounded first, every plan gives the same figure."""
    if in_cents:
        numerator = cents(numerator)
    divide = cast(func.coalesce(numerator, 0), Float).op("/", return_type=Float)
    return divide(func.nullif(denominator, 0))


class cents(FunctionElement[float]):
    """A float rounded to 2 decimals (PostgreSQL rounds only NUMERIC to a number of places)."""

    type = Float()
    name = "cents"
    inherit_cache = True


class binary_order(FunctionElement[str]):
    """Text compared by code point on both databases (PostgreSQL's locale collation differs from
    SQLite's binary one), so ORDER BY ... LIMIT keeps the same rows everywhere."""

    type = String()
    name = "binary_order"
    inherit_cache = True


def _spell(construct: type[FunctionElement[Any]], *, postgresql: str, sqlite: str) -> None:
    """Compile `construct` from a template per database; {0}, {1}... are its compiled arguments."""

    def compile_with(template: str) -> Any:
        def compile_construct(element: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
            return template.format(*(compiler.process(clause, **kw) for clause in element.clauses))
        return compile_construct

    compiles(construct, "postgresql")(compile_with(postgresql))
    compiles(construct)(compile_with(sqlite))


_spell(calendar_day, postgresql="CAST({0} AS DATE)", sqlite="date({0})")
_spell(days_between, postgresql="(CAST(EXTRACT(EPOCH FROM ({0} - {1})) AS FLOAT) / 86400.0)",
       sqlite="(julianday({0}) - julianday({1}))")
_spell(cents, postgresql="ROUND(CAST({0} AS NUMERIC), 2)", sqlite="ROUND({0}, 2)")
_spell(binary_order, postgresql='({0}) COLLATE "C"', sqlite="{0}")
