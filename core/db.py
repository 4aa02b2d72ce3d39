"""Engine and sessions. SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL is used as is."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from core.config import get_settings


def freeze_long_lived_objects() -> None:
    """Hide the objects alive now (modules, mappings, the engine) from the garbage collector.

    A full collection walks every tracked object; in a process that has loaded the app it took
    230-570 ms, once in every 15 or so contact pages (the p95 of the contact 360 benchmark).
    Frozen objects are never walked again, so later collections only see what pages create.
    """
    gc.freeze()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    settings = get_settings()
    url = url or settings.database_url
    parsed = make_url(url)
    # SQL logs (CRM_ECHO_SQL) and database error messages never carry bound values: they would
    # otherwise show password hashes and customers' data.
    kwargs.setdefault("hide_parameters", True)
    if parsed.drivername in ("postgresql", "postgres"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.drivername.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=settings.echo_sql,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.sqlite_busy_timeout_ms / 1000,
            },
            **kwargs,
        )
        _install_sqlite_pragmas(engine, settings.sqlite_busy_timeout_ms)
        return engine
    connect_args = kwargs.setdefault("connect_args", {})
    # A server that does not answer (a firewall dropping packets) fails after 10 s, not minutes.
    if "connect_timeout" not in parsed.query:
        connect_args.setdefault("connect_timeout", 10)
    # PostgreSQL's JIT compiles a statement whose estimated cost passes jit_above_cost before
    # running it. On the summaries' reads (estimates inflated by correlated subqueries) compiling
    # took 0.2-3.9 s for statements that run in 0.1 s; no read here runs long enough to gain from it.
    connect_args.setdefault("options", "-c jit=off")
    return create_engine(url, echo=settings.echo_sql, pool_pre_ping=True, **kwargs)


def _install_sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers work while one writer commits; NORMAL sync is safe with WAL.
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (engines hold the connection pool)."""
    return make_engine(url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session for one unit of work; rolled back if the block raises."""
    session = Session(engine or get_engine(), expire_on_commit=False)
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
