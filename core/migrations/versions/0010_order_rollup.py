"""Order rollups the semantic layer reads for orders, revenue, units and average order value:
per day, owner and status (order_rollup) and per day, owner, status and category
(order_category_rollup). Derived data: built on first use, or by `crm summaries rebuild`.

Revision ID: 0010
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _measures() -> list[sa.Column]:
    return [sa.Column('orders', sa.Integer(), nullable=False),
            sa.Column('revenue', sa.Float(), nullable=True),
            sa.Column('units', sa.Float(), nullable=True)]


def upgrade() -> None:
    op.create_table(
        'order_rollup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        *_measures(),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_order_rollup_day', 'order_rollup', ['day'])
    op.create_table(
        'order_category_rollup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        *_measures(),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_order_category_rollup_day', 'order_category_rollup', ['day'])


def downgrade() -> None:
    op.drop_index('ix_order_category_rollup_day', table_name='order_category_rollup')
    op.drop_table('order_category_rollup')
    op.drop_index('ix_order_rollup_day', table_name='order_rollup')
    op.drop_table('order_rollup')
