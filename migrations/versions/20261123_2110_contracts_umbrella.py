"""contracts: umbrella contracting on behalf of members (arrangements, member reports,
combined reports to the funder)

Revision ID: c6d7e8f92110
Revises: b5c6d7e82100
Create Date: 2026-11-23 21:10:00

"""
from alembic import op
import sqlalchemy as sa

import koepel.platform.money  # noqa: F401  (custom column types)
import koepel.platform.timeutil


# revision identifiers, used by Alembic.
revision = 'c6d7e8f92110'
down_revision = 'b5c6d7e82100'
branch_labels = None
depends_on = None

TENANT_TABLES = ('umbrella_contract', 'member_report', 'combined_report')


def upgrade():
    op.create_table('umbrella_contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=True),
    sa.Column('period', sa.Enum('month', 'quarter', name='reportperiod', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('funder_sees_members', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['budget_id'], ['budget.id'], name=op.f('fk_umbrella_contract_budget_id_budget')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_umbrella_contract_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_umbrella_contract_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_umbrella_contract_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_umbrella_contract')),
    sa.UniqueConstraint('tenant_id', 'contract_id', name=op.f('uq_umbrella_contract_tenant_id_contract_id'))
    )
    with op.batch_alter_table('umbrella_contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_umbrella_contract_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('member_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('volume', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('hours', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('reported_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('hours >= 0', name=op.f('ck_member_report_hours_not_negative')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_member_report_period_in_order')),
    sa.CheckConstraint('volume >= 0', name=op.f('ck_member_report_volume_not_negative')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_member_report_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['user_account.id'], name=op.f('fk_member_report_reported_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_member_report_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_report')),
    sa.UniqueConstraint('tenant_id', 'contract_id', 'period_start', name=op.f('uq_member_report_tenant_id_contract_id_period_start'))
    )
    with op.batch_alter_table('member_report', schema=None) as batch_op:
        batch_op.create_index('ix_member_report_contract', ['contract_id', 'period_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_report_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('combined_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'ready', 'failed', name='combinedstatus', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('job_run_id', sa.String(length=36), nullable=True),
    sa.Column('pdf_name', sa.String(length=100), nullable=True),
    sa.Column('xlsx_name', sa.String(length=100), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ready_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_combined_report_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_combined_report_requested_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_combined_report_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_combined_report')),
    sa.UniqueConstraint('tenant_id', 'contract_id', 'period_start', name=op.f('uq_combined_report_tenant_id_contract_id_period_start'))
    )
    with op.batch_alter_table('combined_report', schema=None) as batch_op:
        batch_op.create_index('ix_combined_report_contract', ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_combined_report_tenant_id'), ['tenant_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:  # row-level security, as for every tenant table
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} USING (koepel_tenant_visible(tenant_id)) "
                "WITH CHECK (koepel_tenant_visible(tenant_id))"
            )


def downgrade():
    with op.batch_alter_table('combined_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_combined_report_tenant_id'))
        batch_op.drop_index('ix_combined_report_contract')

    op.drop_table('combined_report')
    with op.batch_alter_table('member_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_report_tenant_id'))
        batch_op.drop_index('ix_member_report_contract')

    op.drop_table('member_report')
    with op.batch_alter_table('umbrella_contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_umbrella_contract_tenant_id'))

    op.drop_table('umbrella_contract')
