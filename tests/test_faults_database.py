"""The database goes away in the middle of a request, and comes back.

A member registration writes several rows (the member, its household, an audit event). The
connection is cut between the first rows and the audit event: the user gets a clear Dutch
page (503, try again in a few minutes), an API client a problem+json, nothing is half
written, and the very next request works without restarting the app.

On PostgreSQL the server really drops the connection (``pg_terminate_backend`` from a second
connection, at the moment the audit event is about to be written), and in a second test the
whole server is stopped and started again. On SQLite a connection cannot be killed from the
outside; there the driver fails the audit insert with an OperationalError (an I/O error).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from conftest import BACKEND, client_for, csrf_from
from fault_apps import api_token, database_name, dispose, make_app, seed_org

MEMBER_FORM = {
    "first_name": "Henk",
    "last_name": "Manders",
    "postcode": "5424ab",
    "street": "Kerkstraat",
    "house_number": "3",
    "city": "Elsendorp",
    "joined_on": "2024-01-01",
}
API_MEMBER = {
    "first_name": "Marij",
    "last_name": "Verhoeven",
    "joined_on": "2024-01-01",
    "postcode": "5424ab",
    "street": "Dorpsstraat",
    "house_number": "1",
}


@pytest.fixture
def coop_app(new_database, tmp_path, monkeypatch):
    monkeypatch.setenv("KOEPEL_INSTANCE", str(tmp_path))
    app = make_app(new_database(database_name("faults_db")), tmp_path)
    org_id, user_id = seed_org(app, "cooperative", "fd-coop", "coordinator", "coord@example.org")
    app.config["fault"] = SimpleNamespace(org_id=org_id, user_id=user_id)
    yield app
    dispose(app)


def _counts(app: Flask) -> tuple[int, int, int]:
    """Members, households and audit events on record (committed data only)."""
    from koepel.platform.extensions import db
    from koepel.platform.models import AuditEvent
    from koepel.platform.tenancy import cross_tenant
    from koepel.tenants.models import Household, Member

    with app.app_context(), cross_tenant("the test counts committed rows"):
        counts = tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Member, Household, AuditEvent)
        )
        db.session.remove()
    return counts


def _chain_intact(app: Flask) -> bool:
    from koepel.platform import audit
    from koepel.platform.extensions import db

    with app.app_context():
        report = audit.verify_chain(db.session)
        db.session.remove()
    return report.ok


@contextmanager
def _connection_lost_at(app: Flask, statement_start: str) -> Iterator[list[str]]:
    """Cut the database connection when a statement starting with ``statement_start`` is
    about to run (once). Yields a list that records what was cut."""
    cut: list[str] = []
    from koepel.platform.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        import psycopg

        url = engine.url
        admin = psycopg.connect(
            host=url.host, port=url.port, user="koepel", dbname=url.database, autocommit=True
        )

        def kill(conn, _cursor, statement, *_args):
            if cut or not statement.lstrip().upper().startswith(statement_start):
                return
            pid = conn.connection.dbapi_connection.info.backend_pid
            # Waits (up to 10 s) until the server process is gone: the statement then
            # meets a dead connection, as after a crash or a fail-over.
            row = admin.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,)).fetchone()
            cut.append(f"backend {pid} terminated: {row[0]}")

        event.listen(engine, "before_cursor_execute", kill)
        try:
            yield cut
        finally:
            event.remove(engine, "before_cursor_execute", kill)
            admin.close()
        return

    def fail(_cursor, statement, _parameters, _context):
        if cut or not statement.lstrip().upper().startswith(statement_start):
            return None
        cut.append("sqlite: disk I/O error raised by the driver")
        raise sqlite3.OperationalError("disk I/O error")

    event.listen(engine, "do_execute", fail)
    try:
        yield cut
    finally:
        event.remove(engine, "do_execute", fail)


def test_a_page_request_losing_the_database_answers_503_and_writes_nothing(coop_app):
    app = coop_app
    client = client_for(app, SimpleNamespace(email="coord@example.org"))
    page = client.get("/fd-coop/members/new").get_data(as_text=True)
    form = {**MEMBER_FORM, "csrf_token": csrf_from(page)}
    before = _counts(app)

    with _connection_lost_at(app, "INSERT INTO AUDIT_EVENT") as cut:
        response = client.post("/fd-coop/members/new", data=form)
    assert cut, "the fault was never injected: the registration wrote no audit event"
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html[:500]
    assert response.headers.get("Retry-After")
    assert response.mimetype == "text/html"
    assert "Tijdelijk niet beschikbaar" in html
    assert "Probeer het over een paar minuten opnieuw" in html
    assert "Traceback" not in html and "OperationalError" not in html and "audit_event" not in html
    # Nothing half-written: no member, no household, no audit event.
    assert _counts(app) == before

    # The next request works on the same app (the pool replaced the dead connection).
    again = client.post("/fd-coop/members/new", data=form)
    assert again.status_code == 302, again.get_data(as_text=True)[:500]
    detail = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Henk Manders" in detail
    members, households, events = _counts(app)
    assert (members, households) == (before[0] + 1, before[1] + 1) and events > before[2]
    assert _chain_intact(app)


def test_an_api_request_losing_the_database_answers_problem_json(coop_app):
    app = coop_app
    token = api_token(app, app.config["fault"].user_id)
    auth = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    before = _counts(app)

    with _connection_lost_at(app, "INSERT INTO AUDIT_EVENT") as cut:
        response = client.post("/api/v1/orgs/fd-coop/members", headers=auth, json=API_MEMBER)
    assert cut
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 503 and body["title"] == "Service Unavailable"
    assert "audit_event" not in response.get_data(as_text=True)
    assert response.headers.get("Retry-After")
    assert _counts(app) == before

    created = client.post("/api/v1/orgs/fd-coop/members", headers=auth, json=API_MEMBER)
    assert created.status_code == 201, created.get_json()
    assert _counts(app)[0] == before[0] + 1
    assert _chain_intact(app)


# -- the whole server stops and starts again (PostgreSQL) ---------------------------------------
def _pg_ctl(server, *args: str) -> None:
    import servers

    done = servers._run(
        server._prefix + [str(server.bin_dir / "pg_ctl"), "-D", str(server.data_dir), *args],
        cwd=server.base,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of this test alone: stopping it must not disturb the others."""
    import servers
    from conftest import app_database

    server = servers.start_postgres()
    if server is None:
        pytest.skip("PostgreSQL is not installed")
    try:
        yield server, app_database(server, "faults_restart")
    finally:
        server.stop()


@pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="a database server to stop and start again: the PostgreSQL pass runs it "
    "(KOEPEL_TEST_DB=postgresql); SQLite has no server",
)
def test_the_server_stops_and_comes_back_without_restarting_the_app(
    own_postgres, tmp_path, monkeypatch
):
    import servers

    server, url = own_postgres
    monkeypatch.setenv("KOEPEL_INSTANCE", str(tmp_path))
    app = make_app(url, tmp_path)
    try:
        seed_org(app, "cooperative", "fd-coop", "coordinator", "coord@example.org")
        client = client_for(app, SimpleNamespace(email="coord@example.org"))
        assert client.get("/fd-coop/members").status_code == 200  # a connection in the pool
        page = client.get("/fd-coop/members/new").get_data(as_text=True)
        form = {**MEMBER_FORM, "csrf_token": csrf_from(page)}

        # A restart: the server ends every session (the pooled connection dies with it).
        # Not "-m immediate": the throwaway server runs with synchronous_commit=off, and a
        # crash would lose the rows just committed, which is not what this test is about.
        _pg_ctl(server, "-m", "fast", "-w", "stop")
        down = client.post("/fd-coop/members/new", data=form)
        html = down.get_data(as_text=True)
        assert down.status_code == 503, html[:500]
        assert down.mimetype == "text/html" and down.headers.get("Retry-After")
        assert "Tijdelijk niet beschikbaar" in html and "Traceback" not in html
        listing = client.get("/fd-coop/members")
        assert listing.status_code == 503

        servers._pg_start(server)  # same data directory, same port
        assert client.get("/fd-coop/members").status_code == 200
        created = client.post("/fd-coop/members/new", data=form)
        assert created.status_code == 302, created.get_data(as_text=True)[:500]
        assert _counts(app)[0] == 1
        assert _chain_intact(app)
    finally:
        dispose(app)
