"""reusable dossier, bid attachments, consortium declarations

Revision ID: c3d4e5f61920
Revises: b7c2d1ef1910
Create Date: 2026-11-23 19:20:00

"""
from alembic import op
import sqlalchemy as sa

import koepel.platform.money  # noqa: F401  (custom column types)
import koepel.platform.timeutil  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'c3d4e5f61920'
down_revision = 'b7c2d1ef1910'
branch_labels = None
depends_on = None


TENANT_TABLES = ('dossier_document', 'bid_attachment')


def upgrade():
    op.create_table('dossier_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('kvk_extract', 'vog_policy', 'insurance', 'quality_mark', 'annual_accounts', 'uea', 'other', name='dossierkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('superseded_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['replaces_id'], ['dossier_document.id'], name=op.f('fk_dossier_document_replaces_id_dossier_document')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_dossier_document_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_dossier_document_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_document')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_dossier_document_stored_name'))
    )
    with op.batch_alter_table('dossier_document', schema=None) as batch_op:
        batch_op.create_index('ix_dossier_document_expires_on', ['expires_on'], unique=False)
        batch_op.create_index('ix_dossier_document_tenant_kind', ['tenant_id', 'kind', 'superseded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_document_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('bid_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('upload', 'dossier', 'declaration', name='attachmentsource', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=True),
    sa.Column('sealed_meta', sa.LargeBinary(), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['user_account.id'], name=op.f('fk_bid_attachment_added_by_id_user_account')),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_attachment_bid_id_bid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['dossier_document.id'], name=op.f('fk_bid_attachment_document_id_dossier_document')),
    sa.ForeignKeyConstraint(['partner_id'], ['organisation.id'], name=op.f('fk_bid_attachment_partner_id_organisation')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_bid_attachment_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_attachment')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_bid_attachment_stored_name'))
    )
    with op.batch_alter_table('bid_attachment', schema=None) as batch_op:
        batch_op.create_index('ix_bid_attachment_tenant_bid', ['tenant_id', 'bid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_attachment_tenant_id'), ['tenant_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:  # row-level security, as for every tenant table
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} USING (koepel_tenant_visible(tenant_id)) "
                "WITH CHECK (koepel_tenant_visible(tenant_id))"
            )


def downgrade():
    with op.batch_alter_table('bid_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_attachment_tenant_id'))
        batch_op.drop_index('ix_bid_attachment_tenant_bid')

    op.drop_table('bid_attachment')
    with op.batch_alter_table('dossier_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_document_tenant_id'))
        batch_op.drop_index('ix_dossier_document_tenant_kind')
        batch_op.drop_index('ix_dossier_document_expires_on')

    op.drop_table('dossier_document')
