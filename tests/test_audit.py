"""The audit log: hash chain, append-only, and tampering caught by verify."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from koepel.platform import audit
from koepel.platform.tenancy import cross_tenant


def _record(db, org, n):
    for i in range(n):
        audit.record(
            db.session,
            actor=None,
            tenant_id=org.id,
            action="test.changed",
            obj_type="thing",
            obj_id=i,
            before={"v": i},
            after={"v": i + 1},
        )
    db.session.flush()


def test_chain_links_and_verifies(db, make_org):
    org = make_org()
    _record(db, org, 5)
    report = audit.verify_chain(db.session)
    assert report.ok and report.checked >= 5


def test_decimals_and_dates_hash_the_same_after_reading_back(db, make_org):
    from decimal import Decimal

    from koepel.platform.timeutil import utcnow

    org = make_org()
    audit.record(
        db.session,
        actor=None,
        tenant_id=org.id,
        action="budget.set",
        obj_type="budget",
        obj_id=1,
        after={"amount": Decimal("8500000.00"), "at": utcnow()},
    )
    db.session.commit()
    db.session.expire_all()
    assert audit.verify_chain(db.session).ok


def test_database_refuses_update_and_delete(db, make_org):
    org = make_org()
    _record(db, org, 1)
    for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        nested = db.session.begin_nested()
        with pytest.raises(DatabaseError):
            db.session.execute(text(statement))
        nested.rollback()


def _tamper(db, statement: str) -> None:
    """What an attacker with database access would do: get past the triggers (and, on
    PostgreSQL, see every tenant's rows)."""
    with cross_tenant("test: an attacker with database access"):
        _tamper_unscoped(db, statement)


def _tamper_unscoped(db, statement: str) -> None:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        db.session.execute(text(statement))
        db.session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
    else:
        trigger = (
            "audit_event_no_delete" if statement.startswith("DELETE") else "audit_event_no_update"
        )
        sql = db.session.scalar(
            text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": trigger}
        )
        db.session.execute(text(f"DROP TRIGGER {trigger}"))
        db.session.execute(text(statement))
        db.session.execute(text(sql))


def _seq_of_third(db) -> int:
    with cross_tenant("test: inspect the chain"):
        return db.session.scalar(
            text("SELECT seq FROM audit_event ORDER BY seq DESC LIMIT 1 OFFSET 2")
        )


def test_a_changed_row_is_caught(db, make_org):
    org = make_org()
    _record(db, org, 5)
    seq = _seq_of_third(db)
    _tamper(db, f'UPDATE audit_event SET summary = \'{{"after": {{"v": 999}}}}\' WHERE seq = {seq}')
    report = audit.verify_chain(db.session)
    assert not report.ok
    assert report.broken_seq == seq
    assert report.reason == "inhoud is gewijzigd"


def test_a_removed_row_is_caught(db, make_org):
    org = make_org()
    _record(db, org, 5)
    seq = _seq_of_third(db)
    _tamper(db, f"DELETE FROM audit_event WHERE seq = {seq}")
    report = audit.verify_chain(db.session)
    assert not report.ok and report.broken_seq == seq + 1


def test_verify_command_reports_the_broken_link(app, db, make_org):
    org = make_org()
    _record(db, org, 3)
    seq = _seq_of_third(db)
    _tamper(db, f"UPDATE audit_event SET actor_label = 'iemand anders' WHERE seq = {seq}")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at event {seq}" in result.output


def test_tenants_see_only_their_own_events(db, make_org):
    from sqlalchemy import select

    from koepel.platform.models import AuditEvent
    from koepel.platform.tenancy import acting_for

    a, b = make_org(), make_org()
    _record(db, a, 2)
    _record(db, b, 3)
    with acting_for(a.id):
        assert {e.tenant_id for e in db.session.scalars(select(AuditEvent))} == {a.id}
