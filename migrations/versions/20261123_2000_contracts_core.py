"""contracts, parties, options, KPIs, payments, partnership agreements

Revision ID: e1f2a3b42000
Revises: d4e5f6a71930
Create Date: 2026-11-23 20:00:00

"""
from alembic import op
import sqlalchemy as sa

import koepel.platform.money  # noqa: F401  (custom column types)
import koepel.platform.timeutil  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'e1f2a3b42000'
down_revision = 'd4e5f6a71930'
branch_labels = None
depends_on = None


TENANT_TABLES = ('contract', 'contract_lot', 'contract_party', 'contract_signature', 'contract_option', 'contract_document', 'contract_kpi', 'kpi_value', 'contract_payment', 'contract_settlement', 'partnership_agreement', 'partnership_criterion')


def upgrade():
    op.create_table('partnership_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('mission', sa.Text(), nullable=False),
    sa.Column('way_of_working', sa.Text(), nullable=False),
    sa.Column('own_contact', sa.String(length=300), nullable=False),
    sa.Column('partner_contact', sa.String(length=300), nullable=False),
    sa.Column('money_description', sa.Text(), nullable=False),
    sa.Column('money_percentage', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('money_amount', koepel.platform.money.MoneyType(precision=14, scale=2), nullable=True),
    sa.Column('responsible_id', sa.Integer(), nullable=False),
    sa.Column('responsibility_note', sa.Text(), nullable=False),
    sa.Column('professional_share', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('volunteer_share', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('family_share', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('deviations', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'active', 'ended', name='partnershipstatus', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=False),
    sa.Column('agreed_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('agreed_by_id', sa.Integer(), nullable=True),
    sa.Column('predecessor_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('money_percentage IS NULL OR (money_percentage >= 0 AND money_percentage <= 100)', name=op.f('ck_partnership_agreement_money_percentage_range')),
    sa.CheckConstraint('professional_share + volunteer_share + family_share = 100', name=op.f('ck_partnership_agreement_split_is_100')),
    sa.ForeignKeyConstraint(['agreed_by_id'], ['user_account.id'], name=op.f('fk_partnership_agreement_agreed_by_id_user_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_partnership_agreement_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['partner_id'], ['organisation.id'], name=op.f('fk_partnership_agreement_partner_id_organisation')),
    sa.ForeignKeyConstraint(['predecessor_id'], ['partnership_agreement.id'], name=op.f('fk_partnership_agreement_predecessor_id_partnership_agreement')),
    sa.ForeignKeyConstraint(['responsible_id'], ['organisation.id'], name=op.f('fk_partnership_agreement_responsible_id_organisation')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_partnership_agreement_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership_agreement')),
    sa.UniqueConstraint('predecessor_id', name=op.f('uq_partnership_agreement_predecessor_id'))
    )
    with op.batch_alter_table('partnership_agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partnership_agreement_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_partnership_partner', ['partner_id', 'tenant_id'], unique=False)

    op.create_table('partnership_criterion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['partnership_agreement.id'], name=op.f('fk_partnership_criterion_agreement_id_partnership_agreement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_partnership_criterion_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership_criterion'))
    )
    with op.batch_alter_table('partnership_criterion', schema=None) as batch_op:
        batch_op.create_index('ix_partnership_criterion_tenant', ['tenant_id', 'agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partnership_criterion_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.Enum('award', 'subsidy', 'pilot', 'insurer', 'transitional', 'other', name='contractkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('status', sa.Enum('draft', 'signed', 'active', 'ended', 'terminated', name='contractstatus', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=True),
    sa.Column('challenge_assessment_id', sa.Integer(), nullable=True),
    sa.Column('predecessor_id', sa.Integer(), nullable=True),
    sa.Column('value', koepel.platform.money.MoneyType(precision=14, scale=2), nullable=True),
    sa.Column('yearly_amount', koepel.platform.money.MoneyType(precision=14, scale=2), nullable=True),
    sa.Column('payment_frequency', sa.Enum('months', 'four_weeks', name='paymentfrequency', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('initial_months', sa.Integer(), nullable=False),
    sa.Column('option_reminder_days', sa.Integer(), nullable=False),
    sa.Column('kpi_window_days', sa.Integer(), nullable=False),
    sa.Column('shares_figures', sa.Boolean(), nullable=False),
    sa.Column('closing_reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signed_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('activated_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('initial_months > 0', name=op.f('ck_contract_initial_months_positive')),
    sa.CheckConstraint('kpi_window_days >= 0', name=op.f('ck_contract_kpi_window_not_negative')),
    sa.CheckConstraint('option_reminder_days >= 0', name=op.f('ck_contract_reminder_days_not_negative')),
    sa.ForeignKeyConstraint(['challenge_assessment_id'], ['challenge_assessment.id'], name=op.f('fk_contract_challenge_assessment_id_challenge_assessment')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_contract_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['predecessor_id'], ['contract.id'], name=op.f('fk_contract_predecessor_id_contract')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_contract_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_contract_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract'))
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_contract_tenant_status', ['tenant_id', 'status'], unique=False)
        batch_op.create_index('ix_contract_tenant_tender', ['tenant_id', 'tender_id'], unique=False)

    op.create_table('contract_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_document_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaces_id'], ['contract_document.id'], name=op.f('fk_contract_document_replaces_id_contract_document')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_contract_document_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_contract_document_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_document')),
    sa.UniqueConstraint('replaces_id', name=op.f('uq_contract_document_replaces_id'))
    )
    with op.batch_alter_table('contract_document', schema=None) as batch_op:
        batch_op.create_index('ix_contract_document_tenant_contract', ['tenant_id', 'contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_document_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contract_kpi',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('target', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('direction', sa.Enum('higher', 'lower', name='kpidirection', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('period', sa.Enum('month', 'quarter', 'year', name='kpiperiod', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_kpi_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_contract_kpi_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_kpi')),
    sa.UniqueConstraint('tenant_id', 'contract_id', 'name', name=op.f('uq_contract_kpi_tenant_id_contract_id_name'))
    )
    with op.batch_alter_table('contract_kpi', schema=None) as batch_op:
        batch_op.create_index('ix_contract_kpi_tenant_contract', ['tenant_id', 'contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_kpi_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contract_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'exercised', 'declined', name='optionstatus', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('decided_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reminded_for', sa.Date(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('months > 0', name=op.f('ck_contract_option_months_positive')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_option_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_contract_option_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_contract_option_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_option')),
    sa.UniqueConstraint('tenant_id', 'contract_id', 'number', name=op.f('uq_contract_option_tenant_id_contract_id_number'))
    )
    with op.batch_alter_table('contract_option', schema=None) as batch_op:
        batch_op.create_index('ix_contract_option_status_date', ['status', 'decision_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_option_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contract_party',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('buyer', 'funder', 'lead', 'main', 'sub', 'member', name='partyrole', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('added_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_party_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_contract_party_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_contract_party_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_party')),
    sa.UniqueConstraint('tenant_id', 'contract_id', 'organisation_id', name=op.f('uq_contract_party_tenant_id_contract_id_organisation_id'))
    )
    with op.batch_alter_table('contract_party', schema=None) as batch_op:
        batch_op.create_index('ix_contract_party_organisation', ['organisation_id', 'tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_party_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contract_lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=True),
    sa.Column('opened_bid_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['award_decision.id'], name=op.f('fk_contract_lot_award_id_award_decision')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_lot_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_contract_lot_lot_id_lot')),
    sa.ForeignKeyConstraint(['opened_bid_id'], ['opened_bid.id'], name=op.f('fk_contract_lot_opened_bid_id_opened_bid')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_contract_lot_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_lot')),
    sa.UniqueConstraint('tenant_id', 'award_id', 'opened_bid_id', name=op.f('uq_contract_lot_tenant_id_award_id_opened_bid_id'))
    )
    with op.batch_alter_table('contract_lot', schema=None) as batch_op:
        batch_op.create_index('ix_contract_lot_tenant_contract', ['tenant_id', 'contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_lot_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contract_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('advance', 'supplement', 'settlement', name='paymentkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period_index', sa.Integer(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('amount', koepel.platform.money.MoneyType(precision=14, scale=2), nullable=False),
    sa.Column('settled', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('planned', 'paid', name='paymentstatus', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_payment_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['party_id'], ['contract_party.id'], name=op.f('fk_contract_payment_party_id_contract_party')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_contract_payment_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_contract_payment_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_payment')),
    sa.UniqueConstraint('tenant_id', 'contract_id', 'party_id', 'kind', 'year', 'period_index', name=op.f('uq_contract_payment_tenant_id_contract_id_party_id_kind_year_period_index'))
    )
    with op.batch_alter_table('contract_payment', schema=None) as batch_op:
        batch_op.create_index('ix_contract_payment_tenant_contract', ['tenant_id', 'contract_id', 'party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_payment_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contract_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('counterparty_id', sa.Integer(), nullable=False),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('party_id <> counterparty_id', name=op.f('ck_contract_signature_not_with_itself')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_signature_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['counterparty_id'], ['contract_party.id'], name=op.f('fk_contract_signature_counterparty_id_contract_party'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['party_id'], ['contract_party.id'], name=op.f('fk_contract_signature_party_id_contract_party'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signed_by_id'], ['user_account.id'], name=op.f('fk_contract_signature_signed_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_contract_signature_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_signature')),
    sa.UniqueConstraint('tenant_id', 'party_id', 'counterparty_id', name=op.f('uq_contract_signature_tenant_id_party_id_counterparty_id'))
    )
    with op.batch_alter_table('contract_signature', schema=None) as batch_op:
        batch_op.create_index('ix_contract_signature_tenant_contract', ['tenant_id', 'contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_signature_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('kpi_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('value', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reported_by_org_id', sa.Integer(), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('reported_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_kpi_value_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kpi_id'], ['contract_kpi.id'], name=op.f('fk_kpi_value_kpi_id_contract_kpi'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['user_account.id'], name=op.f('fk_kpi_value_reported_by_id_user_account')),
    sa.ForeignKeyConstraint(['reported_by_org_id'], ['organisation.id'], name=op.f('fk_kpi_value_reported_by_org_id_organisation')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_kpi_value_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_value')),
    sa.UniqueConstraint('tenant_id', 'kpi_id', 'period_start', name=op.f('uq_kpi_value_tenant_id_kpi_id_period_start'))
    )
    with op.batch_alter_table('kpi_value', schema=None) as batch_op:
        batch_op.create_index('ix_kpi_value_tenant_contract', ['tenant_id', 'contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpi_value_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contract_settlement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('delivered', koepel.platform.money.MoneyType(precision=14, scale=2), nullable=False),
    sa.Column('advances', koepel.platform.money.MoneyType(precision=14, scale=2), nullable=False),
    sa.Column('settled_supplements', koepel.platform.money.MoneyType(precision=14, scale=2), nullable=False),
    sa.Column('kept_supplements', koepel.platform.money.MoneyType(precision=14, scale=2), nullable=False),
    sa.Column('balance', koepel.platform.money.MoneyType(precision=14, scale=2), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_settlement_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_contract_settlement_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['party_id'], ['contract_party.id'], name=op.f('fk_contract_settlement_party_id_contract_party')),
    sa.ForeignKeyConstraint(['payment_id'], ['contract_payment.id'], name=op.f('fk_contract_settlement_payment_id_contract_payment')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_contract_settlement_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_settlement')),
    sa.UniqueConstraint('tenant_id', 'contract_id', 'party_id', 'year', name=op.f('uq_contract_settlement_tenant_id_contract_id_party_id_year'))
    )
    with op.batch_alter_table('contract_settlement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_settlement_tenant_id'), ['tenant_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:  # row-level security, as for every tenant table
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} USING (koepel_tenant_visible(tenant_id)) "
                "WITH CHECK (koepel_tenant_visible(tenant_id))"
            )


def downgrade():
    with op.batch_alter_table('contract_settlement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_settlement_tenant_id'))

    op.drop_table('contract_settlement')
    with op.batch_alter_table('kpi_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_value_tenant_id'))
        batch_op.drop_index('ix_kpi_value_tenant_contract')

    op.drop_table('kpi_value')
    with op.batch_alter_table('contract_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_signature_tenant_id'))
        batch_op.drop_index('ix_contract_signature_tenant_contract')

    op.drop_table('contract_signature')
    with op.batch_alter_table('contract_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_payment_tenant_id'))
        batch_op.drop_index('ix_contract_payment_tenant_contract')

    op.drop_table('contract_payment')
    with op.batch_alter_table('contract_lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_lot_tenant_id'))
        batch_op.drop_index('ix_contract_lot_tenant_contract')

    op.drop_table('contract_lot')
    with op.batch_alter_table('contract_party', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_party_tenant_id'))
        batch_op.drop_index('ix_contract_party_organisation')

    op.drop_table('contract_party')
    with op.batch_alter_table('contract_option', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_option_tenant_id'))
        batch_op.drop_index('ix_contract_option_status_date')

    op.drop_table('contract_option')
    with op.batch_alter_table('contract_kpi', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_kpi_tenant_id'))
        batch_op.drop_index('ix_contract_kpi_tenant_contract')

    op.drop_table('contract_kpi')
    with op.batch_alter_table('contract_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_document_tenant_id'))
        batch_op.drop_index('ix_contract_document_tenant_contract')

    op.drop_table('contract_document')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_tenant_tender')
        batch_op.drop_index('ix_contract_tenant_status')
        batch_op.drop_index(batch_op.f('ix_contract_tenant_id'))

    op.drop_table('contract')
    with op.batch_alter_table('partnership_criterion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partnership_criterion_tenant_id'))
        batch_op.drop_index('ix_partnership_criterion_tenant')

    op.drop_table('partnership_criterion')
    with op.batch_alter_table('partnership_agreement', schema=None) as batch_op:
        batch_op.drop_index('ix_partnership_partner')
        batch_op.drop_index(batch_op.f('ix_partnership_agreement_tenant_id'))

    op.drop_table('partnership_agreement')
