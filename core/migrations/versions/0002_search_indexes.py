"""Expression indexes on lower(name) columns for case-insensitive prefix search.

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_contacts_lower_last_name": ("contacts", "last_name"),
    "ix_contacts_lower_first_name": ("contacts", "first_name"),
    "ix_contacts_lower_email": ("contacts", "email"),
    "ix_companies_lower_name": ("companies", "name"),
}


def upgrade() -> None:
    for name, (table, column) in INDEXES.items():
        op.create_index(name, table, [sa.text(f"lower({column})")])


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
