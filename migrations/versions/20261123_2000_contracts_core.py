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


TENANT_TABLES = ()


def upgrade():
    pass


def downgrade():
    pass
