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


TENANT_TABLES = ()


def upgrade():
    pass


def downgrade():
    pass
