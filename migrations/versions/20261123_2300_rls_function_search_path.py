"""row-level security: the policy function no longer depends on the search path

Revision ID: d7e8f9a02300
Revises: c6d7e8f92110
Create Date: 2026-11-23 23:00:00

``koepel_tenant_visible`` called ``koepel_current_tenant()`` by its bare name, so a session
with another search path could not read any tenant-owned table. pg_dump is such a session
(it empties the search path): `koepel backup` as the app's role failed with "function
koepel_current_tenant() does not exist". The new body uses only pg_catalog functions and
stays a single expression, so PostgreSQL still inlines it into every policy.
"""
from alembic import op

revision = "d7e8f9a02300"
down_revision = "c6d7e8f92110"
branch_labels = None
depends_on = None

_SETTING = "current_setting('koepel.tenant', true)"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION koepel_tenant_visible(row_tenant integer) RETURNS boolean "
        "LANGUAGE sql STABLE AS $$ "
        f"SELECT coalesce({_SETTING}, '') = 'all' "
        f"OR row_tenant = CASE WHEN {_SETTING} ~ '^[0-9]+$' THEN {_SETTING}::integer END $$"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION koepel_tenant_visible(row_tenant integer) RETURNS boolean "
        "LANGUAGE sql STABLE AS $$ "
        "SELECT coalesce(current_setting('koepel.tenant', true), '') = 'all' "
        "OR row_tenant = koepel_current_tenant() $$"
    )
