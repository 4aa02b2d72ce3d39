"""Filters: (field, operator, value) triples compiled to SQLAlchemy clauses with bound values.

Grids, segments, reports and the assistant all describe their filters this way; nothing builds
SQL text from user input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    false,
    func,
    not_,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement as Column

from core.errors import ValidationError

Operator = Literal[
    "=", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "starts with",
    "between", "is empty", "is not empty",
]
OPERATORS: tuple[str, ...] = Operator.__args__  # type: ignore[attr-defined]


class Filter(BaseModel):
    """One condition, e.g. Filter(field="city", op="=", value="Milano")."""

    model_config = ConfigDict(frozen=True)

    field: str
    op: Operator = "="
    value: Any = None


def condition(column: Column[Any], op: str, value: Any) -> ColumnElement[bool]:
    """The clause `column <op> value`, with value coerced to the column's type and bound."""
    if op == "is empty":
        return or_(column.is_(None), column == "") if _is_text(column) else column.is_(None)
    if op == "is not empty":
        return and_(column.is_not(None), column != "") if _is_text(column) else column.is_not(None)
    if op in ("in", "not in"):
        values = [_coerce(column, item) for item in _as_list(value)]
        clause = column.in_(values)
        return not_(clause) if op == "not in" else clause
    if op == "between":
        low, high = _as_list(value)[:2] if len(_as_list(value)) >= 2 else (None, None)
        if low is None or high is None:
            raise ValidationError.single("value", "between needs two values, e.g. [10, 20]")
        return column.between(_coerce(column, low), _coerce(column, high))
    if op in ("contains", "starts with"):
        text = _escape_like(_no_nul(str(value)).lower())
        pattern = f"%{text}%" if op == "contains" else f"{text}%"
        return func.lower(column).like(pattern, escape="\\")
    return _comparison(column, op, _coerce(column, value))


def bound_condition(column: Column[Any], op: str, value: Any, name: str
                    ) -> tuple[ColumnElement[bool], tuple[Any, ...], dict[str, Any]]:
    """`condition` with the value as named bound parameters: (clause, shape, values).

    Two filters with the same shape give the same clause, so a caller can build its statement
    once per shape and run it with each filter's values (SQLAlchemy then reuses the compiled SQL).
    The value is checked and coerced exactly as `condition` does.
    """
    if op in ("is empty", "is not empty"):
        return condition(column, op, value), (op,), {}
    if op in ("in", "not in"):
        values = [_coerce(column, item) for item in _as_list(value)]
        clause = column.in_(bindparam(name, expanding=True, type_=column.type))
        return (not_(clause) if op == "not in" else clause), (op,), {name: values}
    if op == "between":
        items = _as_list(value)
        low, high = items[:2] if len(items) >= 2 else (None, None)
        if low is None or high is None:
            raise ValidationError.single("value", "between needs two values, e.g. [10, 20]")
        clause = column.between(_bound(f"{name}_low", column), _bound(f"{name}_high", column))
        return clause, (op,), {f"{name}_low": _coerce(column, low), f"{name}_high": _coerce(column, high)}
    if op in ("contains", "starts with"):
        text = _escape_like(_no_nul(str(value)).lower())
        pattern = f"%{text}%" if op == "contains" else f"{text}%"
        return func.lower(column).like(bindparam(name), escape="\\"), (op,), {name: pattern}
    coerced = _coerce(column, value)
    if coerced is None and op in ("=", "!="):
        return _comparison(column, op, None), (op, None), {}
    return _comparison(column, op, _bound(name, column)), (op,), {name: coerced}


def _bound(name: str, column: Column[Any]) -> BindParameter[Any]:
    return bindparam(name, type_=column.type)


def _comparison(column: Column[Any], op: str, value: Any) -> ColumnElement[bool]:
    if value is None and op in ("=", "!="):
        return column.is_(None) if op == "=" else column.is_not(None)
    comparisons = {
        "=": column.__eq__, "!=": column.__ne__, "<": column.__lt__,
        "<=": column.__le__, ">": column.__gt__, ">=": column.__ge__,
    }
    if op not in comparisons:
        raise ValidationError.single("op", f"unknown operator {op!r}; use one of: {', '.join(OPERATORS)}")
    return comparisons[op](value)


def _is_text(column: Column[Any]) -> bool:
    kind = column.type
    if isinstance(getattr(kind, "impl_instance", kind), String):  # SQLModel's AutoString too
        return True
    try:
        return kind.python_type is str
    except NotImplementedError:
        return False


def _coerce(column: Column[Any], value: Any) -> Any:
    """Turn a typed-in value into the column's type, or explain what was expected."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise ValidationError.single(getattr(column, "key", "value"), f"{value} is too large a number")
    if isinstance(value, str):
        _no_nul(value)
    elif _is_text(column) and isinstance(value, int | float):
        return str(value)  # 42 typed for a text field means the text "42"
    elif _is_text(column) and not isinstance(value, date):
        raise ValidationError.single(getattr(column, "key", "value"), f"{value!r} is not a text")
    kind = column.type
    try:
        if isinstance(kind, DateTime) and not isinstance(value, datetime):
            return datetime.fromisoformat(str(value))
        if isinstance(kind, Date) and not isinstance(value, date):
            return date.fromisoformat(str(value)[:10])
        if isinstance(kind, Integer) and not isinstance(value, bool):
            number = int(value)
            if not -(2**63) <= number < 2**63:  # no stored integer is that big; SQLite cannot bind it
                raise ValueError(number)
            return number
        if isinstance(kind, Float):
            return float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
        name = getattr(column, "key", "value")
        expected = type(kind).__name__.lower()
        raise ValidationError.single(name, f"{value!r} is not a valid {expected}") from None
    return value


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set):
        return list(value)
    if isinstance(value, str) and "," in value:
        return [part.strip() for part in value.split(",")]
    return [value]


def _no_nul(text: str) -> str:
    """No stored text holds a NUL character (PostgreSQL cannot even compare with one)."""
    if "\x00" in text:
        raise ValidationError.single("value", "must not contain the NUL character (\\x00)")
    return text


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


MAX_PREFIX = 1_000  # characters: names and titles hold at most 300


def prefix_match(column: Any, prefix: str | BoundPrefix) -> ColumnElement[bool]:
    """lower(column) starts with `prefix`, written so the lower(column) index serves it.

    A range (>= prefix and < the next prefix) is a scan of that index on SQLite and PostgreSQL;
    the LIKE keeps the match exact whatever the collation puts inside the range. A `BoundPrefix`
    gives the same clause with the prefix as bound parameters (a statement built once per shape).
    """
    word = prefix if isinstance(prefix, BoundPrefix) else BoundPrefix.of(prefix, "prefix")
    if word.kind == "never":
        return false()
    parts = word.parts(bound=isinstance(prefix, BoundPrefix))
    starts = func.lower(column).like(parts["like"], escape="\\")
    if word.kind == "like":  # no next prefix: the LIKE alone
        return starts
    lowered = func.lower(column)
    return and_(lowered >= parts["low"], lowered < parts["high"], starts)


@dataclass(frozen=True)
class BoundPrefix:
    """A search word as named bound parameters: `kind` says which clause it needs ("range": an
    index range and a LIKE; "like": the LIKE alone, no next prefix exists; "never": longer than
    anything stored) and `values` are the parameters' values."""

    name: str
    kind: str
    values: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, prefix: str, name: str) -> BoundPrefix:
        prefix = prefix.replace("\x00", "")  # typed into a search box: nothing stored holds one
        if len(prefix) > MAX_PREFIX:  # longer than any name; SQLite refuses LIKE patterns over 50 kB
            return cls(name, "never")
        values = {f"{name}_like": _escape_like(prefix.lower()) + "%"}
        if not prefix or ord(prefix[-1]) >= 0x10FFFF:
            return cls(name, "like", values)
        values[f"{name}_low"] = prefix
        values[f"{name}_high"] = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return cls(name, "range", values)

    def parts(self, *, bound: bool) -> dict[str, Any]:
        """like, low, high: bound parameters, or (bound False) the values themselves."""
        names = {part: f"{self.name}_{part}" for part in ("like", "low", "high")}
        return {part: bindparam(key) if bound else self.values[key]
                for part, key in names.items() if key in self.values}


def live_prefix_ids(model: Any, fields: tuple[str, ...], word: str | BoundPrefix, carried: Any = (),
                    repeats: bool = False) -> CompoundSelect:
    """The ids (and `carried` columns) of live rows where one of `fields` starts with `word`
    (case-insensitive); with `repeats`, a row matching two fields comes twice (UNION ALL: no
    duplicates to remove, so a reader can stop early).

    Written as a UNION of one index range per field rather than an OR: each branch is a range of a
    partial lower(field) index, read without the table, where the OR made both engines scan the
    table row by row (SQLite's OR optimisation cannot use partial indexes).
    """
    branches = [select(model.id, *carried).where(model.deleted_at.is_(None),
                                                 prefix_match(getattr(model, f), word)) for f in fields]
    return union_all(*branches) if repeats else union(*branches)
