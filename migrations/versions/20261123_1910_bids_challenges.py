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


TENANT_TABLES = ()


def upgrade():
    pass


def downgrade():
    pass
