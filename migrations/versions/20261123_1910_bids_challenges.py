"""Right to Challenge and duty to involve

Revision ID: b7c2d1ef1910
Revises: a5e1c0de1900
Create Date: 2026-11-23 19:10:00

"""
from alembic import op
import sqlalchemy as sa

import koepel.platform.money  # noqa: F401  (custom column types)
import koepel.platform.timeutil  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'b7c2d1ef1910'
down_revision = 'a5e1c0de1900'
branch_labels = None
depends_on = None


TENANT_TABLES = ('challenge_policy', 'challenge_criterion', 'challenge_task', 'challenge', 'challenge_check', 'challenge_assessment', 'challenge_information_request', 'challenge_information_reply', 'involvement', 'involvement_invitee', 'involvement_response')


def upgrade():
    op.create_table('challenge_criterion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('is_cost', sa.Boolean(), nullable=False),
    sa.Column('archived_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_challenge_criterion_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_criterion')),
    sa.UniqueConstraint('tenant_id', 'key', name=op.f('uq_challenge_criterion_tenant_id_key'))
    )
    with op.batch_alter_table('challenge_criterion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_criterion_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('challenge_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term_weeks', sa.Integer(), nullable=False),
    sa.Column('updated_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('term_weeks >= 1 AND term_weeks <= 52', name=op.f('ck_challenge_policy_term_weeks_range')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_challenge_policy_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_challenge_policy_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_policy')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_challenge_policy_tenant_id'))
    )
    with op.batch_alter_table('challenge_policy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_policy_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('challenge_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('current_yearly_cost', koepel.platform.money.MoneyType(precision=14, scale=2), nullable=True),
    sa.Column('archived_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_challenge_task_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_task'))
    )
    with op.batch_alter_table('challenge_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_task_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('challenge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('task_name', sa.String(length=300), nullable=False),
    sa.Column('area', sa.String(length=500), nullable=False),
    sa.Column('target_group', sa.String(length=500), nullable=False),
    sa.Column('motivation', sa.Text(), nullable=False),
    sa.Column('social_value', sa.Text(), nullable=False),
    sa.Column('estimated_budget', koepel.platform.money.MoneyType(precision=14, scale=2), nullable=True),
    sa.Column('supporters', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'submitted', name='challengestatus', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('cost_at_submission', koepel.platform.money.MoneyType(precision=14, scale=2), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('supporters IS NULL OR supporters >= 0', name=op.f('ck_challenge_supporters_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_challenge_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['municipality_id'], ['organisation.id'], name=op.f('fk_challenge_municipality_id_organisation')),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['organisation.id'], name=op.f('fk_challenge_on_behalf_of_id_organisation')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_challenge_submitted_by_id_user_account')),
    sa.ForeignKeyConstraint(['task_id'], ['challenge_task.id'], name=op.f('fk_challenge_task_id_challenge_task')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_challenge_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge'))
    )
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.create_index('ix_challenge_municipality_status', ['municipality_id', 'status', 'tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('involvement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('area', sa.String(length=500), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=True),
    sa.Column('created_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_involvement_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_involvement_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_involvement_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_involvement'))
    )
    with op.batch_alter_table('involvement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_involvement_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('challenge_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('challenger_id', sa.Integer(), nullable=False),
    sa.Column('registered_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('term_days', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('rejected', 'pilot', 'tender', name='challengedecision', native_enum=False, create_constraint=True, length=30), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('decided_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('tender_id', sa.Integer(), nullable=True),
    sa.Column('reminded_for', sa.Date(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('term_days > 0', name=op.f('ck_challenge_assessment_term_days_positive')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_challenge_assessment_challenge_id_challenge')),
    sa.ForeignKeyConstraint(['challenger_id'], ['organisation.id'], name=op.f('fk_challenge_assessment_challenger_id_organisation')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_challenge_assessment_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['user_account.id'], name=op.f('fk_challenge_assessment_registered_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_challenge_assessment_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_challenge_assessment_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_assessment')),
    sa.UniqueConstraint('tenant_id', 'challenge_id', name=op.f('uq_challenge_assessment_tenant_id_challenge_id'))
    )
    with op.batch_alter_table('challenge_assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_assessment_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('challenge_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('criterion_key', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('is_cost', sa.Boolean(), nullable=False),
    sa.Column('met', sa.Boolean(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_challenge_check_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_challenge_check_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_check')),
    sa.UniqueConstraint('tenant_id', 'challenge_id', 'criterion_key', name=op.f('uq_challenge_check_tenant_id_challenge_id_criterion_key'))
    )
    with op.batch_alter_table('challenge_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_check_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('involvement_invitee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('involvement_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_involvement_invitee_invited_by_id_user_account')),
    sa.ForeignKeyConstraint(['involvement_id'], ['involvement.id'], name=op.f('fk_involvement_invitee_involvement_id_involvement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_involvement_invitee_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_involvement_invitee_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_involvement_invitee')),
    sa.UniqueConstraint('tenant_id', 'involvement_id', 'organisation_id', name=op.f('uq_involvement_invitee_tenant_id_involvement_id_organisation_id'))
    )
    with op.batch_alter_table('involvement_invitee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_involvement_invitee_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_involvement_invitee_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('challenge_information_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asked_by_id'], ['user_account.id'], name=op.f('fk_challenge_information_request_asked_by_id_user_account')),
    sa.ForeignKeyConstraint(['assessment_id'], ['challenge_assessment.id'], name=op.f('fk_challenge_information_request_assessment_id_challenge_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_challenge_information_request_challenge_id_challenge')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_challenge_information_request_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_information_request'))
    )
    with op.batch_alter_table('challenge_information_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_information_request_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_information_request_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('involvement_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitee_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Enum('bidder', 'adviser', 'declined', name='involvementanswer', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('responded_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['invitee_id'], ['involvement_invitee.id'], name=op.f('fk_involvement_response_invitee_id_involvement_invitee')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['user_account.id'], name=op.f('fk_involvement_response_responded_by_id_user_account')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_involvement_response_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_involvement_response')),
    sa.UniqueConstraint('tenant_id', 'invitee_id', name=op.f('uq_involvement_response_tenant_id_invitee_id'))
    )
    with op.batch_alter_table('involvement_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_involvement_response_invitee_id'), ['invitee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_involvement_response_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('challenge_information_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('replied_at', koepel.platform.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_challenge_information_reply_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replied_by_id'], ['user_account.id'], name=op.f('fk_challenge_information_reply_replied_by_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['challenge_information_request.id'], name=op.f('fk_challenge_information_reply_request_id_challenge_information_request')),
    sa.ForeignKeyConstraint(['tenant_id'], ['organisation.id'], name=op.f('fk_challenge_information_reply_tenant_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_information_reply')),
    sa.UniqueConstraint('tenant_id', 'request_id', name=op.f('uq_challenge_information_reply_tenant_id_request_id'))
    )
    with op.batch_alter_table('challenge_information_reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_information_reply_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_information_reply_tenant_id'), ['tenant_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:  # row-level security, as for every tenant table
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} USING (koepel_tenant_visible(tenant_id)) "
                "WITH CHECK (koepel_tenant_visible(tenant_id))"
            )


def downgrade():
    with op.batch_alter_table('challenge_information_reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_information_reply_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_challenge_information_reply_challenge_id'))

    op.drop_table('challenge_information_reply')
    with op.batch_alter_table('involvement_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_involvement_response_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_involvement_response_invitee_id'))

    op.drop_table('involvement_response')
    with op.batch_alter_table('challenge_information_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_information_request_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_challenge_information_request_challenge_id'))

    op.drop_table('challenge_information_request')
    with op.batch_alter_table('involvement_invitee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_involvement_invitee_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_involvement_invitee_organisation_id'))

    op.drop_table('involvement_invitee')
    with op.batch_alter_table('challenge_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_check_tenant_id'))

    op.drop_table('challenge_check')
    with op.batch_alter_table('challenge_assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_assessment_tenant_id'))

    op.drop_table('challenge_assessment')
    with op.batch_alter_table('involvement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_involvement_tenant_id'))

    op.drop_table('involvement')
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_tenant_id'))
        batch_op.drop_index('ix_challenge_municipality_status')

    op.drop_table('challenge')
    with op.batch_alter_table('challenge_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_task_tenant_id'))

    op.drop_table('challenge_task')
    with op.batch_alter_table('challenge_policy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_policy_tenant_id'))

    op.drop_table('challenge_policy')
    with op.batch_alter_table('challenge_criterion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_criterion_tenant_id'))

    op.drop_table('challenge_criterion')
