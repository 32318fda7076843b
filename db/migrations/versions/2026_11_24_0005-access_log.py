"""The access audit: one row per customer per request that read its data.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import c360.database

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('access_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('accessed_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('field_groups', sa.String(length=200), nullable=False),
    sa.Column('operation_name', sa.String(length=100), nullable=True),
    sa.Column('operation_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=100), nullable=True),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_access_log_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log'))
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_log_customer_id_id'), ['customer_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_log_customer_id_id'))
    op.drop_table('access_log')
