"""Basket counts refreshed on read, and a covering index of the stage history for the funnel.

Revision ID: 0008
Revises: 0006
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'basket_orders',
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('products', sa.Text(), nullable=False),
        sa.Column('categories', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('order_id'),
    )
    op.create_table(
        'basket_counts',
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('item_a', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('item_b', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'owner_id', 'item_a', 'item_b'),
    )
    op.create_index('ix_dsh_deal_stage_dates', 'deal_stage_history',
                    ['deal_id', 'stage_id', 'entered_at', 'exited_at'])


def downgrade() -> None:
    op.drop_index('ix_dsh_deal_stage_dates', table_name='deal_stage_history')
    op.drop_table('basket_counts')
    op.drop_table('basket_orders')
