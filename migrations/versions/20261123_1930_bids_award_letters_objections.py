"""award letter PDFs and objections during standstill

Revision ID: d4e5f6a71930
Revises: c3d4e5f61920
Create Date: 2026-11-23 19:30:00

"""
from alembic import op
import sqlalchemy as sa

import koepel.platform.money  # noqa: F401  (custom column types)
import koepel.platform.timeutil  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'd4e5f6a71930'
down_revision = 'c3d4e5f61920'
branch_labels = None
depends_on = None


TENANT_TABLES = ('award_letter', 'objection')


def upgrade():
    op.create_table('award_letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('opened_bid_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('bidder_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('standstill_ends_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('pdf_name', sa.String(length=100), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('pdf_size', sa.Integer(), nullable=True),
    sa.Column('rendered_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_award_letter_bid_id_bid')),
    sa.ForeignKeyConstraint(['bidder_id'], ['organisation.id'], name=op.f('fk_award_letter_bidder_id_organisation')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_award_letter_lot_id_lot')),
    sa.ForeignKeyConstraint(['opened_bid_id'], ['opened_bid.id'], name=op.f('fk_award_letter_opened_bid_id_opened_bid')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_award_letter_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_award_letter_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_letter'))
    )
    with op.batch_alter_table('award_letter', schema=None) as batch_op:
        batch_op.create_index('ix_award_letter_bid_id', ['bid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_letter_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_award_letter_tenant_tender', ['tenant_id', 'tender_id'], unique=False)

    op.create_table('objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('bidder_id', sa.Integer(), nullable=False),
    sa.Column('grounds', sa.Enum('scores', 'exclusion', 'winner', 'procedure', 'other', name='objectionground', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lodged_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lodged_by_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('upheld', 'rejected', name='objectionoutcome', native_enum=False, create_constraint=True, length=30), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_objection_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['bidder_id'], ['organisation.id'], name=op.f('fk_objection_bidder_id_organisation')),
    sa.ForeignKeyConstraint(['letter_id'], ['award_letter.id'], name=op.f('fk_objection_letter_id_award_letter')),
    sa.ForeignKeyConstraint(['lodged_by_id'], ['user_account.id'], name=op.f('fk_objection_lodged_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_objection_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_objection_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objection'))
    )
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.create_index('ix_objection_letter_id', ['letter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objection_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_objection_tenant_tender', ['tenant_id', 'tender_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:  # row-level security, as for every tenant table
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} USING (koepel_tenant_visible(tenant_id)) "
                "WITH CHECK (koepel_tenant_visible(tenant_id))"
            )


def downgrade():
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.drop_index('ix_objection_tenant_tender')
        batch_op.drop_index(batch_op.f('ix_objection_tenant_id'))
        batch_op.drop_index('ix_objection_letter_id')

    op.drop_table('objection')
    with op.batch_alter_table('award_letter', schema=None) as batch_op:
        batch_op.drop_index('ix_award_letter_tenant_tender')
        batch_op.drop_index(batch_op.f('ix_award_letter_tenant_id'))
        batch_op.drop_index('ix_award_letter_bid_id')

    op.drop_table('award_letter')
