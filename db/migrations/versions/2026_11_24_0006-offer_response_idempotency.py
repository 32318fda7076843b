"""Offer responses: an idempotency key per caller, so a retried recordOfferResponse writes once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('offer_response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_offer_response_recorded_by_idempotency_key'), ['recorded_by', 'idempotency_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('offer_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_response_recorded_by_idempotency_key'))
        batch_op.drop_column('idempotency_key')
        batch_op.drop_column('recorded_by')
