"""row-level security on tenant-owned tables (PostgreSQL)

Revision ID: 5b1e0c2a9d41
Revises: c44f2d612422
Create Date: 2026-11-23 18:00:00

Every later migration that adds a tenant-owned table must add it here the same way
(``enable_tenant_rls``); tests/test_rls.py fails for a tenant-owned table without it.
"""
from alembic import op

revision = "5b1e0c2a9d41"
down_revision = "c44f2d612422"
branch_labels = None
depends_on = None

TABLES = ("invitation", "audit_event", "job_run")


def enable_tenant_rls(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")  # the owner too
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        "USING (koepel_tenant_visible(tenant_id)) WITH CHECK (koepel_tenant_visible(tenant_id))"
    )


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # The acting tenant, from the transaction-local setting the app keeps in step with
    # its tenancy scope; NULL (nothing visible) when unset.
    op.execute(
        "CREATE FUNCTION koepel_current_tenant() RETURNS integer LANGUAGE sql STABLE AS $$ "
        "SELECT CASE WHEN s ~ '^[0-9]+$' THEN s::integer END "
        "FROM coalesce(current_setting('koepel.tenant', true), '') AS s $$"
    )
    op.execute(
        "CREATE FUNCTION koepel_tenant_visible(row_tenant integer) RETURNS boolean "
        "LANGUAGE sql STABLE AS $$ "
        "SELECT coalesce(current_setting('koepel.tenant', true), '') = 'all' "
        "OR row_tenant = koepel_current_tenant() $$"
    )
    for table in TABLES:
        enable_tenant_rls(table)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION IF EXISTS koepel_tenant_visible(integer)")
    op.execute("DROP FUNCTION IF EXISTS koepel_current_tenant()")
