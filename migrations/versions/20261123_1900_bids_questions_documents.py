"""Q&A, nota van inlichtingen, versioned tender documents and corrections

Revision ID: a5e1c0de1900
Revises: 18147089beab
Create Date: 2026-11-23 19:00:00

"""
from alembic import op
import sqlalchemy as sa

import koepel.platform.money  # noqa: F401  (custom column types)
import koepel.platform.timeutil  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'a5e1c0de1900'
down_revision = '18147089beab'
branch_labels = None
depends_on = None


TENANT_TABLES = ('tender_interest', 'tender_correction', 'tender_document', 'tender_nota', 'tender_question', 'asked_question')


def upgrade():
    op.create_table('tender_interest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['registered_by_id'], ['user_account.id'], name=op.f('fk_tender_interest_registered_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_tender_interest_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_tender_interest_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_interest')),
    sa.UniqueConstraint('tenant_id', 'tender_id', name=op.f('uq_tender_interest_tenant_id_tender_id'))
    )
    with op.batch_alter_table('tender_interest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_interest_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_interest_tender_id'), ['tender_id'], unique=False)

    op.create_table('tender_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('published_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_tender_correction_published_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_tender_correction_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_tender_correction_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_correction')),
    sa.UniqueConstraint('tenant_id', 'tender_id', 'number', name=op.f('uq_tender_correction_tenant_id_tender_id_number'))
    )
    with op.batch_alter_table('tender_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_correction_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('tender_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('document', 'nota', name='documentkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('correction_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_correction_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['correction_id'], ['tender_correction.id'], name=op.f('fk_tender_document_correction_id_tender_correction')),
    sa.ForeignKeyConstraint(['replaces_id'], ['tender_document.id'], name=op.f('fk_tender_document_replaces_id_tender_document')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_tender_document_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_tender_document_tender_id_tender')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_tender_document_uploaded_by_id_user_account')),
    sa.ForeignKeyConstraint(['withdrawn_by_correction_id'], ['tender_correction.id'], name=op.f('fk_tender_document_withdrawn_by_correction_id_tender_correction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_document')),
    sa.UniqueConstraint('replaces_id', name=op.f('uq_tender_document_replaces_id'))
    )
    with op.batch_alter_table('tender_document', schema=None) as batch_op:
        batch_op.create_index('ix_tender_document_tenant_tender', ['tenant_id', 'tender_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_document_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('tender_nota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('published_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['tender_document.id'], name=op.f('fk_tender_nota_document_id_tender_document')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_tender_nota_published_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_tender_nota_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_tender_nota_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_nota')),
    sa.UniqueConstraint('tenant_id', 'tender_id', 'number', name=op.f('uq_tender_nota_tenant_id_tender_id_number'))
    )
    with op.batch_alter_table('tender_nota', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_nota_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('tender_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('asked_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('nota_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_tender_question_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['user_account.id'], name=op.f('fk_tender_question_assigned_to_id_user_account')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_tender_question_lot_id_lot')),
    sa.ForeignKeyConstraint(['nota_id'], ['tender_nota.id'], name=op.f('fk_tender_question_nota_id_tender_nota')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_tender_question_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_tender_question_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_question'))
    )
    with op.batch_alter_table('tender_question', schema=None) as batch_op:
        batch_op.create_index('ix_tender_question_tenant_tender', ['tenant_id', 'tender_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_question_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('asked_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asked_by_id'], ['user_account.id'], name=op.f('fk_asked_question_asked_by_id_user_account')),
    sa.ForeignKeyConstraint(['question_id'], ['tender_question.id'], name=op.f('fk_asked_question_question_id_tender_question')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_asked_question_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_asked_question_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asked_question')),
    sa.UniqueConstraint('question_id', name=op.f('uq_asked_question_question_id'))
    )
    with op.batch_alter_table('asked_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asked_question_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asked_question_tender_id'), ['tender_id'], unique=False)

    # Re-confirmation of submitted bids after a correction.
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_reconfirmation', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('reconfirmed_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:  # row-level security, as for every tenant table
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} USING (koepel_tenant_visible(tenant_id)) "
                "WITH CHECK (koepel_tenant_visible(tenant_id))"
            )


def downgrade():
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.drop_column('reconfirmed_at')
        batch_op.drop_column('needs_reconfirmation')

    with op.batch_alter_table('asked_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asked_question_tender_id'))
        batch_op.drop_index(batch_op.f('ix_asked_question_tenant_id'))

    op.drop_table('asked_question')
    with op.batch_alter_table('tender_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_question_tenant_id'))
        batch_op.drop_index('ix_tender_question_tenant_tender')

    op.drop_table('tender_question')
    with op.batch_alter_table('tender_nota', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_nota_tenant_id'))

    op.drop_table('tender_nota')
    with op.batch_alter_table('tender_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_document_tenant_id'))
        batch_op.drop_index('ix_tender_document_tenant_tender')

    op.drop_table('tender_document')
    with op.batch_alter_table('tender_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_correction_tenant_id'))

    op.drop_table('tender_correction')
    with op.batch_alter_table('tender_interest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_interest_tender_id'))
        batch_op.drop_index(batch_op.f('ix_tender_interest_tenant_id'))

    op.drop_table('tender_interest')
