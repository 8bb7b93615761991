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


TENANT_TABLES = ()


def upgrade():
    pass


def downgrade():
    pass
