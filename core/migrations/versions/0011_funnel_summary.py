"""The funnel summary (funnel_deals, funnel_stays): per deal its furthest stage and the columns the
funnel filters on, per stay its length in days. Derived data: built on first use.

Revision ID: 0011
Revises: 0010
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'funnel_deals',
        sa.Column('deal_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('pipeline_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('amount', sa.Float(), nullable=True),
        sa.Column('close_days', sa.Float(), nullable=True),
        sa.Column('furthest', sa.Integer(), nullable=True),
        sa.Column('stays', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('deal_id'),
    )
    op.create_index('ix_funnel_deals_groups', 'funnel_deals', ['owner_id', 'pipeline_id', 'furthest', 'stays',
                                                              'status', 'created_at', 'amount', 'close_days'])
    op.create_table(
        'funnel_stays',
        sa.Column('stay_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('pipeline_id', sa.Integer(), nullable=False),
        sa.Column('stage_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('days', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('stay_id'),
    )
    op.create_index('ix_funnel_stays_deal', 'funnel_stays', ['deal_id'])
    op.create_index('ix_funnel_stays_stage_days', 'funnel_stays',
                    ['stage_id', 'pipeline_id', 'days', 'created_at', 'owner_id'])


def downgrade() -> None:
    op.drop_index('ix_funnel_stays_stage_days', table_name='funnel_stays')
    op.drop_index('ix_funnel_stays_deal', table_name='funnel_stays')
    op.drop_table('funnel_stays')
    op.drop_index('ix_funnel_deals_groups', table_name='funnel_deals')
    op.drop_table('funnel_deals')
