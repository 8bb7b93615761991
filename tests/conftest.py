"""Test set-up: one app per session on the chosen backend, a rolled-back transaction per
test, factories, and a query counter.

``KOEPEL_TEST_DB=sqlite`` (default): an SQLite file, jobs inline.
``KOEPEL_TEST_DB=postgresql``: a real PostgreSQL and a real Redis, started here in a
temporary directory on loopback; jobs go through RQ. Where the server binaries are
absent the run is skipped with the reason, unless ``KOEPEL_REQUIRE_SERVERS=1`` (CI),
which turns that into a failure.
"""

from __future__ import annotations

import contextvars
import itertools
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import event
from sqlalchemy.orm import scoped_session, sessionmaker

import servers

BACKEND = os.environ.get("KOEPEL_TEST_DB", "sqlite")
REQUIRE_SERVERS = os.environ.get("KOEPEL_REQUIRE_SERVERS") == "1"
PASSWORD = "correct horse battery"


def missing(what: str) -> None:
    """Skip with the reason, or fail where the servers are required (CI)."""
    message = f"{what} is not available here; run `make test` as root (it installs the servers)"
    if REQUIRE_SERVERS:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def pdf_text(data: bytes) -> str:
    """What a PDF says, as one line of words (pdftotext from poppler-utils)."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        missing("pdftotext (poppler-utils)")
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


@pytest.fixture(scope="session")
def pg_server() -> Iterator[servers.PostgresServer]:
    server = servers.start_postgres()
    if server is None:
        missing("PostgreSQL")
    yield server
    server.stop()


APP_ROLE = "koepel_app"


def app_database(pg: servers.PostgresServer, name: str) -> str:
    """A database owned by the suite's plain role (see ``PostgresServer.app_database``)."""
    return pg.app_database(name, APP_ROLE)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[servers.RedisServer]:
    server = servers.start_redis()
    if server is None:
        missing("redis-server")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory) -> str:
    if BACKEND == "postgresql":
        return app_database(request.getfixturevalue("pg_server"), servers.PG_DATABASE)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'koepel.db'}"


@pytest.fixture(scope="session")
def new_database(request, tmp_path_factory) -> Callable[[str], str]:
    """An empty database of the current backend, for tests that need their own."""

    def make(name: str) -> str:
        if BACKEND == "postgresql":
            return app_database(request.getfixturevalue("pg_server"), name)
        return f"sqlite:///{tmp_path_factory.mktemp(name) / 'koepel.db'}"

    return make


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: its own app context, ``g``,
    database session and tenancy scope, even while the test itself holds an app context."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(request, database_url, tmp_path_factory):
    redis_url = request.getfixturevalue("redis_server").url if BACKEND == "postgresql" else None
    instance = tmp_path_factory.mktemp("instance")
    os.environ["KOEPEL_INSTANCE"] = str(instance)
    os.environ["DATABASE_URL"] = database_url
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    from koepel.platform.app import create_app

    app = create_app(
        {
            "KOEPEL_ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "RQ_QUEUE": f"koepel-test-{os.getpid()}",
            "MAIL_FOLDER": str(instance / "mail"),
            "SERVER_NAME": "koepel.test",
            # Cheap hashing keeps the suite fast; production uses argon2's defaults.
            "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        }
    )
    app.test_client_class = IsolatedClient
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def db(app, app_ctx):
    """The database, inside a transaction that is rolled back after the test.

    The session joins an outer transaction and turns its own commits into savepoints,
    so code under test commits as usual and nothing outlives the test.
    """
    from koepel.platform.extensions import db as _db

    connection = _db.engine.connect()
    outer = connection.begin()
    original = _db.session
    _db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=_app_ctx_id,
    )
    try:
        yield _db
    finally:
        _db.session.remove()
        _db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def count_queries(db):
    """``with count_queries() as counter: ...`` then ``counter.count``."""

    class Counter:
        count = 0
        statements: list[str] = []

    @contextmanager
    def counting():
        counter = Counter()
        counter.statements = []
        engine = db.engine

        def before(conn, cursor, statement, *args):
            if statement.strip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                return
            counter.count += 1
            counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


# -- factories ------------------------------------------------------------------------
_seq = itertools.count(1)


@pytest.fixture
def make_org(db):
    from koepel.platform.models import Organisation, OrgKind

    def make(
        kind: OrgKind | str = OrgKind.COOPERATIVE, slug: str | None = None, name: str | None = None
    ) -> Organisation:
        n = next(_seq)
        org = Organisation(
            kind=OrgKind(kind), slug=slug or f"org-{n}", name=name or f"Organisatie {n}"
        )
        db.session.add(org)
        db.session.flush()
        return org

    return make


@pytest.fixture
def make_user(db):
    from koepel.platform.auth import operations as ops

    def make(
        org=None,
        role: str | None = None,
        email: str | None = None,
        password: str = PASSWORD,
        name: str | None = None,
    ):
        n = next(_seq)
        user = ops.create_user(
            actor=None,
            email=email or f"user{n}@example.org",
            display_name=name or f"Gebruiker {n}",
            password=password,
        )
        if org is not None:
            ops.grant_role(actor=None, user=user, org=org, role=role or _default_role(org))
        db.session.flush()
        return user

    return make


def _default_role(org) -> str:
    from koepel.platform import policy

    return policy.roles_for_kind(org.kind)[0]


_CSRF = re.compile(
    r'name="(?:[\w-]*-)?csrf_token" type="hidden" value="([^"]+)"|'
    r'name="(?:[\w-]*-)?csrf_token" value="([^"]+)"'
)


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def client_for(app, user):
    """A fresh test client logged in as ``user``: one per person in a multi-user test."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302, f"login as {user.email} failed"
    return client


@pytest.fixture
def csrf(client):
    """A valid CSRF token for the client's session (read from a page, as a browser would)."""

    def token(url: str = "/login") -> str:
        return csrf_from(client.get(url).get_data(as_text=True))

    return token


@pytest.fixture
def login(client, csrf):
    def do(user, password: str = PASSWORD):
        response = client.post(
            "/login", data={"email": user.email, "password": password, "csrf_token": csrf()}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do


@pytest.fixture
def run_jobs(app, db):
    """Run queued jobs now: a no-op inline (they already ran), an RQ burst on Redis."""

    def run() -> None:
        if not app.config.get("REDIS_URL"):
            return
        from redis import Redis
        from rq import Queue, SimpleWorker

        connection = Redis.from_url(app.config["REDIS_URL"])
        queue = Queue(app.config["RQ_QUEUE"], connection=connection)
        SimpleWorker([queue], connection=connection).work(burst=True)

    return run


@pytest.fixture
def mailbox(app):
    """The .eml files the file mail backend wrote during this test."""
    folder = Path(app.config["MAIL_FOLDER"])
    for old in folder.glob("*.eml"):
        old.unlink()

    def read() -> list:
        from email import policy as email_policy
        from email.parser import BytesParser

        return [
            BytesParser(policy=email_policy.default).parsebytes(p.read_bytes())
            for p in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime)
        ]

    return read
