"""Fixtures: a fresh database per test on SQLite, and on PostgreSQL when CRM_TEST_DATABASE_URL is set.

Every test that takes `engine` (or `session`) runs once per backend. SQLite gets a copy of a
migrated template file; PostgreSQL gets one migrated database per run, emptied between tests.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from core import config
from core.db import make_engine
from core.migrate import upgrade
from core.models import User, metadata

TODAY = date(2026, 6, 15)  # a Monday, mid-quarter, mid-year: pinned so dates are reproducible
PG_URL = os.environ.get("CRM_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> Iterator[date]:
    monkeypatch.setenv("CRM_TODAY", TODAY.isoformat())
    config.get_settings.cache_clear()
    yield TODAY
    config.get_settings.cache_clear()


@pytest.fixture(autouse=True)
def cold_result_cache() -> Iterator[None]:
    """Each test starts with an empty result cache: a PostgreSQL test database is emptied and its
    ids restart between tests, so two tests can reach the same data version with other data."""
    from core.analytics import cache

    cache.RESULTS.clear()
    yield
    cache.RESULTS.clear()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@contextmanager
def scratch_pg_database(prefix: str) -> Iterator[str]:
    """An empty PostgreSQL database of our own on the test server (its URL), dropped afterwards."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL: set CRM_TEST_DATABASE_URL (CI always does)")
    server = make_url(PG_URL).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:  # fails loudly when PostgreSQL is not there
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A migrated PostgreSQL database of our own for this run, dropped at the end."""
    with scratch_pg_database("crm_test") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path / "crm.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = make_engine(request.getfixturevalue("pg_database"))
        _empty_all_tables(engine)
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def insert_user(engine: Engine, username: str, role: str, team: str | None = "north",
                active: bool = True) -> User:
    """Insert a user directly (not through the services under test)."""
    with Session(engine, expire_on_commit=False) as session:
        user = User(username=username, display_name=username.title(), role=role, team=team,
                    active=active, password_hash=PasswordHasher().hash(PASSWORD))
        session.add(user)
        session.commit()
        return user


@pytest.fixture
def admin(engine: Engine) -> User:
    return insert_user(engine, "ada", "admin", team=None)


@pytest.fixture
def manager(engine: Engine) -> User:
    return insert_user(engine, "mia", "manager")


@pytest.fixture
def staff(engine: Engine) -> User:
    return insert_user(engine, "sam", "staff")


@pytest.fixture
def other_staff(engine: Engine) -> User:
    return insert_user(engine, "olga", "staff")


@pytest.fixture
def outsider(engine: Engine) -> User:
    """Staff in another team: a north manager must not see their records."""
    return insert_user(engine, "sven", "staff", team="south")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many hostile inputs the property tests tried (figures for the reliability table)."""
    from tests.hostile_values import EXAMPLES

    if EXAMPLES:
        terminalreporter.write_line("hostile inputs: " + ", ".join(
            f"{name} {number}" for name, number in sorted(EXAMPLES.items())))
