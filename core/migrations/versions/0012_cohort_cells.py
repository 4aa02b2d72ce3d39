"""The cohort matrix's counts per order owner (cohort_cells), the contacts whose orders several owners
took (shared_customers), and an index on contact_purchases.last_day (the customers with an order
after a pinned "today"). Both tables belong to the purchases summary; they are counted here from
its tables as they stand, so an existing summary stays up to date without a rebuild.

Revision ID: 0012
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITHOUT_ROWID = {"sqlite_with_rowid": False}


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
    op.execute("INSERT INTO shared_customers (contact_id) SELECT contact_id FROM contact_purchases "
               "GROUP BY contact_id HAVING COUNT(*) > 1")
    op.execute("INSERT INTO cohort_cells (owner_key, cohort, month, customers, order_owner_id) "
               "SELECT p.owner_key, p.first_month, m.month, COUNT(*), NULLIF(p.owner_key, 0) "
               "FROM contact_purchases p JOIN contact_months m "
               "ON m.contact_id = p.contact_id AND m.owner_key = p.owner_key "
               "WHERE p.contact_id NOT IN (SELECT contact_id FROM shared_customers) "
               "GROUP BY p.owner_key, p.first_month, m.month")


def downgrade() -> None:
    op.drop_index('ix_contact_purchases_last_day', table_name='contact_purchases')
    op.drop_table('cohort_cells')
    op.drop_table('shared_customers')
