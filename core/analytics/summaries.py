"""Derived summary tables kept in the database and brought up to date on read.

A summary (e.g. `core.analytics.purchases`) is a few tables computed from source tables, plus a
row in `summary_state` recording what it has folded in: per source table the highest id seen (its
"mark"), and the data version (`version.data_version`) it was last refreshed at. `refresh` runs
before a summary is read:

1. the data version is unchanged since the last refresh: nothing to do (one small query);
2. otherwise, in one transaction, serialised between processes (PostgreSQL: an advisory lock;
   SQLite: the database's write lock, taken by the first statement), the summary's `fold` is given
   the source rows added since the marks (`NewRows`) and recomputes only the keys they touch;
3. with no state yet (first use, or after `crm summaries rebuild`) `build` computes everything.

Refreshing on read, rather than from every write path, means no writer can forget a hook. Edits are
found through the rows they add: every service edit, soft delete and restore writes an audit_log
row (entity, entity_id), so a summary folds the audit rows above its mark together with the new
rows of its own source tables. An UPDATE typed into the database by hand bypasses the audit log:
`crm summaries rebuild` (or `rebuild`) recomputes from scratch.

A refresh never commits, flushes or rolls back the caller's session: it runs in its own connection
and transaction, on the caller's engine, and sees committed data only (a service that wrote
something and then reads a dashboard keeps its write pending, to commit or roll back as it
chooses). One exception, on SQLite: a caller whose transaction has already written holds the
database's write lock, which a second connection would wait for in vain. Such a refresh runs in the
caller's transaction instead, inside a savepoint: it folds the caller's uncommitted rows too, and
the summary is committed or rolled back with them (a failed fold rolls back to the savepoint only).
Changes still pending in the session (not flushed) are not the database's yet: they are neither
flushed nor folded, and fold in at the next refresh after their commit.

PostgreSQL hands out ids before commit, so a transaction that commits late can add a row with an id
below a mark already taken. The ids missing below a new mark are kept as "gaps" and looked at again
by the next folds for GAP_SECONDS; on SQLite, writers are serialised and this cannot happen.
"""

from __future__ import annotations

import importlib
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, or_, select, text, update
from sqlmodel import Session

from core.analytics.version import data_version
from core.audit_batches import NOT_BULK_CREATION_SQL
from core.config import now
from core.models import SummaryState

GAP_SECONDS = 600  # how long a missing id below a mark is waited for (a slow PostgreSQL commit)
MAX_GAP_SPAN = 10_000  # larger jumps (bulk loads) are not scanned for gaps
CHUNK = 500  # keys per IN (...) list when refolding


@dataclass(frozen=True)
class NewRows:
    """The rows of one source table not folded in yet: id in (after, upto], or one of `gaps`."""

    table: str
    after: int
    upto: int
    gaps: tuple[int, ...] = ()

    def where(self, column: str = "id") -> str:
        """A SQL condition on `column` (ids are integers we read ourselves: safe to inline)."""
        condition = f"({column} > {int(self.after)} AND {column} <= {int(self.upto)})"
        if self.gaps:
            condition += f" OR {column} IN ({', '.join(str(int(gap)) for gap in self.gaps)})"
        return f"({condition})"

    def clause(self, column: ColumnElement[int]) -> ColumnElement[bool]:
        """The same condition as a SQLAlchemy clause on `column` (for summaries written in Core)."""
        within = and_(column > self.after, column <= self.upto)
        return or_(within, column.in_(self.gaps)) if self.gaps else within

    @property
    def empty(self) -> bool:
        return self.upto <= self.after and not self.gaps


class RebuildNeeded(Exception):
    """Raised by a fold when a change cannot be folded key by key (e.g. a bulk audit entry)."""


@dataclass(frozen=True)
class Summary:
    """A summary's name, the source tables it follows by id, and how to build and fold it.

    `build(connection)` recomputes every row; `fold(connection, new)` recomputes the keys touched by
    `new` (NewRows per table in `tables`) and may raise RebuildNeeded. Both run inside the refresh
    transaction and must only write the summary's own tables."""

    name: str
    tables: tuple[str, ...]
    build: Callable[[Connection], None]
    fold: Callable[[Connection, dict[str, NewRows]], None]


REGISTRY: dict[str, Summary] = {}
# The modules that define summaries: each registers its own on import.
SUMMARY_MODULES = ("core.analytics.purchases", "core.analytics.basket_summary",
                   "core.analytics.funnel_summary", "core.analytics.potential_scores",
                   "core.analytics.campaign_summary", "core.query.rollup")


def register(summary: Summary) -> Summary:
    """Make `summary` known to `rebuild_all` (and so to `crm summaries rebuild`)."""
    REGISTRY[summary.name] = summary
    return summary


def registered() -> dict[str, Summary]:
    """Every summary, by name (their modules imported first, so none is missed)."""
    for module in SUMMARY_MODULES:
        importlib.import_module(module)
    return REGISTRY


def refresh(session: Session, summary: Summary) -> bool:
    """Bring `summary` up to date with the committed data, building it on first use; True when
    anything was folded or built. The caller's session is left as it was (see the module notes)."""
    with own_transaction(session) as connection:
        version = data_version(connection)
        state = _state(connection, summary.name)
        if state is not None and state["data_version"] == version:
            return False
        return _locked_refresh(connection, summary, version, rebuild=False)


def rebuild(session: Session, summary: Summary) -> None:
    """Recompute `summary` from scratch (after a change made outside the services)."""
    with own_transaction(session) as connection:
        _locked_refresh(connection, summary, data_version(connection), rebuild=True)


def rebuild_all(session: Session) -> dict[str, float]:
    """Rebuild every registered summary; seconds each took."""
    took = {}
    for name, summary in registered().items():
        began = time.perf_counter()
        rebuild(session, summary)
        took[name] = time.perf_counter() - began
    return took


def chunks(keys: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    """Sorted keys in lists of at most `size`, for `IN (...)` lists that stay within SQL limits."""
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


def refold(keys: set[int], refold_chunk: Callable[[list[int]], None], *, rebuild_above: int) -> None:
    """Refold the touched `keys` a chunk at a time; past `rebuild_above` of them a full build is
    cheaper than refolding key by key, so ask for one."""
    if len(keys) > rebuild_above:
        raise RebuildNeeded
    for chunk in chunks(keys):
        refold_chunk(chunk)


def ids_matching(connection: Connection, query: str, column: str, keys: Iterable[int]) -> set[int]:
    """The integers `query WHERE column IN (keys)` returns, asked a chunk of keys at a time."""
    found: set[int] = set()
    for chunk in chunks(keys):
        found |= ids(connection, f"{query} WHERE {in_list(column, chunk)}")
    return found


def in_list(column: str, keys: Sequence[int]) -> str:
    """`column IN (1, 2, 3)` for integer keys we read ourselves (safe to inline)."""
    return f"{column} IN ({', '.join(str(int(key)) for key in keys)})"


def ids(connection: Connection, sql: str) -> set[int]:
    """The integers the one-column query `sql` returns (NULLs left out)."""
    return {int(value) for value in connection.execute(text(sql)).scalars() if value is not None}


def audited_ids(connection: Connection, new: NewRows, entities: Sequence[str]) -> dict[str, set[int]]:
    """The records of `entities` named by the audit entries in `new` (edits, soft deletes, restores,
    owner changes): what a fold must look at again besides the new rows of its own tables."""
    names = ", ".join(f"'{entity}'" for entity in entities)  # our own constants: safe to inline
    # An import's one entry for the records it created names new rows only: each summary finds
    # those as new rows of its own source tables (a new record has no orders, lines or stays yet).
    entries = connection.execute(text(
        f"SELECT entity, entity_id FROM audit_log WHERE {new.where('id')} AND entity IN ({names}) "
        f"AND {NOT_BULK_CREATION_SQL}")).all()
    if any(entity_id is None for _, entity_id in entries):
        raise RebuildNeeded  # a bulk entry names no record
    named: dict[str, set[int]] = {entity: set() for entity in entities}
    for entity, entity_id in entries:
        named[entity].add(int(entity_id))
    return named


# ---- the transaction -------------------------------------------------------------------------------


@contextmanager
def own_transaction(session: Session) -> Iterator[Connection]:
    """A connection in a transaction of its own, committed when the block ends (rolled back if it
    raises); on SQLite, for a caller already holding the write lock, a savepoint of its transaction.
    For what a read keeps in the database (summaries, a fitted model) without touching the caller's
    session."""
    if _holds_sqlite_write_lock(session):
        connection = session.connection()
        with connection.begin_nested():
            yield connection
        return
    with _engine(session).begin() as connection:
        yield connection


def _holds_sqlite_write_lock(session: Session) -> bool:
    """Whether the session's transaction has written to a SQLite database (and so holds its write
    lock until it ends). The driver opens a transaction at the first write, never for a read."""
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return False
    if _in_memory(session):
        return True  # every connection of an in-memory database is the session's own
    driver = session.connection().connection.dbapi_connection
    return bool(getattr(driver, "in_transaction", False))


def _in_memory(session: Session) -> bool:
    return _engine(session).url.database in (None, "", ":memory:")


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _locked_refresh(connection: Connection, summary: Summary, version: str, *, rebuild: bool) -> bool:
    """Fold or build `summary` in `connection`'s transaction, serialised with other refreshes."""
    _lock(connection, summary.name)  # held until the transaction ends
    state = _state(connection, summary.name)
    if state is not None and state["data_version"] == version and not rebuild:
        return False  # another process refreshed it while we waited
    highs = _highest_ids(connection, summary.tables)
    marks = None if rebuild or state is None else state["marks"]
    if marks is None or set(marks.get("ids", {})) != set(summary.tables):
        summary.build(connection)
        gaps: dict[str, list[list[float]]] = {table: [] for table in summary.tables}
    else:
        gaps = _fold(connection, summary, marks, highs)
    _save_state(connection, summary.name, {"ids": highs, "gaps": gaps}, version)
    return True


def _fold(connection: Connection, summary: Summary, marks: dict[str, Any],
          highs: dict[str, int]) -> dict[str, list[list[float]]]:
    waiting = {table: [gap for gap in marks.get("gaps", {}).get(table, [])
                       if time.time() - gap[1] < GAP_SECONDS] for table in summary.tables}
    new = {table: NewRows(table, int(marks["ids"][table]), highs[table],
                          tuple(int(gap[0]) for gap in waiting[table])) for table in summary.tables}
    try:
        if any(not rows.empty for rows in new.values()):
            summary.fold(connection, new)
    except RebuildNeeded:
        summary.build(connection)
        return {table: [] for table in summary.tables}
    if connection.dialect.name != "postgresql":
        return {table: [] for table in summary.tables}
    return {table: _still_missing(connection, new[table], waiting[table]) for table in summary.tables}


def _still_missing(connection: Connection, rows: NewRows, waiting: list[list[float]]) -> list[list[float]]:
    """Ids at or below the new mark that no row has yet (a transaction may still commit them)."""
    candidates = {int(gap[0]): gap[1] for gap in waiting}
    if 0 < rows.upto - rows.after <= MAX_GAP_SPAN:
        candidates.update({i: time.time() for i in range(rows.after + 1, rows.upto + 1)})
    if not candidates:
        return []
    present: set[int] = set()
    for chunk in chunks(candidates):
        present |= set(connection.execute(text(f"SELECT id FROM {rows.table} WHERE {in_list('id', chunk)}"))
                       .scalars())
    return [[key, seen] for key, seen in sorted(candidates.items()) if key not in present]


def _lock(connection: Connection, name: str) -> None:
    """Serialise refreshes of one summary between processes until the transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(name.encode())})
    # Taking SQLite's write lock now (the first statement writes) rather than at the first INSERT
    # keeps two refreshes from interleaving and one from failing to upgrade a stale read.
    connection.execute(text("INSERT INTO summary_state (name, marks, data_version) VALUES (:name, '{}', '') "
                            "ON CONFLICT (name) DO NOTHING"), {"name": name})


def _state(connection: Connection, name: str) -> dict[str, Any] | None:
    table = SummaryState.__table__  # type: ignore[attr-defined]
    row = connection.execute(select(table.c.marks, table.c.data_version).where(table.c.name == name)).first()
    if row is None or not row.data_version:
        return None
    return {"marks": row.marks, "data_version": row.data_version}


def _save_state(connection: Connection, name: str, marks: dict[str, Any], version: str) -> None:
    table = SummaryState.__table__  # type: ignore[attr-defined]
    connection.execute(update(table).where(table.c.name == name)
                       .values(marks=marks, data_version=version, refreshed_at=now()))


def _highest_ids(connection: Connection, tables: Sequence[str]) -> dict[str, int]:
    selects = ", ".join(f"(SELECT max(id) FROM {table})" for table in tables)
    row = connection.execute(text(f"SELECT {selects}")).one()
    return {table: int(value or 0) for table, value in zip(tables, row, strict=True)}
