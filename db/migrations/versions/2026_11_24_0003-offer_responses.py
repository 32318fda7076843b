"""Offer responses: a customer's reaction to a next-best-product offer.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 19:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import c360.database

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('offer_response',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('response', sa.Enum('accepted', 'rejected', 'ignored', name='offerresponsekind', native_enum=False, length=32), nullable=False),
    sa.Column('channel', sa.Enum('branch', 'phone', 'email', 'chat', 'web', 'mobile', name='channel', native_enum=False, length=32), nullable=False),
    sa.Column('model_version', sa.String(length=32), nullable=True),
    sa.Column('responded_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_offer_response_customer_id_customer')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_offer_response_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer_response'))
    )
    with op.batch_alter_table('offer_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_response_customer_id_responded_at'), ['customer_id', 'responded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_response_product_id'), ['product_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('offer_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_response_product_id'))
        batch_op.drop_index(batch_op.f('ix_offer_response_customer_id_responded_at'))

    op.drop_table('offer_response')
