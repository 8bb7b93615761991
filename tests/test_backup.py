"""`koepel backup` / `koepel restore`: the demo world plus a sealed bid with an encrypted
attachment round-trips into a fresh database and instance folder (same rows, same files,
the audit chain intact, the bid opens with the same key, the pages serve); a damaged
archive, a non-empty target and another sealing key are refused without changing
anything; a backup from an older migration is upgraded. Runs on the suite's backend."""

from __future__ import annotations

import io
import itertools
import json
import os
import tarfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import inspect, select, text

from koepel.bids import dossier, opening, submission
from koepel.bids.models import Bid, Tender, TenderStatus
from koepel.platform import audit, backup, demo
from koepel.platform.auth import operations as accounts
from koepel.platform.extensions import db
from koepel.platform.models import Organisation
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.web import commit

from conftest import BACKEND, IsolatedClient, csrf_from

SECRETS = {"SECRET_KEY": "backup-test-secret", "SEALING_KEY": "backup-test-sealing-key"}
ATTACHMENT = b"Werkplan Elsendorp: 12 vrijwilligers, route langs de Molenstraat"
PRICE = "123.456,78"
_names = itertools.count(1)


def make_app(instance: Path, url: str, **overrides) -> Flask:
    """An app of its own (database, instance folder), as `koepel` on another server."""
    from koepel.platform.app import create_app

    before = os.environ.get("KOEPEL_INSTANCE")
    os.environ["KOEPEL_INSTANCE"] = str(instance)
    try:
        app = create_app(
            {
                "KOEPEL_ENV": "testing",
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "REDIS_URL": None,  # jobs inline
                "MAIL_FOLDER": str(instance / "mail"),
                "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
                **SECRETS,
                **overrides,
            }
        )
    finally:
        if before is None:
            os.environ.pop("KOEPEL_INSTANCE", None)
        else:
            os.environ["KOEPEL_INSTANCE"] = before
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="module")
def fresh(new_database, tmp_path_factory) -> Iterator[Callable[..., Flask]]:
    """An app on an empty database and an empty instance folder."""
    made: list[Flask] = []

    def make(**overrides) -> Flask:
        name = f"restore_{next(_names)}"
        app = make_app(tmp_path_factory.mktemp(name), new_database(name), **overrides)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def _org(slug: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug))


def _sealed_bid() -> dict:
    """Zorgcoöperatie Elsendorp bids on the open Brunssum tender, with a file for this bid
    only (stored encrypted), and submits: a sealed bid."""
    coop = _org("elsendorp")
    user = accounts.find_user(demo.demo_email("coordinator.elsendorp"))
    with cross_tenant("test: find the open demo tender"):
        tender_id = db.session.scalar(
            select(Tender.id).where(
                Tender.tenant_id == _org("brunssum").id, Tender.status == TenderStatus.PUBLISHED
            )
        )
    with acting_for(coop.id):
        tender = submission.published_tender(tender_id)
        bid = submission.start(actor=user, bidder=coop, tender=tender, lot_id=tender.lots[0].id)
        content = {
            "price": PRICE,
            "answers": {
                str(c.id): f"Ons antwoord op {c.title}"
                for c in tender.criteria
                if c.kind.value != "price"
            },
            "requirements": {str(r.id): "Ja, zo doen wij dat" for r in tender.requirements},
        }
        submission.save_draft(actor=user, bidder=coop, bid=bid, content=content)
        attachment = dossier.upload_attachment(
            actor=user,
            bidder=coop,
            bid=bid,
            tender=tender,
            title="Werkplan",
            filename="werkplan.txt",
            data=ATTACHMENT,
        )
        receipt = submission.submit(actor=user, bidder=coop, bid=bid, tender=tender)
        sealed = submission.submitted_content(bid)
        ids = {"bid": bid.id, "attachment": attachment.id, "tender": tender_id}
    commit()
    return {**ids, "receipt": receipt.digest, "sealed": sealed}


def _dump() -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key (as the app's role sees them
    across all tenants)."""
    rows = {}
    with cross_tenant("test: compare every row as a dump would"):
        for table in db.metadata.sorted_tables:
            order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            rows[table.name] = [
                tuple(r)
                for r in db.session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {order}'))
            ]
    db.session.rollback()
    return rows


def _files(app: Flask) -> dict[str, bytes]:
    root = Path(app.instance_path)
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "secret_key"
    }


def _catalog() -> dict[str, list[tuple]]:
    """PostgreSQL: row-level security, policies, grants and triggers of the schema."""
    queries = {
        "tables": "SELECT relname, relrowsecurity, relforcerowsecurity, relacl::text "
        "FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
        "ORDER BY relname",
        "policies": "SELECT tablename, policyname, cmd, roles::text, qual, with_check "
        "FROM pg_policies ORDER BY tablename, policyname",
        "triggers": "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
        "WHERE NOT tgisinternal ORDER BY 1, 2",
        "functions": "SELECT proname, prosrc FROM pg_proc "
        "WHERE pronamespace = 'public'::regnamespace ORDER BY 1",
    }
    with db.engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in queries.items()}


def _grant_to_a_reporting_role(request) -> None:
    """A grant to another role, which the restore must keep (roles are global: it exists)."""
    import psycopg

    server = request.getfixturevalue("pg_server")
    with psycopg.connect(
        host="127.0.0.1", port=server.port, user="koepel", dbname="postgres", autocommit=True
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'koepel_report'").fetchone():
            conn.execute("CREATE ROLE koepel_report NOLOGIN")
    with db.engine.begin() as conn:
        conn.execute(text("GRANT SELECT ON organisation, contract TO koepel_report"))


@pytest.fixture(scope="module")
def source(request, new_database, tmp_path_factory):
    """The demo world plus a sealed bid, backed up with `koepel backup`."""
    app = make_app(tmp_path_factory.mktemp("backup-source"), new_database("backup_source"))
    archive = tmp_path_factory.mktemp("archives") / "koepel-backup.tar"
    with app.app_context():
        upgrade()
        demo.load()
        commit()
        facts = _sealed_bid()
        if BACKEND == "postgresql":
            _grant_to_a_reporting_role(request)
        result = app.test_cli_runner().invoke(args=["backup", str(archive)])
        assert result.exit_code == 0, result.output
        assert "Not in the backup: SECRET_KEY and SEALING_KEY" in result.output
        report = audit.verify_chain(db.session)
        assert report.ok
        state = SimpleNamespace(
            app=app,
            archive=archive,
            rows=_dump(),
            files=_files(app),
            events=report.checked,
            head=report.head,
            catalog=_catalog() if BACKEND == "postgresql" else None,
            **facts,
        )
        db.engine.dispose()
    return state


def _restore(app: Flask, archive: Path, *args: str):
    return app.test_cli_runner().invoke(args=["restore", str(archive), *args])


def _empty(app: Flask) -> bool:
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        db.engine.dispose()
    return tables == [] and _files(app) == {}


def test_a_tenant_round_trips(source, fresh):
    manifest = backup.read_manifest(tarfile.open(source.archive))
    assert manifest["alembic_revision"] and manifest["created_at"].endswith("+00:00")
    assert manifest["database"]["dialect"] == BACKEND
    assert manifest["audit_head"] == source.head
    archived = {e["path"] for e in manifest["files"]}
    assert archived == {f"files/{name}" for name in source.files}
    assert "secret_key" not in json.dumps(manifest["files"])
    # The secrets are not in the archive, in any member.
    with tarfile.open(source.archive) as tar:
        blobs = [tar.extractfile(m).read() for m in tar if m.isfile()]
    for secret in SECRETS.values():
        assert not any(secret.encode() in blob for blob in blobs)
    # The encrypted attachment is in the archive, its plaintext nowhere.
    assert not any(ATTACHMENT in blob for blob in blobs)
    assert any(name.startswith(f"{dossier.ATTACHMENT_AREA}/") for name in source.files)

    target = fresh()
    result = _restore(target, source.archive)
    assert result.exit_code == 0, result.output
    assert f"and {len(source.files)} files" in result.output
    assert _files(target) == source.files  # byte-identical, before the app writes any
    with target.app_context():
        assert _dump() == source.rows
        if BACKEND == "postgresql":
            catalog = _catalog()
            assert catalog == source.catalog
            assert any("koepel_report=r/" in (acl or "") for *_, acl in catalog["tables"])
            assert len(catalog["policies"]) > 20
        # The tenants' data is there (the comparison above is not of empty tables).
        coop, buyer = _org("elsendorp"), _org("brunssum")
        for table, tenant in (
            ("member", coop),
            ("bid", coop),
            ("bid_attachment", coop),
            ("audit_event", coop),
            ("contract", buyer),
            ("tender", buyer),
        ):
            assert any(row.tenant_id == tenant.id for row in _rows_of(table)), table
        db.session.rollback()
    verified = target.test_cli_runner().invoke(args=["audit", "verify", "--head", source.head])
    assert verified.exit_code == 0, verified.output
    assert f"audit chain intact: {source.events} events" in verified.output

    with target.app_context():
        coop = _org("elsendorp")
        # The sealed bid reads back with the same key: same content, same attachment bytes.
        with acting_for(coop.id):
            bid = db.session.get(Bid, source.bid)
            assert submission.submitted_content(bid) == source.sealed
            _view, data = dossier.bid_attachment(bid, source.attachment)
            assert data == ATTACHMENT
        # And the buyer opens it (four eyes) after the deadline: the price is what was bid.
        buyer = _org("brunssum")
        first = accounts.find_user(demo.demo_email("inkoper.brunssum"))
        second = accounts.create_user(
            actor=None, email="inkoper2.brunssum@example.org", display_name="B", password=None
        )
        accounts.grant_role(actor=None, user=second, org=buyer, role="procurement_officer")
        with acting_for(buyer.id):
            tender = db.session.get(Tender, source.tender)
            after = tender.submission_deadline + timedelta(minutes=1)
            opening.start(actor=first, buyer=buyer, tender=tender, now=after)
            opened = opening.confirm(
                actor=second, buyer=buyer, tender=tender, now=after + timedelta(minutes=1)
            )
            (copy,) = [o for o in opened if o.bid_id == source.bid]
            assert copy.price == Decimal("123456.78")
            assert copy.quality["answers"] == source.sealed[0]["answers"]
        db.session.rollback()
        db.engine.dispose()

    # The app serves the tenant's pages from the restored data.
    client = target.test_client()
    page = client.get("/login").get_data(as_text=True)
    logged_in = client.post(
        "/login",
        data={
            "email": demo.demo_email("coordinator.elsendorp"),
            "password": demo.DEMO_PASSWORD,
            "csrf_token": csrf_from(page),
        },
    )
    assert logged_in.status_code == 302
    members = client.get("/elsendorp/members")
    assert members.status_code == 200 and "Zorgcoöperatie Elsendorp" in members.get_data(
        as_text=True
    )
    bid_page = client.get(f"/elsendorp/bids/{source.bid}")
    assert bid_page.status_code == 200 and source.receipt in bid_page.get_data(as_text=True)
    attachment = client.get(f"/elsendorp/bids/{source.bid}/attachments/{source.attachment}")
    assert attachment.status_code == 200 and attachment.data == ATTACHMENT


def _rows_of(table: str):
    with cross_tenant("test: rows of a table"):
        return db.session.execute(text(f'SELECT * FROM "{table}"')).all()


def test_restore_refuses_a_target_with_data_unless_forced(source, fresh, tmp_path):
    target = fresh()
    assert _restore(target, source.archive).exit_code == 0
    again = _restore(target, source.archive)
    assert again.exit_code != 0
    assert "restore refused: restore needs an empty database and instance folder" in again.output
    assert "--force" in again.output
    forced = _restore(target, source.archive, "--force")
    assert forced.exit_code == 0, forced.output
    with target.app_context():
        assert _dump() == source.rows
        db.engine.dispose()
    assert _files(target) == source.files
    # Files alone make a target non-empty too.
    only_files = fresh()
    stray = Path(only_files.instance_path) / "documents" / "1" / "kept.pdf"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"%PDF somebody's file")
    refused = _restore(only_files, source.archive)
    assert refused.exit_code != 0 and "holds 1 files" in refused.output
    assert stray.read_bytes() == b"%PDF somebody's file"


def _rewrite(
    source: Path,
    target: Path,
    *,
    manifest: Callable[[dict], None] | None = None,
    member: Callable[[str, bytes], bytes | None] | None = None,
    extra: tuple[str, bytes] | None = None,
) -> Path:
    """A copy of an archive with the manifest, a member's bytes or the members changed."""
    with tarfile.open(source) as tar:
        parts = [(m.name, tar.extractfile(m).read()) for m in tar]
    with tarfile.open(target, "w") as tar:
        for name, data in parts + ([extra] if extra else []):
            if name == backup.MANIFEST and manifest:
                found = json.loads(data)
                manifest(found)
                data = json.dumps(found).encode()
            elif member:
                data = member(name, data)
                if data is None:
                    continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def _flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]


def test_a_damaged_archive_is_refused_and_changes_nothing(source, fresh, tmp_path):
    archive = source.archive
    some_file = next(n for n in sorted(source.files) if n.startswith("dossier/"))
    evil = b"not yours"

    def add_evil(found: dict) -> None:
        found["files"].append(
            {"path": "files/../../evil.txt", "size": len(evil), "sha256": _sha(evil)}
        )

    cases = {
        "database changed": (
            _rewrite(
                archive,
                tmp_path / "a.tar",
                member=lambda n, d: _flip(d) if n.startswith("database.") else d,
            ),
            "does not match its checksum",
        ),
        "file changed": (
            _rewrite(
                archive,
                tmp_path / "b.tar",
                member=lambda n, d: d + b"!" if n == f"files/{some_file}" else d,
            ),
            f"files/{some_file} does not match its checksum",
        ),
        "file missing": (
            _rewrite(
                archive,
                tmp_path / "c.tar",
                member=lambda n, d: None if n == f"files/{some_file}" else d,
            ),
            "the archive is incomplete",
        ),
        "file not in the manifest": (
            _rewrite(archive, tmp_path / "d.tar", extra=("files/documents/1/x.pdf", evil)),
            "which its manifest lacks",
        ),
        "file outside the store": (
            _rewrite(
                archive, tmp_path / "e.tar", manifest=add_evil, extra=("files/../../evil.txt", evil)
            ),
            "outside the file store",
        ),
        "secret in the archive": (
            _rewrite(
                archive,
                tmp_path / "f.tar",
                manifest=lambda m: m["files"].append(
                    {"path": "files/secret_key", "size": 3, "sha256": _sha(b"abc")}
                ),
                extra=("files/secret_key", b"abc"),
            ),
            "which a backup never contains",
        ),
        "manifest missing": (
            _rewrite(
                archive, tmp_path / "g.tar", member=lambda n, d: None if n == "manifest.json" else d
            ),
            "it has no manifest.json",
        ),
        "manifest damaged": (
            _rewrite(
                archive,
                tmp_path / "h.tar",
                member=lambda n, d: d[:-10] if n == "manifest.json" else d,
            ),
            "the manifest of this backup is damaged",
        ),
        "truncated": (_cut(archive, tmp_path / "i.tar"), "damaged or incomplete"),
        "not an archive": (_write(tmp_path / "j.tar", b"hello"), "not a readable backup archive"),
    }
    target = fresh()
    for case, (damaged, message) in cases.items():
        result = _restore(target, damaged)
        assert result.exit_code != 0, case
        assert "restore refused" in result.output and message in result.output, (
            case,
            result.output,
        )
        assert _empty(target), case
    assert not (Path(target.instance_path).parent.parent / "evil.txt").exists()
    assert not list(Path(target.instance_path).glob(".restore-*"))  # staging cleaned up


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _cut(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    return _write(target, data[: len(data) * 2 // 3])


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_restore_needs_the_same_sealing_key(source, fresh):
    target = fresh(SEALING_KEY="another-sealing-key")
    result = _restore(target, source.archive)
    assert result.exit_code != 0
    assert "the sealing key differs" in result.output and "SEALING_KEY" in result.output
    assert _empty(target)


def test_a_backup_from_an_older_migration_is_upgraded(new_database, fresh, tmp_path):
    url = new_database(f"backup_old_{next(_names)}")
    old = make_app(tmp_path / "old-instance", url)
    with old.app_context():
        scripts = backup._scripts(old)
        head = scripts.get_current_head()
        older = scripts.get_revision(head).down_revision
        upgrade(revision=older)
        org = Organisation(kind="cooperative", slug="oud", name="Zorgcoöperatie Oud")
        db.session.add(org)
        db.session.flush()
        audit.record(
            db.session,
            actor=None,
            tenant_id=org.id,
            action="org.created",
            obj_type="org",
            obj_id=org.id,
        )
        db.session.commit()
        db.engine.dispose()
    if BACKEND == "postgresql":
        # Before d7e8f9a02300 the app's role cannot pg_dump its tables (the policy function
        # needed the search path); the owner of the server can, as the README says.
        old = make_app(tmp_path / "old-instance", url.replace("//koepel_app@", "//koepel@"))
    archive = tmp_path / "old.tar"
    with old.app_context():
        made = old.test_cli_runner().invoke(args=["backup", str(archive)])
        assert made.exit_code == 0, made.output
        db.engine.dispose()
    target = fresh()
    restored = _restore(target, archive)
    assert restored.exit_code == 0, restored.output
    assert f"restored {BACKEND} database at migration {older}" in restored.output
    assert f"database upgraded to migration {head}" in restored.output
    with target.app_context():
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head
        assert _org("oud").name == "Zorgcoöperatie Oud"
        assert audit.verify_chain(db.session).ok
        db.session.rollback()
        db.engine.dispose()
    # A backup from a koepel that knows a later migration than this one is refused.
    newer = _rewrite(
        archive,
        tmp_path / "newer.tar",
        manifest=lambda m: m.update(alembic_revision="fffe00000000"),
    )
    other = fresh()
    refused = _restore(other, newer)
    assert refused.exit_code != 0 and "which this koepel does not know" in refused.output
    assert _empty(other)


def test_pg_tools_get_the_password_from_a_private_file(tmp_path, monkeypatch):
    """No password on the command line (where `ps` shows it): a password file, 0600."""
    app = Flask("x")
    app.config["SQLALCHEMY_DATABASE_URI"] = (
        "postgresql+psycopg://koepel_app:s3cr%3At@db.example:5433/koepel?sslmode=require"
    )
    monkeypatch.setenv("PGPASSWORD", "stale")
    conninfo, env = backup._libpq(app, tmp_path)
    assert conninfo == "postgresql://koepel_app@db.example:5433/koepel?sslmode=require"
    assert "s3cr" not in conninfo and "PGPASSWORD" not in env
    passfile = Path(env["PGPASSFILE"])
    assert passfile.read_text() == "db.example:5433:koepel:koepel_app:s3cr\\:t\n"
    assert passfile.stat().st_mode & 0o777 == 0o600
    assert "-c koepel.tenant=all" in env["PGOPTIONS"]
