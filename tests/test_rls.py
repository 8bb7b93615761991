"""PostgreSQL's own wall: row-level security follows the tenancy scope even for raw SQL
that forgets the tenant. (SQLite has no row-level security; ORM scoping is the wall there.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from koepel.platform.models import Invitation
from koepel.platform.tenancy import TenantOwned, acting_for, cross_tenant
from koepel.platform.timeutil import utcnow


@pytest.fixture
def pg(db):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("row-level security is PostgreSQL's; runs in the PostgreSQL pass")
    return db


def test_the_app_role_is_subject_to_row_level_security(pg):
    row = pg.session.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert not row.rolsuper and not row.rolbypassrls


def test_every_tenant_owned_table_has_a_forced_policy(pg):
    tables = {
        m.class_.__table__.name
        for m in pg.Model.registry.mappers
        if issubclass(m.class_, TenantOwned)
    }
    rows = pg.session.execute(
        text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname) AS has_policy "
            "FROM pg_class c WHERE c.relname = ANY(:t)"
        ),
        {"t": list(tables)},
    ).all()
    assert {r.relname for r in rows} == tables
    assert all(r.relrowsecurity and r.relforcerowsecurity and r.has_policy for r in rows), rows


def _add(pg, org, email):
    with cross_tenant("test set-up"):
        pg.session.add(
            Invitation(
                tenant_id=org.id,
                email=email,
                role="board",
                token_hash=email.ljust(64, "0"),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        pg.session.flush()


def test_raw_sql_sees_only_the_acting_tenant(pg, make_org):
    a, b = make_org(), make_org()
    _add(pg, a, "a@example.org")
    _add(pg, b, "b@example.org")
    raw = text("SELECT email FROM invitation WHERE email LIKE '%@example.org' ORDER BY email")
    with acting_for(a.id):
        assert pg.session.scalars(raw).all() == ["a@example.org"]
    with acting_for(b.id):
        assert pg.session.scalars(raw).all() == ["b@example.org"]
    with cross_tenant("test: all"):
        assert pg.session.scalars(raw).all() == ["a@example.org", "b@example.org"]
    # Outside any scope the database shows nothing at all.
    assert pg.session.scalars(raw).all() == []


def test_raw_insert_into_another_tenant_is_refused(pg, make_org):
    a, b = make_org(), make_org()
    with acting_for(a.id):
        pg.session.execute(text("SELECT 1"))  # the scope reaches the database
        nested = pg.session.begin_nested()
        with pytest.raises(DatabaseError):
            pg.session.execute(
                text(
                    "INSERT INTO invitation (tenant_id, email, role, token_hash, created_at, "
                    "expires_at) VALUES (:t, 'x@example.org', 'board', :h, now(), now())"
                ),
                {"t": b.id, "h": "x" * 64},
            )
        nested.rollback()


def test_scope_survives_a_rolled_back_savepoint(pg, make_org):
    a, b = make_org(), make_org()
    _add(pg, a, "a2@example.org")
    raw = text("SELECT count(*) FROM invitation WHERE email = 'a2@example.org'")
    with acting_for(a.id):
        assert pg.session.scalar(raw) == 1
        nested = pg.session.begin_nested()
        with acting_for(b.id):
            assert pg.session.scalar(raw) == 0
        nested.rollback()  # undoes the setting made inside the savepoint
        assert pg.session.scalar(raw) == 1
