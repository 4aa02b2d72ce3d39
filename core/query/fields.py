"""Names -> SQL expressions on one fact: dimensions, custom fields, raw columns, and the filter
conditions built on them (values always bound, never written into the SQL text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, String, case, cast, func, or_, select

from core.errors import FieldError, ValidationError
from core.models import ENTITIES, Company, Contact, CustomFieldDefinition, User
from core.query.catalog import DIMENSION_NAMES, DIMENSIONS, Metric, lookup, normalise, supported_dimensions
from core.query.dimensions import Dimension, FieldRef
from core.query.facts import FACTS, Fact
from core.query.filters import Filter, condition
from core.query.sqlfuncs import time_bucket

ENTITY_OF = {model: name for name, model in ENTITIES.items()}
TEXT_EQUALITY = ("=", "!=", "in", "not in")


def query_error(field_name: str, message: str) -> ValidationError:
    return ValidationError([FieldError(field_name, message)], summary="Cannot run the query")


@dataclass
class Context:
    """What compiling needs besides the spec: who asks, the business date, and the database
    (for custom field definitions and saved segments; optional)."""

    user: User
    today: date
    now: datetime
    session: Any = None
    segment_depth: int = 0
    _definitions: list[CustomFieldDefinition] | None = field(default=None, repr=False)

    def definitions(self) -> list[CustomFieldDefinition]:
        if self._definitions is None:
            self._definitions = custom_definitions(self.session)
        return self._definitions


def custom_definitions(session: Any) -> list[CustomFieldDefinition]:
    if session is None:
        return []
    query = select(CustomFieldDefinition).where(CustomFieldDefinition.deleted_at.is_(None))
    return list(session.scalars(query))


def custom_dimension(name: str, session: Any = None) -> Dimension | None:
    """A custom field as a dimension: "custom.<name>" always; its bare name or label when a
    session can look the definitions up and exactly one field key matches."""
    definitions = custom_definitions(session)
    if name.lower().startswith("custom."):
        key = name[len("custom."):].strip()
        label = next((d.label for d in definitions if d.name == key), key)
        return Dimension(f"custom.{key}", label, f"Custom field {label}", custom=key)
    wanted = normalise(name)
    keys = sorted({d.name for d in definitions if wanted in (normalise(d.name), normalise(d.label))})
    if len(keys) > 1:
        options = ", ".join(f"custom.{key}" for key in keys)
        raise query_error("dimensions", f"{name!r} names several custom fields; use one of: {options}")
    return custom_dimension(f"custom.{keys[0]}", session) if keys else None


def custom_ref(key: str, fact: Fact, ctx: Context) -> FieldRef | None:
    """The custom field `key` of the fact itself, else of its contact, else of its company."""
    defined = {(d.entity, d.name): d for d in ctx.definitions()}
    candidates = [model for model in (fact.model, Contact, Company)
                  if getattr(model, "has_custom_fields", False) and fact.reach(model) is not None]
    if defined:  # with definitions at hand, only a table the field is defined on will do
        candidates = [m for m in candidates if (ENTITY_OF[m], key) in defined]
    if not candidates:
        return None
    model = candidates[0]
    definition = defined.get((ENTITY_OF[model], key))
    reach = fact.reach(model)
    return FieldRef(_custom_expr(model, key, definition), frozenset({reach} if reach else set()))


def _custom_expr(model: Any, key: str, definition: CustomFieldDefinition | None) -> ColumnElement[Any]:
    """Numbers as floats; checkboxes as 'yes'/'no'; everything else as text (the same text on
    both databases: SQLite's json_extract returns numbers, PostgreSQL's ->> returns text)."""
    value = model.custom[key]
    kind = definition.field_type if definition is not None else "text"
    if kind == "number":  # CAST again: SQLite's json_extract would return 3 for 3.0
        return cast(value.as_float(), Float)
    if kind == "checkbox":
        flag = value.as_boolean()
        return case((flag.is_(True), "yes"), (flag.is_(False), "no"))
    return cast(value.as_string(), String)


def dimension_ref(dimension: Dimension, fact: Fact, date_column: str | None,
                  ctx: Context) -> FieldRef | None:
    """`dimension` on `fact` (time dimensions bucket `date_column`); None when unreachable."""
    if dimension.grain is not None:
        if date_column is None:
            return None
        return FieldRef(time_bucket(getattr(fact.model, date_column), dimension.grain))
    if dimension.custom is not None:
        return custom_ref(dimension.custom, fact, ctx)
    for source in dimension.sources:
        ref = source.on(fact, ctx.today)
        if ref is not None:
            return ref
    return None


def require_dimension(dimension: Dimension, metric: Metric, ctx: Context) -> FieldRef:
    """`dimension` on the metric's fact, or an error naming what the metric supports."""
    ref = dimension_ref(dimension, FACTS[metric.fact], metric.date, ctx)
    if ref is not None:
        return ref
    why = " (it is a current figure with no date)" if dimension.grain and metric.date is None else ""
    supported = ", ".join(supported_dimensions(metric))
    raise query_error("dimensions", f"Metric '{metric.label}' ({metric.id}) cannot be broken down by "
                      f"'{dimension.label}'{why}. It supports: {supported}")


def filter_clause(item: Filter, metric: Metric, ctx: Context) -> tuple[ColumnElement[bool], frozenset[str]]:
    """The WHERE clause of one filter on the metric's fact, and the joins it needs."""
    from core.query.segments import segment_clause  # segments compile filters themselves

    fact = FACTS[metric.fact]
    if normalise(item.field) == "segment":
        return segment_clause(item, fact, ctx), frozenset()
    found = lookup(DIMENSION_NAMES, item.field)
    dimension = DIMENSIONS[found] if found else None
    if dimension is None and item.field in fact.model.__table__.columns and item.field != "custom":
        return condition(getattr(fact.model, item.field), item.op, item.value), frozenset()
    dimension = dimension or custom_dimension(item.field, ctx.session)
    if dimension is None:
        columns = ", ".join(c.name for c in fact.model.__table__.columns if c.name != "custom")
        raise query_error("filters", f"Unknown filter field {item.field!r} for '{metric.label}'. Use a "
                          f"dimension ({', '.join(supported_dimensions(metric))}) or a column ({columns})")
    ref = require_dimension(dimension, metric, ctx)
    value = _known_values(dimension, fact, item)
    # Vocabulary values are already in their stored spelling; open text (cities, names) ignores case.
    loose = dimension.case_insensitive and dimension.allowed_values(fact) is None and not dimension.grain
    return _compare(ref.expr, item.op, value, loose), ref.joins


def _known_values(dimension: Dimension, fact: Fact, item: Filter) -> Any:
    """Values of a fixed vocabulary in their stored spelling ("Not interested" -> not_interested);
    an unknown one is an error listing the known values, rather than a silent empty result."""
    allowed = dimension.allowed_values(fact)
    if allowed is None or item.op not in TEXT_EQUALITY or item.value is None:
        return item.value
    spelled = {normalise(v): v for v in allowed}
    values = item.value if isinstance(item.value, list | tuple | set) else [item.value]
    if isinstance(item.value, str) and item.op in ("in", "not in"):
        values = [part.strip() for part in item.value.split(",")]
    clean = []
    for value in values:
        if normalise(str(value)) not in spelled:
            raise query_error("filters", f"Unknown {dimension.label.lower()} {value!r} for {fact.id}. "
                              f"Known values: {', '.join(allowed)}")
        clean.append(spelled[normalise(str(value))])
    return clean if item.op in ("in", "not in") else clean[0]


def is_text(expr: Any) -> bool:
    """Whether an expression holds text (SQLModel's AutoString is not a String subclass)."""
    kind = expr.type
    return isinstance(getattr(kind, "impl_instance", kind), String)


def _compare(expr: ColumnElement[Any], op: str, value: Any, case_insensitive: bool) -> ColumnElement[bool]:
    """condition(), with text equality ignoring case ("milano" finds "Milano") for dimensions."""
    if not (case_insensitive and is_text(expr) and op in TEXT_EQUALITY):
        return condition(expr, op, value)
    if isinstance(value, str) and op in ("in", "not in"):
        value = [part.strip() for part in value.split(",")]
    lowered = [_lower(v) for v in value] if isinstance(value, list | tuple | set) else _lower(value)
    clause = condition(func.lower(expr, type_=String()), op, lowered)
    # NULL never equals anything: "city != Milano" keeps the rows without a city, as a person expects.
    return or_(clause, expr.is_(None)) if op in ("!=", "not in") and value is not None else clause


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value
