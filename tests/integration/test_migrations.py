"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.migrate import is_up_to_date, upgrade
from core.models import metadata


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
    import os
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from core.db import make_engine

    url = os.environ.get("CRM_TEST_DATABASE_URL", "")
    if not url:
        pytest.skip("needs PostgreSQL: set CRM_TEST_DATABASE_URL (CI always does)")
    server = make_url(url).set(drivername="postgresql+psycopg")
    name = f"crm_race_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engines = [make_engine(server.set(database=name).render_as_string(hide_password=False)) for _ in range(3)]
    try:
        with ThreadPoolExecutor(len(engines)) as pool:
            list(pool.map(upgrade, engines))  # raises if any of them failed
        assert all(is_up_to_date(engine) for engine in engines)
    finally:
        for engine in engines:
            engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
