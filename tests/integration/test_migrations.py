"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

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
