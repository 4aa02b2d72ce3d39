"""The id ranges of each import's bulk creation entry (audit_id_ranges), so that a record's history
finds the entry that created it by one index seek instead of reading every import's entry. Filled
here from the entries already written.

Revision ID: 0018
Revises: 0017
"""
import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ranges = op.create_table(
        'audit_id_ranges',
        sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('first_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['audit_log.id']),
        sa.PrimaryKeyConstraint('entity', 'first_id'),
        sqlite_with_rowid=False,
    )
    entries = op.get_bind().execute(sa.text(
        "SELECT id, entity, after FROM audit_log WHERE entity_id IS NULL AND action = 'create'"))
    rows = []
    for entry_id, entity, after in entries:
        after = json.loads(after) if isinstance(after, str) else after
        for first, last in (after or {}).get("ids") or ():
            rows.append({"entity": entity, "first_id": first, "last_id": last, "entry_id": entry_id})
    if rows:
        op.bulk_insert(ranges, rows)


def downgrade() -> None:
    op.drop_table('audit_id_ranges')
