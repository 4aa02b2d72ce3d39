"""Summary tables for the order analytics (order_facts, contact_purchases, contact_months) and
summary_state, the marks of what each summary has folded in. Derived data: built on first use.

Revision ID: 0006
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITHOUT_ROWID = {"sqlite_with_rowid": False}


def upgrade() -> None:
    op.create_table(
        'summary_state',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('marks', sa.JSON(), nullable=False),
        sa.Column('data_version', sa.Text(), nullable=False),
        sa.Column('refreshed_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'order_facts',
        sa.Column('order_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('order_owner_id', sa.Integer(), nullable=True),
        sa.Column('contact_owner_id', sa.Integer(), nullable=True),
        sa.Column('ordered_at', sa.DateTime(), nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('order_id'),
    )
    op.create_index('ix_order_facts_contact_day', 'order_facts', ['contact_id', 'day'])
    op.create_table(
        'contact_purchases',
        sa.Column('contact_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('owner_key', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('order_owner_id', sa.Integer(), nullable=True),
        sa.Column('contact_owner_id', sa.Integer(), nullable=True),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('revenue', sa.Float(), nullable=False),
        sa.Column('first_day', sa.Integer(), nullable=False),
        sa.Column('last_day', sa.Integer(), nullable=False),
        sa.Column('first_month', sa.Integer(), nullable=False),
        sa.Column('own_gap', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('contact_id', 'owner_key'),
        **WITHOUT_ROWID,
    )
    op.create_index('ix_contact_purchases_order_owner', 'contact_purchases', ['order_owner_id', 'contact_id'])
    op.create_index('ix_contact_purchases_contact_owner', 'contact_purchases',
                    ['contact_owner_id', 'contact_id'])
    op.create_table(
        'contact_months',
        sa.Column('contact_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('owner_key', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('order_owner_id', sa.Integer(), nullable=True),
        sa.Column('first_day', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('contact_id', 'owner_key', 'month'),
        **WITHOUT_ROWID,
    )
    op.create_index('ix_contact_months_order_owner', 'contact_months', ['order_owner_id', 'contact_id'])


def downgrade() -> None:
    op.drop_index('ix_contact_months_order_owner', table_name='contact_months')
    op.drop_table('contact_months')
    op.drop_index('ix_contact_purchases_contact_owner', table_name='contact_purchases')
    op.drop_index('ix_contact_purchases_order_owner', table_name='contact_purchases')
    op.drop_table('contact_purchases')
    op.drop_index('ix_order_facts_contact_day', table_name='order_facts')
    op.drop_table('order_facts')
    op.drop_table('summary_state')
