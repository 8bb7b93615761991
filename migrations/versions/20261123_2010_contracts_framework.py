"""framework agreements, catalogue, volumes, call-offs, reports

Revision ID: f2a3b4c52010
Revises: e1f2a3b42000
Create Date: 2026-11-23 20:10:00

"""
from alembic import op
import sqlalchemy as sa

import koepel.platform.money  # noqa: F401  (custom column types)
import koepel.platform.timeutil  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'f2a3b4c52010'
down_revision = 'e1f2a3b42000'
branch_labels = None
depends_on = None


TENANT_TABLES = ()


def upgrade():
    pass


def downgrade():
    pass
