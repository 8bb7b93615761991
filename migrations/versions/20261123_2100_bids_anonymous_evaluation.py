"""bids: reviewers may see the bidders without names until the award

Revision ID: b5c6d7e82100
Revises: a3b4c5d62020
Create Date: 2026-11-23 21:00:00

"""
from alembic import op
import sqlalchemy as sa

import koepel.platform.money  # noqa: F401  (custom column types)
import koepel.platform.timeutil  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'b5c6d7e82100'
down_revision = 'a3b4c5d62020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tender', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('anonymous_evaluation', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('tender', schema=None) as batch_op:
        batch_op.drop_column('anonymous_evaluation')
