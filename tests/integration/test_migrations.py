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


def test_0018_keeps_the_id_ranges_of_the_imports_made_before_it(tmp_path) -> None:
    """A database upgraded from 0017 gets the ranges of its existing bulk creation entries, so
    the histories of records imported before the upgrade still find their import."""
    from alembic import command
    from sqlalchemy import text

    from core.migrate import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0017")
        connection.execute(text(
            "INSERT INTO audit_log (id, at, source, action, entity, entity_id, \"after\") VALUES "
            "(7, '2026-01-01 10:00:00', 'import', 'create', 'contacts', NULL, "
            "'{\"file\": \"a.csv\", \"records\": 5, \"ids\": [[1, 3], [6, 7]]}'), "
            "(8, '2026-01-02 10:00:00', 'import', 'create', 'companies', NULL, "
            "'{\"file\": \"a.csv\", \"records\": 1, \"ids\": [[4, 4]]}'), "
            "(9, '2026-01-03 10:00:00', 'app', 'create', 'contacts', 4, '{\"first_name\": \"Hand\"}')"))
    upgrade(engine)
    with engine.connect() as connection:
        assert sorted(connection.execute(text("SELECT * FROM audit_id_ranges")).all()) == [
            ("companies", 4, 4, 8), ("contacts", 1, 3, 7), ("contacts", 6, 7, 7)]
    engine.dispose()
