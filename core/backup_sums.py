"""Row counts and checksums of every table, computed in Python from plain SELECTs.

They are how `crm backup` and `crm restore` prove a copy is exact: the numbers come from the rows
themselves, not from the tool that copied them (sqlite3's backup API, pg_dump/pg_restore).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

BATCH = 2000  # rows fetched at a time: memory stays flat on large tables


@dataclass(frozen=True)
class TableSum:
    rows: int
    sha256: str


def table_sums(connection: Any, dialect: str) -> dict[str, TableSum]:
    """{table: (row count, sha256 of its rows ordered by primary key)} for every table, through a
    DB-API connection (so a caller can take them inside the transaction a copy is made from)."""
    tables = _tables(connection.cursor(), dialect)
    sums = {}
    for number, (name, keys) in enumerate(tables.items()):
        # PostgreSQL: a server-side cursor, so a big table is not loaded into memory at once.
        named = dialect == "postgresql"
        cursor = connection.cursor(name=f"crm_sum_{number}") if named else connection.cursor()
        try:
            sums[name] = _table_sum(cursor, name, keys)
        finally:
            cursor.close()
    return sums


def _tables(cursor: Any, dialect: str) -> dict[str, list[str]]:
    """Every table name with its primary key columns (all columns when it has no primary key)."""
    if dialect == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                       "AND name NOT LIKE 'sqlite_%' ORDER BY name")
        names = [row[0] for row in cursor.fetchall()]
        return {name: _sqlite_order(cursor, name) for name in names}
    cursor.execute(
        "SELECT c.table_name, c.column_name, k.ordinal_position FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
        "AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' "
        "LEFT JOIN information_schema.table_constraints tc ON tc.table_schema = c.table_schema "
        "AND tc.table_name = c.table_name AND tc.constraint_type = 'PRIMARY KEY' "
        "LEFT JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name "
        "AND k.table_schema = c.table_schema AND k.column_name = c.column_name "
        "WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position"
    )
    columns: dict[str, list[tuple[int | None, str]]] = {}
    for table, column, key_position in cursor.fetchall():
        columns.setdefault(table, []).append((key_position, column))
    return {table: _key_or_all(found) for table, found in sorted(columns.items())}


def _sqlite_order(cursor: Any, table: str) -> list[str]:
    cursor.execute(f'PRAGMA table_info("{table}")')
    found = [(row[5] or None, row[1]) for row in cursor.fetchall()]  # (pk position, name)
    return _key_or_all(found)


def _key_or_all(columns: list[tuple[int | None, str]]) -> list[str]:
    keys = sorted((position, name) for position, name in columns if position)
    return [name for _, name in keys] or [name for _, name in columns]


def _table_sum(cursor: Any, table: str, order: list[str]) -> TableSum:
    digest, rows = hashlib.sha256(), 0
    order_by = ", ".join(f'"{name}"' for name in order)
    cursor.execute(f'SELECT * FROM "{table}" ORDER BY {order_by}')
    while batch := cursor.fetchmany(BATCH):
        for row in batch:
            digest.update(json.dumps(list(row), default=_plain, ensure_ascii=False,
                                     sort_keys=True).encode())
            digest.update(b"\n")
        rows += len(batch)
    return TableSum(rows, digest.hexdigest())


def _plain(value: Any) -> Any:
    """The stable text of a value JSON cannot hold as is (the driver's own types)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def differences(expected: dict[str, TableSum], actual: dict[str, TableSum]) -> list[str]:
    """One line per table whose rows differ (missing, extra, other count, other checksum)."""
    problems = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name), actual.get(name)
        if want is None:
            problems.append(f"{name}: not in the backup")
        elif got is None:
            problems.append(f"{name}: missing")
        elif want.rows != got.rows:
            problems.append(f"{name}: {got.rows} rows instead of {want.rows}")
        elif want.sha256 != got.sha256:
            problems.append(f"{name}: same {got.rows} rows count but different contents")
    return problems
