"""API tokens: opaque bearer tokens, stored as a keyed hash only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 19:47:24.286604
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import c360.database

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_token',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.Enum('admin', 'teller', 'marketing', 'service', 'partner', 'customer', name='role', native_enum=False, length=32), nullable=False),
    sa.Column('scopes', sa.String(length=600), nullable=False),
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('branch', sa.String(length=16), nullable=True),
    sa.Column('cost_budget', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', c360.database.UtcDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', c360.database.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', c360.database.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_api_token_customer_id_customer')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_api_token_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_customer_id'), ['customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_customer_id'))

    op.drop_table('api_token')
