"""Customer change history: one row per changed field of a profile or a contact point.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 19:50:49.821959
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import c360.database

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('customer_change',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_point_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('via', sa.String(length=64), nullable=False),
    sa.Column('changed_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_change_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_change'))
    )
    with op.batch_alter_table('customer_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_change_customer_id_changed_at_id'), ['customer_id', 'changed_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customer_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_change_customer_id_changed_at_id'))

    op.drop_table('customer_change')
