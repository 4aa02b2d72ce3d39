"""The cohort matrix's counts per order owner (cohort_cells), the contacts whose orders several owners
took (shared_customers), and an index on contact_purchases.last_day (the customers with an order
after a pinned "today"). Both tables belong to the purchases summary; they are counted here from
its tables as they stand, so an existing summary stays up to date without a rebuild.
Two covering indexes of live contacts for the segments page: new contacts per month, and customers
per age, gender and income band.

Revision ID: 0012
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITHOUT_ROWID = {"sqlite_with_rowid": False}
LIVE = sa.text("deleted_at IS NULL")
CONTACT_INDEXES = {
    "ix_contacts_live_created": ["created_at", "owner_id", "deleted_at"],
    "ix_contacts_live_customer_bands": ["lifecycle_stage", "owner_id", "birth_date", "gender", "household_income",
                                        "deleted_at"],
}


def upgrade() -> None:
    op.create_table(
        'shared_customers',
        sa.Column('contact_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('contact_id'),
    )
    op.create_table(
        'cohort_cells',
        sa.Column('owner_key', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('cohort', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('order_owner_id', sa.Integer(), nullable=True),
        sa.Column('customers', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('owner_key', 'cohort', 'month'),
        **WITHOUT_ROWID,
    )
    op.create_index('ix_contact_purchases_last_day', 'contact_purchases', ['last_day'])
    for name, columns in CONTACT_INDEXES.items():
        op.create_index(name, 'contacts', columns, sqlite_where=LIVE, postgresql_where=LIVE)
    op.execute("INSERT INTO shared_customers (contact_id) SELECT contact_id FROM contact_purchases "
               "GROUP BY contact_id HAVING COUNT(*) > 1")
    op.execute("INSERT INTO cohort_cells (owner_key, cohort, month, customers, order_owner_id) "
               "SELECT p.owner_key, p.first_month, m.month, COUNT(*), NULLIF(p.owner_key, 0) "
               "FROM contact_purchases p JOIN contact_months m "
               "ON m.contact_id = p.contact_id AND m.owner_key = p.owner_key "
               "WHERE p.contact_id NOT IN (SELECT contact_id FROM shared_customers) "
               "GROUP BY p.owner_key, p.first_month, m.month")


def downgrade() -> None:
    for name in CONTACT_INDEXES:
        op.drop_index(name, table_name='contacts')
    op.drop_index('ix_contact_purchases_last_day', table_name='contact_purchases')
    op.drop_table('cohort_cells')
    op.drop_table('shared_customers')
