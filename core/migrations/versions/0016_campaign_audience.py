"""Campaign audience kept with the campaign results: each live recipient's outcome
(campaign_audience_recipients) and the counts per campaign, contact owner, live contact and outcome
(campaign_audience_counts), refreshed on read like the other summaries. Derived data: built on first use.

Revision ID: 0016
Revises: 0014
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0016'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'campaign_audience_recipients',
        sa.Column('recipient_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('live', sa.Boolean(), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint('recipient_id'),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_campaign_audience_recipients_sample', 'campaign_audience_recipients',
                    ['campaign_id', 'outcome', 'contact_id', 'live', 'owner_id'])
    op.create_table(
        'campaign_audience_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('live', sa.Boolean(), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_campaign_audience_counts_campaign', 'campaign_audience_counts', ['campaign_id'])
    # The campaign summary now keeps these tables too: forget what it had folded, so its next
    # refresh builds them (with the rest of it) instead of folding into empty tables.
    op.execute("DELETE FROM summary_state WHERE name = 'campaigns'")


def downgrade() -> None:
    op.execute("DELETE FROM summary_state WHERE name = 'campaigns'")
    op.drop_index('ix_campaign_audience_counts_campaign', table_name='campaign_audience_counts')
    op.drop_table('campaign_audience_counts')
    op.drop_index('ix_campaign_audience_recipients_sample', table_name='campaign_audience_recipients')
    op.drop_table('campaign_audience_recipients')
