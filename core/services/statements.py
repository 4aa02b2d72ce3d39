"""Statements built once per shape and kept: SQLAlchemy then skips building and compiling them.

Building a grid page's statements took most of its time (SQLAlchemy objects for every column,
label and clause, then the cache key computed from them). A statement object built once keeps its
cache key, so SQLAlchemy also finds its compiled SQL at once. The values are bound parameters given
at execution: a key holds the shape of a query (which columns, which filters and operators, how
many search words, the sort), never values typed by a person; the reader's id and team may be in
it, since they decide the visibility clause.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError

KEPT = 1024  # statements kept (a shape's statement and its compiled form); the oldest used goes first
_kept: OrderedDict[Hashable, Any] = OrderedDict()
_lock = threading.Lock()  # Streamlit runs sessions in threads
_NONE = object()  # a builder's None, kept too


def kept(key: Hashable | None, build: Callable[[], Any]) -> Any:
    """The statement built for `key`, built now if it is not kept yet (key None: never kept)."""
    if key is None:
        return build()
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return None if found is _NONE else found
    built = build()
    with _lock:
        _kept[key] = _NONE if built is None else built
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return built


# ---- a kept statement run on the driver's own cursor -----------------------------------------------


class Prepared:
    """A select compiled once for one dialect, whose rows come straight from the driver's cursor.

    A grid page is 100 rows of ~28 columns; SQLAlchemy's ORM execution (autoflush check, execution
    context, result metadata, Row objects) cost as much as the database did. Here only what makes
    the values right is kept: each bound value goes through its type's bind processor, each result
    column through its type's result processor (SQLite's dates and datetimes, JSON, booleans), as
    SQLAlchemy's own execution would do, so the rows hold the same Python values. Statements with
    values expanded at execution (`IN` lists) fall back to a Core execution (`runnable` False).
    """

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        self.statement = statement
        self.dialect = dialect
        compiled = statement.compile(dialect=dialect)
        self.compiled = compiled
        self.sql = compiled.string
        self.columns = tuple(statement.selected_columns.keys())
        self.types = tuple(column.type for column in statement.selected_columns)
        self.runnable = not (compiled.post_compile_params or compiled.literal_execute_params
                             or getattr(compiled, "escaped_bind_names", None))
        self.order = tuple(compiled.positiontup or ()) if compiled.positional else None
        binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                 for name, bind in compiled.binds.items()}
        self.bind_processors = tuple((name, process) for name, process in binds.items() if process)
        self._result_processors: list[tuple[int, Callable[[Any], Any]]] | None = None

    def rows(self, connection: Connection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The rows for `params` as tuples, in the statement's column order."""
        if not self.runnable or connection.engine.echo:  # echo: CRM_ECHO_SQL logs every statement
            return [tuple(row) for row in connection.execute(self.statement, params)]
        values = self.compiled.construct_params(params)
        for name, process in self.bind_processors:
            if name in values:
                values[name] = process(values[name])
        arguments = tuple(values[name] for name in self.order) if self.order is not None else values
        cursor = connection.connection.cursor()
        try:
            cursor.execute(self.sql, arguments)
            rows = cursor.fetchall()
            description = cursor.description
        except self.dialect.loaded_dbapi.Error as error:
            # the same exception SQLAlchemy raises, so callers and the session see no difference
            raise DBAPIError.instance(self.sql, arguments, error, self.dialect.loaded_dbapi.Error,
                                      dialect=self.dialect) from error
        finally:
            cursor.close()
        processors = self._processors(description)
        if not processors or not rows:
            return rows
        columns = list(zip(*rows, strict=True))
        for position, process in processors:
            columns[position] = tuple(map(process, columns[position]))
        return list(zip(*columns, strict=True))

    def scalar(self, connection: Connection, params: dict[str, Any]) -> Any:
        rows = self.rows(connection, params)
        return rows[0][0] if rows else None

    def _processors(self, description: Any) -> list[tuple[int, Callable[[Any], Any]]]:
        """Each column's result processor, found from the driver's type codes on the first run
        (PostgreSQL's processors depend on them); a statement's column types never change."""
        if self._result_processors is None:
            found = []
            for position, (kind, column) in enumerate(zip(self.types, description, strict=True)):
                process = kind.dialect_impl(self.dialect).result_processor(self.dialect, column[1])
                if process is not None:
                    found.append((position, process))
            self._result_processors = found
        return self._result_processors


def prepared(key: Hashable | None, build: Callable[[], Any], connection: Connection) -> Prepared:
    """The statement for `key` compiled for the connection's dialect, kept like the statements."""
    dialect = connection.dialect
    if key is None:
        return Prepared(build(), dialect)
    return kept(("prepared", dialect.name, dialect.driver, key), lambda: Prepared(kept(key, build), dialect))
