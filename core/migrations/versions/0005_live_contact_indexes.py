"""Partial indexes of live contacts (deleted_at IS NULL) for grids, counts and name search.

They replace the full-table name, city and lower(name) indexes: grids, pickers and searches read
live rows only, and an index that holds the sort's tie-breakers (last name, first name, id) lets a
page, its offset and its count be read from the index without touching the table.

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")
TIE_BREAKERS = ["last_name", "first_name", "id"]
NEW = {
    "ix_contacts_live_name": TIE_BREAKERS,
    "ix_contacts_live_city_name": ["city", *TIE_BREAKERS],
    "ix_contacts_live_lower_last_name": [sa.text("lower(last_name)"), *TIE_BREAKERS],
    "ix_contacts_live_lower_first_name": [sa.text("lower(first_name)"), *TIE_BREAKERS],
    "ix_contacts_live_lower_email": [sa.text("lower(email)"), *TIE_BREAKERS, "email"],
}
OLD = {
    "ix_contacts_name": ["last_name", "first_name"],
    "ix_contacts_city_name": ["city", "last_name", "first_name"],
    "ix_contacts_lower_last_name": [sa.text("lower(last_name)")],
    "ix_contacts_lower_first_name": [sa.text("lower(first_name)")],
    "ix_contacts_lower_email": [sa.text("lower(email)")],
}


def upgrade() -> None:
    for name, columns in NEW.items():
        op.create_index(name, "contacts", columns, sqlite_where=LIVE, postgresql_where=LIVE)
    for name in OLD:
        op.drop_index(name, table_name="contacts")


def downgrade() -> None:
    for name, columns in OLD.items():
        op.create_index(name, "contacts", columns)
    for name in NEW:
        op.drop_index(name, table_name="contacts")
