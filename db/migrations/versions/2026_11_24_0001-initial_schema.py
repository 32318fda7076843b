"""Initial schema: customers, holdings, loyalty, warranty, interactions, consent, identity.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 17:33:42.025716
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import c360.database

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('customer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('party_type', sa.Enum('person', 'organisation', name='partytype', native_enum=False, length=32), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=True),
    sa.Column('family_name', sa.String(length=100), nullable=True),
    sa.Column('organisation_name', sa.String(length=200), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('search_name', sa.String(length=200), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('national_id_hash', sa.String(length=64), nullable=True),
    sa.Column('national_id_last4', sa.String(length=4), nullable=True),
    sa.Column('status', sa.Enum('prospect', 'active', 'dormant', 'closed', name='customerstatus', native_enum=False, length=32), nullable=False),
    sa.Column('segment', sa.Enum('mass', 'affluent', 'private', 'small_business', 'corporate', name='segment', native_enum=False, length=32), nullable=False),
    sa.Column('home_branch', sa.String(length=16), nullable=True),
    sa.Column('customer_since_date', sa.Date(), nullable=False),
    sa.Column('education', sa.Enum('primary', 'secondary', 'vocational', 'bachelor', 'master', 'doctorate', name='education', native_enum=False, length=32), nullable=True),
    sa.Column('income_band', sa.Enum('low', 'lower_middle', 'middle', 'upper_middle', 'high', name='incomeband', native_enum=False, length=32), nullable=True),
    sa.Column('occupation', sa.String(length=120), nullable=True),
    sa.Column('household_size', sa.SmallInteger(), nullable=True),
    sa.Column('interests', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('preferred_channel', sa.Enum('branch', 'phone', 'email', 'chat', 'web', 'mobile', name='channel', native_enum=False, length=32), nullable=True),
    sa.Column('preferred_language', sa.String(length=16), nullable=True),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.Column('created_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer'))
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_home_branch'), ['home_branch'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_national_id_hash'), ['national_id_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_search_name'), ['search_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_segment'), ['segment'], unique=False)

    op.create_table('loyalty_program',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('points_validity_months', sa.SmallInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_program')),
    sa.UniqueConstraint('code', name=op.f('uq_loyalty_program_code'))
    )
    op.create_table('partner',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner')),
    sa.UniqueConstraint('code', name=op.f('uq_partner_code'))
    )
    op.create_table('product',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('category', sa.Enum('deposit', 'lending', 'card', 'insurance', 'investment', 'retail_goods', name='productcategory', native_enum=False, length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('expected_annual_value', c360.database.Money(precision=18, scale=2), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('code', name=op.f('uq_product_code'))
    )
    op.create_table('attachment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=127), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('checksum_sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=512), nullable=False),
    sa.Column('created_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_attachment_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_attachment_storage_key'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_customer_id'), ['customer_id'], unique=False)

    op.create_table('consent',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('purpose', sa.Enum('marketing', 'profiling', 'partner_sharing', name='consentpurpose', native_enum=False, length=32), nullable=False),
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('captured_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_consent_customer_id_customer')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_consent_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_customer_id_purpose_partner_id_captured_at'), ['customer_id', 'purpose', 'partner_id', 'captured_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_partner_id_customer_id'), ['partner_id', 'customer_id'], unique=False)

    op.create_table('contact_point',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('email', 'phone', 'postal', name='contactkind', native_enum=False, length=32), nullable=False),
    sa.Column('label', sa.String(length=32), nullable=True),
    sa.Column('value', sa.String(length=320), nullable=False),
    sa.Column('search_key', sa.String(length=320), nullable=True),
    sa.Column('address_line1', sa.String(length=200), nullable=True),
    sa.Column('address_line2', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('verified_at', c360.database.UtcDateTime(timezone=True), nullable=True),
    sa.Column('valid_from', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.Column('valid_to', c360.database.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_contact_point_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_point'))
    )
    with op.batch_alter_table('contact_point', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_point_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_point_search_key'), ['search_key'], unique=False)

    op.create_table('holding',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role', sa.Enum('owner', 'joint', 'guarantor', name='holdingrole', native_enum=False, length=32), nullable=False),
    sa.Column('account_ref_masked', sa.String(length=40), nullable=False),
    sa.Column('account_ref_last4', sa.String(length=4), nullable=False),
    sa.Column('status', sa.Enum('pending', 'active', 'dormant', 'in_arrears', 'closed', name='holdingstatus', native_enum=False, length=32), nullable=False),
    sa.Column('opened_date', sa.Date(), nullable=False),
    sa.Column('closed_date', sa.Date(), nullable=True),
    sa.Column('balance', c360.database.Money(precision=18, scale=2), nullable=True),
    sa.Column('credit_limit', c360.database.Money(precision=18, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_holding_customer_id_customer')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_holding_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holding'))
    )
    with op.batch_alter_table('holding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holding_account_ref_last4'), ['account_ref_last4'], unique=False)
        batch_op.create_index(batch_op.f('ix_holding_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_holding_customer_id_status'), ['customer_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_holding_product_id'), ['product_id'], unique=False)

    op.create_table('loyalty_tier',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('program_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('rank', sa.SmallInteger(), nullable=False),
    sa.Column('threshold_points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['loyalty_program.id'], name=op.f('fk_loyalty_tier_program_id_loyalty_program')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_tier')),
    sa.UniqueConstraint('program_id', 'code', name=op.f('uq_loyalty_tier_program_id_code'))
    )
    with op.batch_alter_table('loyalty_tier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_tier_program_id'), ['program_id'], unique=False)

    op.create_table('source_record',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_system', sa.String(length=32), nullable=False),
    sa.Column('source_key', sa.String(length=128), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('received_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_source_record_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_record')),
    sa.UniqueConstraint('source_system', 'source_key', name=op.f('uq_source_record_source_system_source_key'))
    )
    with op.batch_alter_table('source_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_record_customer_id'), ['customer_id'], unique=False)

    op.create_table('warranty_policy',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('product_model', sa.String(length=120), nullable=False),
    sa.Column('manufacturer', sa.String(length=80), nullable=True),
    sa.Column('serial_number', sa.String(length=64), nullable=False),
    sa.Column('purchase_date', sa.Date(), nullable=False),
    sa.Column('coverage_start_date', sa.Date(), nullable=False),
    sa.Column('coverage_end_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('manufacturer', 'extended', name='warrantykind', native_enum=False, length=32), nullable=False),
    sa.Column('price_paid', c360.database.Money(precision=18, scale=2), nullable=False),
    sa.Column('coverage_value', c360.database.Money(precision=18, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('active', 'expired', 'cancelled', name='warrantystatus', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_warranty_policy_customer_id_customer')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_warranty_policy_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warranty_policy'))
    )
    with op.batch_alter_table('warranty_policy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warranty_policy_customer_id'), ['customer_id'], unique=False)

    op.create_table('interaction',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.Enum('branch', 'phone', 'email', 'chat', 'web', 'mobile', name='channel', native_enum=False, length=32), nullable=False),
    sa.Column('direction', sa.Enum('inbound', 'outbound', name='direction', native_enum=False, length=32), nullable=False),
    sa.Column('topic', sa.String(length=80), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('agent', sa.String(length=80), nullable=True),
    sa.Column('occurred_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.Column('holding_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('warranty_policy_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_interaction_customer_id_customer')),
    sa.ForeignKeyConstraint(['holding_id'], ['holding.id'], name=op.f('fk_interaction_holding_id_holding')),
    sa.ForeignKeyConstraint(['warranty_policy_id'], ['warranty_policy.id'], name=op.f('fk_interaction_warranty_policy_id_warranty_policy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interaction'))
    )
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_customer_id_occurred_at'), ['customer_id', 'occurred_at'], unique=False)

    op.create_table('loyalty_account',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('program_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_number', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('active', 'suspended', 'closed', name='loyaltyaccountstatus', native_enum=False, length=32), nullable=False),
    sa.Column('enrolled_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.Column('points_balance', sa.Integer(), nullable=False),
    sa.Column('lifetime_points', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_loyalty_account_customer_id_customer')),
    sa.ForeignKeyConstraint(['program_id'], ['loyalty_program.id'], name=op.f('fk_loyalty_account_program_id_loyalty_program')),
    sa.ForeignKeyConstraint(['tier_id'], ['loyalty_tier.id'], name=op.f('fk_loyalty_account_tier_id_loyalty_tier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_account')),
    sa.UniqueConstraint('customer_id', 'program_id', name=op.f('uq_loyalty_account_customer_id_program_id')),
    sa.UniqueConstraint('member_number', name=op.f('uq_loyalty_account_member_number'))
    )
    with op.batch_alter_table('loyalty_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_account_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loyalty_account_tier_id'), ['tier_id'], unique=False)

    op.create_table('support_ticket',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('open', 'pending', 'resolved', 'closed', name='ticketstatus', native_enum=False, length=32), nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='ticketpriority', native_enum=False, length=32), nullable=False),
    sa.Column('channel', sa.Enum('branch', 'phone', 'email', 'chat', 'web', 'mobile', name='channel', native_enum=False, length=32), nullable=True),
    sa.Column('opened_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', c360.database.UtcDateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('holding_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('warranty_policy_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_support_ticket_customer_id_customer')),
    sa.ForeignKeyConstraint(['holding_id'], ['holding.id'], name=op.f('fk_support_ticket_holding_id_holding')),
    sa.ForeignKeyConstraint(['warranty_policy_id'], ['warranty_policy.id'], name=op.f('fk_support_ticket_warranty_policy_id_warranty_policy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_ticket'))
    )
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_ticket_customer_id_status'), ['customer_id', 'status'], unique=False)

    op.create_table('warranty_claim',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('policy_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('defect_description', sa.Text(), nullable=False),
    sa.Column('reported_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'in_review', 'decided', name='claimstatus', native_enum=False, length=32), nullable=False),
    sa.Column('decision', sa.Enum('repair', 'replace', 'refund', 'rejected', name='claimdecision', native_enum=False, length=32), nullable=True),
    sa.Column('resolved_at', c360.database.UtcDateTime(timezone=True), nullable=True),
    sa.Column('amount', c360.database.Money(precision=18, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_warranty_claim_customer_id_customer')),
    sa.ForeignKeyConstraint(['policy_id'], ['warranty_policy.id'], name=op.f('fk_warranty_claim_policy_id_warranty_policy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warranty_claim'))
    )
    with op.batch_alter_table('warranty_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warranty_claim_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_warranty_claim_policy_id'), ['policy_id'], unique=False)

    op.create_table('loyalty_ledger_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('earn', 'redeem', 'expire', 'adjust', 'reversal', name='ledgerentrykind', native_enum=False, length=32), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('remaining_points', sa.Integer(), nullable=True),
    sa.Column('occurred_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', c360.database.UtcDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('source_ref', sa.String(length=64), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('reverses_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', c360.database.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['loyalty_account.id'], name=op.f('fk_loyalty_ledger_entry_account_id_loyalty_account')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_loyalty_ledger_entry_customer_id_customer')),
    sa.ForeignKeyConstraint(['reverses_entry_id'], ['loyalty_ledger_entry.id'], name=op.f('fk_loyalty_ledger_entry_reverses_entry_id_loyalty_ledger_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_ledger_entry')),
    sa.UniqueConstraint('account_id', 'idempotency_key', name=op.f('uq_loyalty_ledger_entry_account_id_idempotency_key'))
    )
    with op.batch_alter_table('loyalty_ledger_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_ledger_entry_account_id_occurred_at'), ['account_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_loyalty_ledger_entry_customer_id'), ['customer_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        _create_postgresql_search_indexes()


def _create_postgresql_search_indexes() -> None:
    # Partial, accent-free name search ("kowal" finds "Kowalska") uses trigrams;
    # pg_trgm is a trusted extension, so a database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX ix_customer_search_name_trgm ON customer "
        "USING gin (search_name gin_trgm_ops)"
    )
    # Phone and email lookups are prefix matches on search_key; under a non-C
    # collation only a pattern_ops index serves LIKE 'prefix%'.
    op.execute(
        "CREATE INDEX ix_contact_point_search_key_pattern ON contact_point "
        "(search_key text_pattern_ops)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_contact_point_search_key_pattern")
        op.execute("DROP INDEX IF EXISTS ix_customer_search_name_trgm")
    with op.batch_alter_table('loyalty_ledger_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_ledger_entry_customer_id'))
        batch_op.drop_index(batch_op.f('ix_loyalty_ledger_entry_account_id_occurred_at'))

    op.drop_table('loyalty_ledger_entry')
    with op.batch_alter_table('warranty_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warranty_claim_policy_id'))
        batch_op.drop_index(batch_op.f('ix_warranty_claim_customer_id'))

    op.drop_table('warranty_claim')
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_ticket_customer_id_status'))

    op.drop_table('support_ticket')
    with op.batch_alter_table('loyalty_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_account_tier_id'))
        batch_op.drop_index(batch_op.f('ix_loyalty_account_customer_id'))

    op.drop_table('loyalty_account')
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interaction_customer_id_occurred_at'))

    op.drop_table('interaction')
    with op.batch_alter_table('warranty_policy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warranty_policy_customer_id'))

    op.drop_table('warranty_policy')
    with op.batch_alter_table('source_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_record_customer_id'))

    op.drop_table('source_record')
    with op.batch_alter_table('loyalty_tier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_tier_program_id'))

    op.drop_table('loyalty_tier')
    with op.batch_alter_table('holding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holding_product_id'))
        batch_op.drop_index(batch_op.f('ix_holding_customer_id_status'))
        batch_op.drop_index(batch_op.f('ix_holding_customer_id'))
        batch_op.drop_index(batch_op.f('ix_holding_account_ref_last4'))

    op.drop_table('holding')
    with op.batch_alter_table('contact_point', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_point_search_key'))
        batch_op.drop_index(batch_op.f('ix_contact_point_customer_id'))

    op.drop_table('contact_point')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_partner_id_customer_id'))
        batch_op.drop_index(batch_op.f('ix_consent_customer_id_purpose_partner_id_captured_at'))

    op.drop_table('consent')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_customer_id'))

    op.drop_table('attachment')
    op.drop_table('product')
    op.drop_table('partner')
    op.drop_table('loyalty_program')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_segment'))
        batch_op.drop_index(batch_op.f('ix_customer_search_name'))
        batch_op.drop_index(batch_op.f('ix_customer_national_id_hash'))
        batch_op.drop_index(batch_op.f('ix_customer_home_branch'))
        batch_op.drop_index(batch_op.f('ix_customer_created_at'))

    op.drop_table('customer')
