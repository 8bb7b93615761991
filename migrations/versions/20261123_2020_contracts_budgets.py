"""budgets, allocations, district settlements, arrangement financing

Revision ID: a3b4c5d62020
Revises: f2a3b4c52010
Create Date: 2026-11-23 20:20:00

"""
from alembic import op
import sqlalchemy as sa

import koepel.platform.money  # noqa: F401  (custom column types)
import koepel.platform.timeutil  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'a3b4c5d62020'
down_revision = 'f2a3b4c52010'
branch_labels = None
depends_on = None


TENANT_TABLES = ()


def upgrade():
    pass


def downgrade():
    pass
