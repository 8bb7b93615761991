"""Tenancy: automatic scoping, the explicit cross-tenant door, and the write guard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from koepel.platform.models import Invitation
from koepel.platform.tenancy import TenancyError, acting_for, cross_tenant
from koepel.platform.timeutil import utcnow


def _invitation(org, email):
    return Invitation(
        tenant_id=org.id,
        email=email,
        role="coordinator",
        token_hash=email.ljust(64, "x")[:64],
        expires_at=utcnow() + timedelta(days=1),
    )


@pytest.fixture
def two_tenants(db, make_org):
    a, b = make_org(slug="coop-a"), make_org(slug="coop-b")
    with cross_tenant("test set-up"):
        db.session.add_all([_invitation(a, "a@example.org"), _invitation(b, "b@example.org")])
        db.session.flush()
    return a, b


def test_queries_see_only_the_acting_tenant(db, two_tenants):
    a, b = two_tenants
    with acting_for(a.id):
        assert [i.email for i in db.session.scalars(select(Invitation))] == ["a@example.org"]
    with acting_for(b.id):
        assert [i.email for i in db.session.scalars(select(Invitation))] == ["b@example.org"]


def test_a_filter_on_another_tenants_id_still_finds_nothing(db, two_tenants):
    a, b = two_tenants
    with acting_for(a.id):
        stmt = select(Invitation).where(Invitation.tenant_id == b.id)
        assert db.session.scalars(stmt).all() == []


def test_no_scope_refuses_to_read(db, two_tenants):
    with pytest.raises(TenancyError):
        db.session.scalars(select(Invitation)).all()


def test_cross_tenant_needs_a_reason_and_sees_all(db, two_tenants):
    with pytest.raises(TenancyError), cross_tenant(""):
        pass
    with cross_tenant("test: count all"):
        assert len(db.session.scalars(select(Invitation)).all()) == 2


def test_new_rows_get_the_acting_tenant(db, two_tenants):
    a, _ = two_tenants
    with acting_for(a.id):
        inv = Invitation(
            email="c@example.org", role="board", token_hash="c" * 64, expires_at=utcnow()
        )
        db.session.add(inv)
        db.session.flush()
        assert inv.tenant_id == a.id


def test_writing_into_another_tenant_is_refused(db, two_tenants):
    a, b = two_tenants
    with acting_for(a.id):
        db.session.add(_invitation(b, "evil@example.org"))
        with pytest.raises(TenancyError):
            db.session.flush()
    db.session.rollback()


def test_changing_a_row_loaded_elsewhere_is_refused(db, two_tenants):
    a, b = two_tenants
    with cross_tenant("test: load b's invitation"):
        inv_b = db.session.scalar(select(Invitation).where(Invitation.tenant_id == b.id))
    with acting_for(a.id):
        inv_b.role = "board"
        with pytest.raises(TenancyError):
            db.session.flush()
    db.session.rollback()


def test_bulk_update_is_scoped_too(db, two_tenants):
    a, b = two_tenants
    with acting_for(a.id):
        db.session.execute(update(Invitation).values(role="board"))
    with cross_tenant("test: check"):
        roles = dict(db.session.execute(select(Invitation.email, Invitation.role)).all())
    assert roles == {"a@example.org": "board", "b@example.org": "coordinator"}


def test_every_tenant_owned_table_has_an_indexed_tenant_id():
    from koepel.platform.extensions import db as _db
    from koepel.platform.tenancy import TenantOwned

    owned = [m.class_ for m in _db.Model.registry.mappers if issubclass(m.class_, TenantOwned)]
    assert owned, "no tenant-owned models found"
    for model in owned:
        column = model.__table__.c.tenant_id
        assert column.foreign_keys, model
        assert any("tenant_id" in ix.columns for ix in model.__table__.indexes), model


def test_slugs_cannot_shadow_the_apps_own_paths(app):
    from koepel.platform.models import Organisation, OrgKind
    from koepel.platform.models.organisations import RESERVED_SLUGS

    first_segments = {
        rule.rule.strip("/").split("/")[0]
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith("/<")
    } - {""}
    assert first_segments <= RESERVED_SLUGS, first_segments - RESERVED_SLUGS
    for bad in ("login", "api", "Hoofdletters", "-streep", "a" * 65, ""):
        with pytest.raises(ValueError):
            Organisation(slug=bad, name="x", kind=OrgKind.COOPERATIVE)
    assert Organisation(slug="laarbeek-zorg", name="x", kind=OrgKind.COOPERATIVE).slug


def test_aggregates_and_froms_are_scoped_too(db, two_tenants):
    """Found in review: all_mappers misses an entity named only in FROM."""
    from sqlalchemy import exists, func

    from koepel.platform.models import Organisation

    a, b = two_tenants
    with acting_for(a.id):
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
        assert db.session.scalar(select(func.count(Invitation.id))) == 1
        assert (
            db.session.scalar(select(exists().where(Invitation.email == "b@example.org"))) is False
        )
        joined = select(Organisation.slug).join(Invitation, Invitation.tenant_id == Organisation.id)
        assert db.session.scalars(joined).all() == [a.slug]
        sub = select(Invitation.id).subquery()
        assert db.session.scalar(select(func.count()).select_from(sub)) == 1
    with pytest.raises(TenancyError):
        db.session.scalar(select(func.count()).select_from(Invitation))
