"""Sales potential at scale: contact_features (a summary of what the model reads per contact,
refreshed on read) and potential_models (the fitted model per horizon, kept across processes).

Revision ID: 0013
Revises: 0012
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'contact_features',
        sa.Column('contact_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('created_day', sa.Integer(), nullable=True),
        sa.Column('birth_year', sa.Integer(), nullable=True),
        sa.Column('birth_md', sa.Integer(), nullable=True),
        sa.Column('gender', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('household_income', sa.Float(), nullable=True),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('revenue', sa.Float(), nullable=False),
        sa.Column('first_day', sa.Integer(), nullable=True),
        sa.Column('last_day', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('contact_id'),
    )
    op.create_index('ix_contact_features_owner', 'contact_features', ['owner_id'])
    op.create_index('ix_contact_features_last_day', 'contact_features', ['last_day'])
    op.create_table(
        'potential_models',
        sa.Column('horizon_days', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('data_key', sa.Text(), nullable=False),
        sa.Column('params', sa.Text(), nullable=False),
        sa.Column('fitted_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('horizon_days'),
    )


def downgrade() -> None:
    op.drop_table('potential_models')
    op.drop_index('ix_contact_features_last_day', table_name='contact_features')
    op.drop_index('ix_contact_features_owner', table_name='contact_features')
    op.drop_table('contact_features')
