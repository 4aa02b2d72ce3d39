"""Writing planned rows: explicit ids, chunked executemany inserts, progress, sequences, audit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Table, func, insert, select, text

from core.config import now
from core.demo.world import CHUNK, STEPS, World
from core.models import metadata


def table(name: str) -> Table:
    return metadata.tables[name]


def first_id(w: World, name: str) -> int:
    """The first free id: demo rows follow whatever the table holds (normally nothing)."""
    return int(w.session.scalar(select(func.max(table(name).c.id))) or 0) + 1


def count(w: World, name: str) -> int:
    return int(w.session.scalar(select(func.count()).select_from(table(name))) or 0)


def insert_rows(w: World, name: str, rows: Sequence[dict[str, Any]]) -> None:
    for begin in range(0, len(rows), CHUNK):
        w.session.execute(insert(table(name)), list(rows[begin:begin + CHUNK]))
    w.counts[name] = w.counts.get(name, 0) + len(rows)


def done(w: World, label: str) -> None:
    w.steps += 1
    if w.progress is not None:
        w.progress(label, min(1.0, w.steps / STEPS))


def write(w: World, name: str, rows: Sequence[dict[str, Any]]) -> None:
    insert_rows(w, name, rows)
    done(w, name)


def as_rows(size: int, columns: dict[str, Any]) -> list[dict[str, Any]]:
    """Columns -> row dicts. Arrays become Python values (drivers cannot adapt numpy types);
    a list or array is a column, anything else one value for every row."""
    names = list(columns)
    values = [_as_list(columns[name], size) for name in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _as_list(value: Any, size: int) -> list[Any]:
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value if isinstance(value, list) else [value] * size


def editable(created: Any, updated: Any = None) -> dict[str, Any]:
    """The columns every editable table carries (values or whole columns)."""
    return {"created_at": created, "updated_at": created if updated is None else updated,
            "version": 1, "deleted_at": None}


def nullable(values: list[Any], keep: np.ndarray) -> list[Any]:
    return [value if kept else None for value, kept in zip(values, keep.tolist(), strict=True)]


def fix_sequences(w: World) -> None:
    """Explicit ids leave PostgreSQL's sequences behind: move each to its table's highest id."""
    if w.session.get_bind().dialect.name != "postgresql":
        return
    for name in w.counts:  # our own table names, never user input
        w.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                               f"(SELECT max(id) FROM {name}))"))


def add_audit(w: World) -> None:
    """One audit row for the whole run: per-row audit of generated data would only be noise."""
    w.session.execute(insert(table("audit_log")).values(
        at=now(), user_id=w.users.get("admin"), source="cli", action="bulk", entity="demo",
        entity_id=None, before=None, after=dict(w.counts)))
    w.counts["audit_log"] = 1
    done(w, "audit_log")
