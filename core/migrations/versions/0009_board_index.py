"""The pipeline board reads each stage's top deals (latest closed, then biggest) through an index
instead of ranking every deal of the pipeline.

Revision ID: 0009
Revises: 0004
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index('ix_deals_stage_closed_amount', ['stage_id', 'closed_at', 'amount'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_stage_closed_amount')
