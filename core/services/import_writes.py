"""Writing a checked import plan in the caller's transaction: bulk INSERT and UPDATE statements in
chunks; one audit row per updated record and per created order, and one for all the other records
an import creates of an entity (audit_batches), inserted in bulk too.

The ORM path (an object, a flush and an audit object per record) runs at a few hundred rows a second;
executemany of plain Core statements runs at tens of thousands.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import JSON, bindparam, func, insert, select, text, update
from sqlmodel import Session

from core.audit_batches import batch_after
from core.errors import ConflictError
from core.models import ENTITIES, AuditIdRange, AuditLog, Company, Contact, DealStageHistory, OrderLine
from core.services import permissions
from core.services.import_checks import Context, NewCompany, Plan, Planned
from core.services.import_columns import SchemaChecker
from core.services.schemas import CompanyIn

CHUNK = 5000  # rows per executemany: progress moves, and memory stays flat
ANALYZE_AFTER = 5000  # new rows after which PostgreSQL's statistics are refreshed
REBUILD_INDEXES_AFTER = 20_000  # new rows from which indexes may be built after the insert


SQLITE_IMPORT_CACHE_KIB = 128 * 1024  # page cache while an import writes (SQLite's default: 2 MiB)


def write_plan(ctx: Context, plan: Plan) -> None:
    ctx.to_write = len(plan.creates) + len(plan.updates) + len(plan.promotions)
    ctx.written = 0
    table = ENTITIES[ctx.entity].__table__  # type: ignore[attr-defined]
    with larger_sqlite_cache(ctx.session):
        create_companies(ctx, plan)
        with indexes_built_after(ctx.session, table, len(plan.creates)):
            WRITERS.get(ctx.entity, write_records)(ctx, plan)
    tables = [ENTITIES[ctx.entity].__table__, AuditLog.__table__]  # type: ignore[attr-defined]
    refresh_statistics(ctx.session, tables, len(plan.creates))


@contextmanager
def larger_sqlite_cache(session: Session) -> Iterator[None]:
    """A bigger page cache for SQLite while the rows go in: each new row touches every index of its
    table (ten for contacts), and with the default 2 MiB the index pages are evicted and read again
    over and over (measured: a quarter of the insert time for 100,000 contacts). Only pages really
    used are allocated, and the connection's own setting is restored afterwards."""
    if session.connection().dialect.name != "sqlite":
        yield
        return
    cursor = session.connection().connection.cursor()  # the driver's: usable even after a failed statement
    before = int(cursor.execute("PRAGMA cache_size").fetchone()[0])
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size={before}")


@contextmanager
def indexes_built_after(session: Session, table: Any, new_rows: int) -> Iterator[None]:
    """When a large file goes into a table that holds fewer rows than it brings (SQLite) or none
    at all (PostgreSQL), the table's plain (not unique) indexes are dropped and built again once
    the rows are in: sorting 100,000 keys into a fresh index costs less than 100,000 inserts into
    each of 13 (measured here, 100,000 contacts into an empty table: SQLite 3.2 s -> 1.9 s,
    PostgreSQL 8.8 s -> 6.7 s for the whole import). Into a larger table rebuilding would read every
    row it holds, so the indexes are kept. On PostgreSQL DROP INDEX also keeps every reader of the
    table waiting until the import commits, which harms no one only while the table is empty. The
    drop is part of the import's transaction: a failed or killed import rolls it back."""
    dialect = session.connection().dialect.name
    if new_rows < REBUILD_INDEXES_AFTER or not _may_rebuild(session, table, dialect, new_rows):
        yield
        return
    indexes = _plain_indexes(session, table, dialect)
    for name, _sql in indexes:
        session.execute(text(f'DROP INDEX "{name}"'))
    yield
    for _name, sql in indexes:
        session.execute(text(sql))


def _may_rebuild(session: Session, table: Any, dialect: str, new_rows: int) -> bool:
    if dialect == "sqlite":
        held = session.execute(select(func.max(table.c.id))).scalar() or 0  # ids only grow: an upper bound
        return held <= new_rows
    if dialect == "postgresql":
        return session.execute(select(table.c.id).limit(1)).first() is None
    return False


def _plain_indexes(session: Session, table: Any, dialect: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's indexes that enforce nothing."""
    if dialect == "sqlite":
        query = ("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table "
                 "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'")
    else:
        query = ("SELECT i.indexname, i.indexdef FROM pg_indexes i "
                 "JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = "
                 "(SELECT oid FROM pg_namespace WHERE nspname = i.schemaname) "
                 "JOIN pg_index x ON x.indexrelid = c.oid "
                 "WHERE i.schemaname = current_schema() AND i.tablename = :table AND NOT x.indisunique")
    return [(str(name), str(sql)) for name, sql in session.execute(text(query), {"table": table.name})]


def write_records(ctx: Context, plan: Plan) -> None:
    """Contacts, products and activities: new rows, changed rows, and their audit rows."""
    table = ENTITIES[ctx.entity].__table__  # type: ignore[attr-defined]
    insert_rows(ctx, table, [planned.values for planned in plan.creates])
    update_rows(ctx, table, plan.updates)
    write_bulk_creation(ctx, ctx.entity, [planned.values["id"] for planned in plan.creates])
    write_audit(ctx, [updated(ctx, ctx.entity, planned) for planned in plan.updates])


def write_deals(ctx: Context, plan: Plan) -> None:
    """Deals, and the stay of each in its stage (funnels and time in stage are read from it)."""
    write_records(ctx, plan)
    history = [{"deal_id": p.values["id"], "stage_id": p.values["stage_id"], "entered_at": p.extra,
                "exited_at": None, "changed_by_id": ctx.user.id} for p in plan.creates]
    insert_plain(ctx.session, DealStageHistory.__table__, history)  # type: ignore[attr-defined]


def write_orders(ctx: Context, plan: Plan) -> None:
    """Orders with their lines (audited together, as place_order does) and buyers made customers."""
    insert_rows(ctx, ENTITIES["orders"].__table__, [p.values for p in plan.creates])  # type: ignore[attr-defined]
    lines = [{**line, "order_id": p.values["id"]} for p in plan.creates for line in p.extra]
    insert_plain(ctx.session, OrderLine.__table__, lines)  # type: ignore[attr-defined]
    update_rows(ctx, Contact.__table__, plan.promotions)  # type: ignore[attr-defined]
    entries = [created(ctx, "orders", {**p.values, "lines": p.extra}) for p in plan.creates]
    entries += [updated(ctx, "contacts", planned) for planned in plan.promotions]
    write_audit(ctx, entries)


WRITERS: dict[str, Callable[[Context, Plan], None]] = {"deals": write_deals, "orders": write_orders}


def create_companies(ctx: Context, plan: Plan) -> None:
    """The companies the file names that do not exist: one each, however many rows name it."""
    if not ctx.new_companies:
        return
    permissions.require_write(ctx.session, ctx.user, "companies", None, new_owner_id=ctx.user.id)
    checker = SchemaChecker(CompanyIn)  # one per import: a checker is not shared between threads
    rows = [ctx.new_row({**company_values(checker, name), "owner_id": ctx.user.id})
            for name in ctx.new_companies.values()]
    ids = insert_rows(ctx, Company.__table__, rows, counted=False)  # type: ignore[attr-defined]
    ctx.companies.update(zip(ctx.new_companies, ids, strict=True))
    write_bulk_creation(ctx, "companies", ids)
    for planned in plan.creates + plan.updates:
        company = planned.values.get("company_id")
        if isinstance(company, NewCompany):
            planned.values["company_id"] = ctx.companies[company.key]


def company_values(checker: SchemaChecker, name: str) -> dict[str, Any]:
    """CompanyIn(name=name).model_dump(), checked a field at a time (thousands of new companies)."""
    clean, _problems = checker.check({"name": name})
    return clean if clean is not None else CompanyIn(name=name).model_dump()  # raises as it always did


# ---- statements ----------------------------------------------------------------------------------


def insert_rows(ctx: Context, table: Any, rows: list[dict[str, Any]], counted: bool = True) -> list[int]:
    """INSERT rows (every column but id); each row gets its new id, and the ids are returned."""
    if not rows:
        return []
    pending = assign_ids(ctx.session, table, rows)
    for start in range(0, len(pending), CHUNK):
        insert_plain(ctx.session, table, pending[start:start + CHUNK])
        if counted:
            advance(ctx, len(pending[start:start + CHUNK]))
    return [row["id"] for row in rows]


def assign_ids(session: Session, table: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give rows their ids before the INSERT, so that audit rows can name them without RETURNING
    (RETURNING through executemany measured 2-13k rows/s here; plain executemany 20-40k).
    Returns the rows still to insert."""
    dialect = session.connection().dialect.name
    pending = rows
    if dialect == "postgresql":
        sequence = func.nextval(func.pg_get_serial_sequence(table.name, "id"))
        ids = list(session.scalars(select(sequence).select_from(func.generate_series(1, len(rows)))))
    elif dialect == "sqlite":
        # SQLite numbers the first row; this transaction then holds the database's write lock
        # until it commits, so the numbers after it are free. The row goes in as the others do
        # (insert_plain: an audit value serialized already is not serialized again).
        insert_plain(session, table, rows[:1])
        first = session.connection().exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
        ids, pending = list(range(first, first + len(rows))), rows[1:]
    else:
        query = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids, pending = list(session.scalars(query, rows)), []
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    return pending


def insert_plain(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT rows that all have the same keys (ids included when they were assigned)."""
    if not rows:
        return
    if session.connection().dialect.name == "postgresql":
        copy_rows(session, table, rows)
        return
    statement, bound = bound_rows(session.connection().dialect, table, list(rows[0]))
    for start in range(0, len(rows), CHUNK):
        session.connection().exec_driver_sql(statement, bound(rows[start:start + CHUNK]))


Binder = Callable[[list[dict[str, Any]]], list[tuple[Any, ...]]]


def bound_rows(dialect: Any, table: Any, names: list[str]) -> tuple[str, Binder]:
    """The INSERT's SQL text, and a function turning rows into its parameter tuples with the
    columns' own bind processors (dates as SQLite text, JSON serialized, as session.execute would).
    session.execute(insert(table), rows) spends more time per row in SQLAlchemy's generic
    parameter handling than SQLite spends inserting it; here each distinct date or flag is
    converted once, and the executemany goes straight to the driver."""
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    order = list(compiled.positiontup or names)
    conversions = [(position, _converter(table.c[name].type, processor))
                   for position, name in enumerate(order)
                   if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))]
    pick = operator.itemgetter(*order)

    def bound(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        if not conversions:
            return [pick(row) for row in rows] if len(order) > 1 else [(pick(row),) for row in rows]
        out = []
        for row in rows:
            values = list(pick(row)) if len(order) > 1 else [pick(row)]
            for position, convert in conversions:
                values[position] = convert(values[position])
            out.append(tuple(values))
        return out

    return str(compiled), bound


def _converter(column_type: Any, processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    if isinstance(column_type, JSON):
        return _json_text(processor)
    return _memoized(processor)


def _json_text(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A JSON column's processor, with audit values serialized already (JsonText) passed as they
    are and the empty list and dict every new contact has converted once."""
    empty = {list: processor([]), dict: processor({})}

    def convert(value: Any) -> Any:
        if value.__class__ is JsonText:
            return str(value)
        if not value and value.__class__ in empty:
            return empty[value.__class__]
        return processor(value)

    return convert


def _memoized(processor: Callable[[Any], Any], limit: int = 4096) -> Callable[[Any], Any]:
    """The processor, remembering its result for up to `limit` distinct hashable values (an import
    writes the same timestamp, flags and blanks on every row)."""
    memo: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return memo[value]
        except KeyError:
            result = processor(value)
            if len(memo) < limit:
                memo[value] = result
            return result
        except TypeError:  # unhashable: JSON dicts and lists
            return processor(value)

    return convert


def copy_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY: psycopg's executemany still costs a round trip per row (measured
    ~7k rows/s here); COPY streams the rows in the same transaction."""
    from psycopg.types.json import Json  # PostgreSQL only: SQLite never needs the driver

    def as_json(value: Any) -> Any:
        return str(value) if value.__class__ is JsonText else Json(value)

    names = list(rows[0])
    wrap = [isinstance(table.c[name].type, JSON) for name in names]  # JSON None stays JSON null,
    columns = ", ".join(f'"{name}"' for name in names)  # as the ORM stores it
    cursor = session.connection().connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([as_json(value) if json else value
                            for value, json in zip(row.values(), wrap, strict=True)])


def refresh_statistics(session: Session, tables: list[Any], rows: int) -> None:
    """After a big load, PostgreSQL's planner still believes the table is small until autovacuum
    gets to it, and scans it whole for every lookup (a re-import of 100k contacts took minutes).
    SQLite's planner needs no statistics to use an index."""
    if rows >= ANALYZE_AFTER and session.connection().dialect.name == "postgresql":
        for table in tables:
            session.execute(text(f'ANALYZE "{table.name}"'))


def update_rows(ctx: Context, table: Any, updates: list[Planned]) -> None:
    """UPDATE the changed columns, grouped by which columns changed (one executemany per group),
    each guarded by the version read during the checks, as the ORM's version counter does."""
    groups: dict[tuple[str, ...], list[Planned]] = {}
    for planned in updates:
        groups.setdefault(tuple(sorted(planned.values)), []).append(planned)
    for columns, items in groups.items():
        statement = update(table).where(
            table.c.id == bindparam("w_id"), table.c.version == bindparam("w_version")
        ).values({name: bindparam(f"v_{name}") for name in columns})
        params = [{"w_id": p.current["id"], "w_version": p.current["version"],  # type: ignore[index]
                   **{f"v_{name}": p.values[name] for name in columns}} for p in items]
        for start in range(0, len(params), CHUNK):
            _execute_guarded(ctx.session, statement, params[start:start + CHUNK])
            advance(ctx, len(params[start:start + CHUNK]))


def _execute_guarded(session: Session, statement: Any, params: list[dict[str, Any]]) -> None:
    result = session.execute(statement, params)
    if session.connection().dialect.supports_sane_multi_rowcount and result.rowcount != len(params):
        raise ConflictError(
            f"{len(params) - result.rowcount} of the records in this file were changed by someone else "
            "while it was being imported; nothing was written. Import the file again."
        )


# ---- audit ---------------------------------------------------------------------------------------


def created(ctx: Context, entity: str, values: dict[str, Any]) -> dict[str, Any]:
    return entry(ctx, "create", entity, values["id"], None, values)


def write_bulk_creation(ctx: Context, entity: str, ids: list[int]) -> None:
    """One entry for the records of `entity` this import created (none when it created none), and
    its id ranges. Orders keep an entry each: the order rollup reads each order's lines from it."""
    if not ids:
        return
    after = batch_after(ctx.file_name, ids)
    bulk = entry(ctx, "create", entity, None, None, after)
    [entry_id] = insert_rows(ctx, AuditLog.__table__, [bulk], counted=False)  # type: ignore[attr-defined]
    insert_plain(ctx.session, AuditIdRange.__table__,  # type: ignore[attr-defined]
                 [{"entity": entity, "first_id": first, "last_id": last, "entry_id": entry_id}
                  for first, last in after["ids"]])


def updated(ctx: Context, entity: str, planned: Planned) -> dict[str, Any]:
    """Before and after of the changed columns only (version included), as records.audit keeps."""
    current = planned.current or {}
    before = {name: current.get(name) for name in planned.values}
    return entry(ctx, "update", entity, current["id"], before, planned.values)


def entry(ctx: Context, action: str, entity: str, entity_id: int | None, before: dict[str, Any] | None,
          after: dict[str, Any]) -> dict[str, Any]:
    return {"at": ctx.now, "user_id": ctx.user.id, "source": ctx.source, "action": action,
            "entity": entity, "entity_id": entity_id, "before": jsonable(before), "after": jsonable(after)}


class JsonText(str):
    """An audit value serialized already: inserted as it is, not serialized again."""


def jsonable(values: dict[str, Any] | None) -> JsonText | None:
    """The values as JSON text, dates in ISO form (everything else an import stores is JSON
    already: custom values are coerced to text, numbers and booleans). One json.dumps call per
    record, dates converted by its `default` hook, instead of copying every record first."""
    if values is None:
        return None
    return JsonText(json.dumps(values, default=_iso_date))


def _iso_date(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def write_audit(ctx: Context, entries: list[dict[str, Any]]) -> None:
    insert_plain(ctx.session, AuditLog.__table__, entries)  # type: ignore[attr-defined]


def advance(ctx: Context, rows: int) -> None:
    ctx.written += rows
    ctx.progress(0.5 + 0.5 * min(ctx.written / max(ctx.to_write, 1), 1.0))
