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


TENANT_TABLES = ()


def upgrade():
    pass


def downgrade():
    pass
