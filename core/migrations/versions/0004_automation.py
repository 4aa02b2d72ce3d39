"""Automation rules: the stage a stage_entered rule waits for, inline or queued runs, and the chain of
rules behind a run (loop protection across the queue).

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('automation_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('run_mode', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=False, server_default='inline'))
    with op.batch_alter_table('automation_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('automation_runs', schema=None) as batch_op:
        batch_op.drop_column('chain')
    with op.batch_alter_table('automation_rules', schema=None) as batch_op:
        batch_op.drop_column('run_mode')
        batch_op.drop_column('stage_id')
