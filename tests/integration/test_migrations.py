"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.db import make_engine
from core.migrate import is_up_to_date, upgrade
from core.models import metadata
from tests.conftest import scratch_pg_database


def test_migrated_database_matches_the_models(engine) -> None:
    assert is_up_to_date(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_upgrade_is_idempotent(engine) -> None:
    upgrade(engine)
    assert is_up_to_date(engine)


@pytest.mark.timeout(120)  # without the lock the migrations block each other: fail, do not hang
def test_processes_starting_together_on_postgresql_migrate_one_after_the_other() -> None:
    """Two app processes starting at once on an empty PostgreSQL database both come up."""
    with scratch_pg_database("crm_race") as url:
        engines = [make_engine(url) for _ in range(3)]
        try:
            with ThreadPoolExecutor(len(engines)) as pool:
                list(pool.map(upgrade, engines))  # raises if any of them failed
            assert all(is_up_to_date(engine) for engine in engines)
        finally:
            for engine in engines:
                engine.dispose()
