"""Backup and restore: the database and the file store in one archive with a manifest.

The archive is a tar file holding

- ``database.pgdump`` (``pg_dump --format=custom``: schema, rows, row-level security
  policies, grants) or ``database.sqlite3`` (SQLite's online backup API, so a backup taken
  while the app runs is consistent);
- ``files/...``: every file of the instance folder (the file store: documents, dossiers,
  encrypted bid attachments, letters, reports, exports, development mail), except hidden
  temporary files, the SQLite database itself and ``secret_key``;
- ``manifest.json``: format, koepel version, Alembic revision, creation time (UTC), the
  SHA-256 and size of every part, a check value of each secret, and the audit chain's head
  (for ``koepel audit verify --head`` later: kept apart from the database, it shows that
  no event up to it was removed or rewritten since).

Secrets are never in the archive: ``SECRET_KEY`` and ``SEALING_KEY`` (in development, the
file ``instance/secret_key`` from which both derive) must be kept separately. The manifest
holds only an HMAC check value of each, so that restore can refuse a key that would leave
every sealed bid unreadable. PostgreSQL roles are global to the server and not in a dump
either: the app's role must exist on the target server before a restore.

Restore verifies the whole archive before it changes anything, puts it into an empty
database and instance folder (``force`` restores over existing data: objects in the
archive are replaced, other files are left), then brings the schema up to date when the
backup was made at an older migration.
"""

from __future__ import annotations

import glob
import hashlib
import hmac
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path, PurePosixPath
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from flask import Flask
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import URL, make_url

from koepel.platform.extensions import db
from koepel.platform.models import AuditEvent
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import utcnow

FORMAT = "koepel-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/"
DATABASE_MEMBERS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
SECRET_FILE = "secret_key"  # the development secret, in the instance folder
_KEY_CHECK = b"koepel backup key check"
_CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass
class RestoreReport:
    dialect: str
    revision: str
    files: int
    upgraded_to: str | None = None
    warnings: list[str] = field(default_factory=list)


# -- what is where ---------------------------------------------------------------------------
def _instance(app: Flask) -> Path:
    return Path(app.instance_path).resolve()


def _url(app: Flask) -> URL:
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"])


def _dialect(app: Flask) -> str:
    name = _url(app).get_backend_name()
    if name not in DATABASE_MEMBERS:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {name}")
    return name


def _sqlite_path(app: Flask) -> Path:
    database = _url(app).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("the SQLite database must be a plain file to back it up")
    return Path(database).resolve()


def _skipped(app: Flask) -> set[Path]:
    """Files of the instance folder that are not part of the file store."""
    skipped = {_instance(app) / SECRET_FILE}
    if _dialect(app) == "sqlite":
        path = _sqlite_path(app)
        skipped |= {path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))}
    return skipped


def _store_files(app: Flask, also_skip: set[Path] = frozenset()) -> Iterator[tuple[str, Path]]:
    """(name relative to the instance folder, path) of each file in the file store, sorted.
    Hidden names are temporary (``.x.part`` while a file is written, restore staging)."""
    root = _instance(app)
    skipped = _skipped(app) | set(also_skip)
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(folder) / name
            if name.startswith(".") or path in skipped or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path


def key_checks(app: Flask) -> dict[str, str]:
    """A check value of each secret (HMAC of a constant: it does not reveal the secret).
    The sealing secret is ``SEALING_KEY``, or ``SECRET_KEY`` where that is unset."""
    secret = app.config["SECRET_KEY"]
    sealing = app.config.get("SEALING_KEY") or secret

    def check(value: str) -> str:
        return hmac.new(value.encode(), _KEY_CHECK, hashlib.sha256).hexdigest()[:16]

    return {"secret_key": check(secret), "sealing": check(sealing)}


def _scripts(app: Flask) -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config)


def _revision() -> str:
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except Exception as exc:  # noqa: BLE001 - any failure here means: not a koepel database
        raise BackupError(
            f"the database has no migration revision ({type(exc).__name__}); "
            "is it a koepel database? (koepel db upgrade)"
        ) from None
    if len(rows) != 1:
        raise BackupError(f"the database should have one migration revision, it has {len(rows)}")
    return rows[0][0]


def _audit_head() -> str | None:
    """The newest audit event as "seq:hash": kept with the backup, it lets ``koepel audit
    verify --head`` see later that no event up to it was removed or rewritten."""
    with cross_tenant("the backup notes the head of the global audit chain"):
        row = db.session.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
    db.session.rollback()
    return f"{row.seq}:{row.hash}" if row else None


# -- PostgreSQL client programs ----------------------------------------------------------------
def _pg_program(name: str, server_major: int) -> str:
    """Debian's client binary for the server's major version, or a newer one (pg_dump reads
    older servers, never newer ones)."""
    found: dict[int, str] = {}
    for path in glob.glob(f"/usr/lib/postgresql/*/bin/{name}"):
        major = Path(path).parents[1].name
        if major.isdigit() and os.access(path, os.X_OK):
            found[int(major)] = path
    usable = sorted(v for v in found if v >= server_major)
    if usable:
        return found[usable[0]]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise BackupError(
        f"{name} was not found; install postgresql-client-{server_major} "
        f"(apt-get install postgresql-client-{server_major})"
    )


def _server_major() -> int:
    with db.engine.connect() as conn:
        return int(conn.scalar(text("SHOW server_version_num"))) // 10000


def _libpq(app: Flask, work: Path) -> tuple[str, dict[str, str]]:
    """The connection for pg_dump/pg_restore: a libpq URI without the password, which goes
    into a private password file instead of the command line (where ``ps`` would show it).
    ``koepel.tenant=all`` lets a role under row-level security (as the app's role should be)
    read and write every tenant's rows."""
    url = _url(app)
    env = dict(os.environ)
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c koepel.tenant=all".strip()
    if url.password is not None:

        def field_(value: object) -> str:
            return str(value).replace("\\", "\\\\").replace(":", "\\:")

        passfile = work / "pgpass"
        passfile.touch(mode=0o600)
        passfile.write_text(
            ":".join(
                field_(v)
                for v in (
                    url.host or "*",
                    url.port or "*",
                    url.database or "*",
                    url.username or "*",
                )
            )
            + f":{field_(url.password)}\n"
        )
        env["PGPASSFILE"] = str(passfile)
        env.pop("PGPASSWORD", None)
    plain = URL.create(  # url.set(password=None) would keep the password
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str, hint: str = "") -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        if hint and hint in tail:
            tail += (
                "\nThe database's row-level security predates `koepel backup`: run "
                "`koepel db upgrade` first, or back up as a role with BYPASSRLS."
            )
        raise BackupError(f"{what} failed (exit {done.returncode}):\n{tail}")


# -- backup ------------------------------------------------------------------------------------
def _dump_database(app: Flask, out: Path, work: Path) -> None:
    if _dialect(app) == "sqlite":
        source = sqlite3.connect(_sqlite_path(app))
        target = sqlite3.connect(out)
        try:
            source.backup(target)  # a consistent snapshot, also while the app writes
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
            source.close()
        return
    program = _pg_program("pg_dump", _server_major())
    conninfo, env = _libpq(app, work)
    _run(
        [
            program,
            "--format=custom",
            "--enable-row-security",  # with koepel.tenant=all: every row, without BYPASSRLS
            "--no-password",
            f"--file={out}",
            f"--dbname={conninfo}",
        ],
        env,
        "pg_dump",
        hint="koepel_current_tenant",  # a database from before migration d7e8f9a02300
    )


def backup(app: Flask, target: Path) -> dict[str, Any]:
    """Write the archive to ``target`` (whole or not at all; readable by its owner only) and
    return its manifest. Run inside an app context."""
    target = Path(target).resolve()
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    if target.exists():
        raise BackupError(f"{target} already exists; choose another name or remove it first")
    dialect = _dialect(app)
    revision = _revision()
    head = _audit_head()  # read before the dump, so the dump holds it
    work = Path(tempfile.mkdtemp(prefix=".koepel-backup-", dir=target.parent))
    partial = work / "archive.tar"
    try:
        dump = work / DATABASE_MEMBERS[dialect]
        # The database first, then the files: the app only adds files under new names, so
        # every file a row of the dump names is already there when the files are copied.
        _dump_database(app, dump, work)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "koepel_version": version("koepel"),
            "alembic_revision": revision,
            "created_at": utcnow().isoformat(),
            "database": {"dialect": dialect},
            "files": [],
            "key_checks": key_checks(app),
            "audit_head": head,
            "not_included": "SECRET_KEY, SEALING_KEY (instance/secret_key), database roles",
        }
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            entry = _add_file(tar, dump.name, dump)
            manifest["database"].update(
                member=dump.name, size=entry["size"], sha256=entry["sha256"]
            )
            for name, path in _store_files(app, {target}):
                entry = _add_file(tar, FILES + name, path)
                if entry is not None:
                    manifest["files"].append(entry)
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(utcnow().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
        partial.chmod(0o600)
        os.replace(partial, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


class _Hashing:
    """Reads a file for tarfile and hashes exactly the bytes that go into the archive."""

    def __init__(self, f) -> None:
        self.f, self.digest = f, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.f.read(size)
        self.digest.update(chunk)
        return chunk


def _add_file(tar: tarfile.TarFile, arcname: str, path: Path) -> dict[str, Any] | None:
    try:
        f = path.open("rb")
    except FileNotFoundError:  # removed since the walk (a job cleaning up): not needed
        return None
    with f:
        # The open file is one version of it: the app replaces files by renaming.
        stat = os.fstat(f.fileno())
        info = tarfile.TarInfo(arcname)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
        reader = _Hashing(f)
        tar.addfile(info, reader)
    return {"path": arcname, "size": stat.st_size, "sha256": reader.digest.hexdigest()}


# -- restore -----------------------------------------------------------------------------------
def _file_target(app: Flask, arcname: str) -> Path:
    """Where a file of the archive goes; refuses names that would leave the file store."""
    rel = PurePosixPath(arcname[len(FILES) :])
    parts = rel.parts
    if (
        not arcname.startswith(FILES)
        or not parts
        or rel.is_absolute()
        or any(p.startswith(".") or "\\" in p or "\x00" in p for p in parts)
    ):
        raise BackupError(f"the archive names a file outside the file store: {arcname!r}")
    root = _instance(app)
    path = root.joinpath(*parts)
    if not path.resolve().is_relative_to(root):
        raise BackupError(f"the archive names a file outside the file store: {arcname!r}")
    if path in _skipped(app):
        raise BackupError(f"the archive holds {arcname!r}, which a backup never contains")
    return path


def read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.getmember(MANIFEST)
        raw = tar.extractfile(member).read()  # type: ignore[union-attr]
        manifest = json.loads(raw)
    except KeyError:
        raise BackupError("this is not a koepel backup: it has no manifest.json") from None
    except (ValueError, AttributeError):
        raise BackupError("the manifest of this backup is damaged") from None
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"the archive is damaged or incomplete ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("this is not a koepel backup (the manifest is of another format)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"this backup has format version {manifest.get('format_version')}; "
            f"this koepel reads version {FORMAT_VERSION}"
        )
    return manifest


def _open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r:")
    except FileNotFoundError:
        raise BackupError(f"{path} does not exist") from None
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{path} is not a readable backup archive ({exc})") from None


def _expected(app: Flask, manifest: dict[str, Any]) -> dict[str, tuple[int, str, Path | None]]:
    """Member name -> (size, sha256, where a file goes; None for the database)."""
    try:
        database = manifest["database"]
        expected = {database["member"]: (int(database["size"]), str(database["sha256"]), None)}
        for entry in manifest["files"]:
            target = _file_target(app, entry["path"])
            expected[entry["path"]] = (int(entry["size"]), str(entry["sha256"]), target)
    except (KeyError, TypeError, ValueError):
        raise BackupError(
            "the manifest of this backup is damaged (a part is not described)"
        ) from None
    if database["member"] != DATABASE_MEMBERS.get(database.get("dialect")):
        raise BackupError("the manifest of this backup is damaged (unknown database part)")
    return expected


def _stage(
    tar: tarfile.TarFile, expected: dict[str, tuple[int, str, Path | None]], staging: Path
) -> dict[str, Path]:
    """Extract every part into ``staging`` and check it against the manifest: the archive
    is refused when a part is missing, extra, not a plain file, or differs."""
    staged: dict[str, Path] = {}
    try:
        for member in tar:
            if member.name == MANIFEST:
                continue
            if member.name not in expected:
                raise BackupError(f"the archive holds {member.name!r}, which its manifest lacks")
            if not member.isfile():
                raise BackupError(f"{member.name!r} in the archive is not a plain file")
            if member.name in staged:
                raise BackupError(f"the archive holds {member.name!r} twice")
            size, sha256, _ = expected[member.name]
            out = staging / f"{len(staged)}.part"
            digest = hashlib.sha256()
            source = tar.extractfile(member)
            with out.open("wb") as f:
                while chunk := source.read(_CHUNK):  # type: ignore[union-attr]
                    digest.update(chunk)
                    f.write(chunk)
            if out.stat().st_size != size or digest.hexdigest() != sha256:
                raise BackupError(
                    f"the archive is damaged: {member.name} does not match its checksum"
                )
            staged[member.name] = out
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"the archive is damaged or incomplete ({exc})") from None
    missing = sorted(set(expected) - set(staged))
    if missing:
        raise BackupError(f"the archive is incomplete: {', '.join(missing[:5])} missing")
    return staged


def _occupied(app: Flask) -> list[str]:
    """What already lives in the target: tables in the database, files in the file store."""
    found = []
    tables = inspect(db.engine).get_table_names()
    if tables:
        found.append(f"the database has {len(tables)} tables")
    names = [name for name, _ in _store_files(app)]
    if names:
        found.append(f"the instance folder {_instance(app)} holds {len(names)} files")
    return found


def _restore_database(app: Flask, dump: Path, force: bool, work: Path) -> None:
    db.engine.dispose()  # no pooled connection may hold the old database
    if _dialect(app) == "sqlite":
        source = sqlite3.connect(dump)
        try:
            if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("the database in the archive is damaged (integrity check)")
            target = sqlite3.connect(_sqlite_path(app))
            try:
                source.backup(target)  # replaces the whole target database
            finally:
                target.close()
        finally:
            source.close()
        return
    program = _pg_program("pg_restore", _server_major())
    conninfo, env = _libpq(app, work)
    db.engine.dispose()
    command = [program, "--exit-on-error", "--single-transaction", "--no-password"]
    if force:
        command += ["--clean", "--if-exists"]
    _run([*command, f"--dbname={conninfo}", str(dump)], env, "pg_restore")


def restore(app: Flask, source: Path, *, force: bool = False) -> RestoreReport:
    """Put the archive back; see the module docstring. Run inside an app context."""
    from flask_migrate import upgrade

    source = Path(source).resolve()
    with _open(source) as tar:
        manifest = read_manifest(tar)
        dialect = _dialect(app)
        archived = manifest.get("database", {}).get("dialect")
        if archived != dialect:
            raise BackupError(
                f"this backup holds a {archived} database, but DATABASE_URL points to {dialect}"
            )
        revision = str(manifest.get("alembic_revision"))
        scripts = _scripts(app)
        try:
            scripts.get_revision(revision)
        except CommandError:
            raise BackupError(
                f"this backup was made at migration {revision}, which this koepel does not know "
                f"(it was made by koepel {manifest.get('koepel_version')}): install that "
                "version or a newer one first"
            ) from None
        warnings = []
        checks = manifest.get("key_checks") or {}
        ours = key_checks(app)
        if checks.get("sealing") != ours["sealing"]:
            message = (
                "the sealing key differs from the one in use when this backup was made, so "
                "sealed bids and their attachments would not open: set SEALING_KEY (or "
                "SECRET_KEY, where SEALING_KEY was unset; in development, copy "
                "instance/secret_key) to the original"
            )
            if not force:
                raise BackupError(message + ", or pass --force to restore anyway")
            warnings.append(message)
        elif checks.get("secret_key") != ours["secret_key"]:
            warnings.append("SECRET_KEY differs: sessions and links sent before are invalid")
        occupied = _occupied(app)
        if occupied and not force:
            raise BackupError(
                "restore needs an empty database and instance folder, but "
                + " and ".join(occupied)
                + "; pass --force to overwrite them"
            )
        expected = _expected(app, manifest)
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=_instance(app)))
        try:
            staged = _stage(tar, expected, staging)  # all verified before anything changes
            database = manifest["database"]["member"]
            _restore_database(app, staged.pop(database), force, staging)
            for name, path in staged.items():
                target = expected[name][2]
                assert target is not None
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    report = RestoreReport(dialect, revision, len(staged), warnings=warnings)
    head = scripts.get_current_head()
    if revision != head:
        db.engine.dispose()
        upgrade()
        report.upgraded_to = head
    db.engine.dispose()
    return report
