"""Campaign results kept in the database (campaign_answer_counts, campaign_reply_medians,
campaign_follow_ups), refreshed on read like the other summaries. Derived data: built on first use.
A covering index lets a fold recount one campaign's answers without reading its recipient rows.

Revision ID: 0014
Revises: 0013
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'campaign_answer_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('response', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column('dated', sa.Boolean(), nullable=False),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_campaign_answer_counts_campaign', 'campaign_answer_counts', ['campaign_id'])
    op.create_table(
        'campaign_reply_medians',
        sa.Column('campaign_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('median_days', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('campaign_id'),
    )
    op.create_table(
        'campaign_follow_ups',
        sa.Column('campaign_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('recipient_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('record_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('amount', sa.Float(), nullable=False),
        sa.Column('after_seconds', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('campaign_id', 'kind', 'recipient_id', 'record_id'),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_campaign_follow_ups_recipient', 'campaign_follow_ups', ['recipient_id'])
    op.create_index('ix_campaign_follow_ups_record', 'campaign_follow_ups', ['kind', 'record_id'])
    op.create_index('ix_campaign_recipients_answers', 'campaign_recipients',
                    ['campaign_id', 'status', 'response', 'sent_at', 'deleted_at'])


def downgrade() -> None:
    op.drop_index('ix_campaign_recipients_answers', table_name='campaign_recipients')
    op.drop_index('ix_campaign_follow_ups_record', table_name='campaign_follow_ups')
    op.drop_index('ix_campaign_follow_ups_recipient', table_name='campaign_follow_ups')
    op.drop_table('campaign_follow_ups')
    op.drop_table('campaign_reply_medians')
    op.drop_index('ix_campaign_answer_counts_campaign', table_name='campaign_answer_counts')
    op.drop_table('campaign_answer_counts')
