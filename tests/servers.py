"""Throwaway PostgreSQL and Redis servers for the test session.

Stdlib only, so conftest can import it before anything else is installed.
Each server lives on 127.0.0.1 in its own temp directory; the caller owns
the returned object and must call ``.stop()``.

Manual smoke check (run from outside the repo so ``platform/`` does not
shadow the stdlib module)::

    cd /tmp && python3 /work/main/tests/servers.py
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_USER = "koepel"
PG_DATABASE = "koepel_test"
_DB_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


# --- helpers -----------------------------------------------------------------


def _free_port() -> int:
    # Racy by nature (the port is released before the server binds it), but
    # the window is tiny and start-up retries on "address already in use".
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _clean_env() -> dict[str, str]:
    # PG* variables from the developer's shell (PGPORT, PGDATA, ...) must not
    # redirect our commands to some other server.
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def _make_tempdir(prefix: str) -> Path:
    # Under /tmp explicitly: $TMPDIR may point into a home directory that the
    # postgres user cannot traverse.
    parent = "/tmp" if os.path.isdir("/tmp") else None
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    path.chmod(0o755)
    return path


def _run(cmd: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout
    )


# --- PostgreSQL --------------------------------------------------------------


def _pg_version_key(bin_dir: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,); unparsable versions sort first.
    version = Path(bin_dir).parent.name
    return tuple(int(p) for p in version.split(".") if p.isdigit()) or (0,)


def find_pg_bin_dir() -> Path | None:
    """Directory holding initdb and pg_ctl, or None when PostgreSQL is absent."""
    candidates: list[str] = []
    on_path = shutil.which("initdb")
    if on_path:
        # Resolve symlinks (e.g. /usr/local/bin/initdb) so createdb/pg_ctl come
        # from the same installation, not from Debian's pg_wrapper in /usr/bin.
        candidates.append(os.path.dirname(os.path.realpath(on_path)))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_pg_version_key, reverse=True)
    for d in candidates:
        if all(os.access(os.path.join(d, b), os.X_OK) for b in ("initdb", "pg_ctl")):
            return Path(d)
    return None


def _runuser_prefix() -> tuple[list[str], int | None, int | None]:
    """Command prefix plus uid/gid to run server binaries with.

    initdb and pg_ctl refuse to run as root, so as root we drop to the
    ``postgres`` system user (or ``nobody`` if that user does not exist).
    """
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        runuser = shutil.which("runuser") or next(
            (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.path.exists(p)), None
        )
        if runuser is None:
            raise RuntimeError("running as root but `runuser` was not found")
        return [runuser, "-u", name, "--"], pw.pw_uid, pw.pw_gid
    raise RuntimeError("running as root and neither `postgres` nor `nobody` user exists")


class PostgresServer:
    """A private PostgreSQL cluster in a temp dir, trust auth, user ``koepel``."""

    def __init__(self, bin_dir: Path, base: Path, port: int, prefix: list[str]) -> None:
        self.bin_dir = bin_dir
        self.base = base
        self.data_dir = base / "data"
        self.log_path = base / "postgres.log"
        self.port = port
        self._prefix = prefix
        self.url = self.url_for(PG_DATABASE)

    def url_for(self, name: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{name}"

    def app_database(self, name: str, role: str) -> str:
        """Database ``name`` (created unless it is the default one) owned by ``role``, a
        plain login role (no superuser, no BYPASSRLS), as in production: a superuser
        would bypass row-level security and hide a missing policy. Its URL as ``role``."""
        import psycopg

        if not _DB_NAME_RE.match(role):
            raise ValueError(f"unsafe role name: {role!r}")
        if name != PG_DATABASE:
            self.create_database(name)
        admin = {"host": "127.0.0.1", "port": self.port, "user": PG_USER, "autocommit": True}
        with psycopg.connect(dbname="postgres", **admin) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS")
            conn.execute(f'ALTER DATABASE "{name}" OWNER TO {role}')
        with psycopg.connect(dbname=name, **admin) as conn:
            conn.execute(f"ALTER SCHEMA public OWNER TO {role}")
        return self.url_for(name).replace(f"//{PG_USER}@", f"//{role}@")

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its SQLAlchemy URL."""
        if not _DB_NAME_RE.match(name):
            raise ValueError(f"unsafe database name: {name!r}")
        createdb = self.bin_dir / "createdb"
        if createdb.exists():
            r = _run(
                [str(createdb), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, name],
                cwd=self.base,
            )
            if r.returncode != 0:
                raise RuntimeError(f"createdb {name} failed: {r.stderr.strip()}")
        else:
            import psycopg  # only needed on installs without client binaries

            with psycopg.connect(
                host="127.0.0.1",
                port=self.port,
                user=PG_USER,
                dbname="postgres",
                autocommit=True,
            ) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory. Idempotent."""
        if not self.base.exists():
            return
        if (self.data_dir / "postmaster.pid").exists():
            pg_ctl = str(self.bin_dir / "pg_ctl")
            r = _run(
                self._prefix + [pg_ctl, "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                cwd=self.base,
            )
            if r.returncode != 0:
                self._kill_postmaster()
        shutil.rmtree(self.base, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        _signal(pid, signal.SIGKILL)


def start_postgres() -> PostgresServer | None:
    """Start a throwaway cluster with database ``koepel_test``; None if not installed."""
    bin_dir = find_pg_bin_dir()
    if bin_dir is None:
        return None
    prefix, uid, gid = _runuser_prefix()
    base = _make_tempdir("koepel-pg-")
    server = PostgresServer(bin_dir, base, _free_port(), prefix)
    try:
        if uid is not None and gid is not None:
            os.chown(base, uid, gid)
        _initdb(server)
        _pg_start(server)
        server.create_database(PG_DATABASE)
        return server
    except BaseException:
        server.stop()  # leave nothing behind: half-started server, temp dir
        raise


def _initdb(server: PostgresServer) -> None:
    errors = []
    # C.UTF-8 gives sane text handling; plain C is the fallback for systems
    # without that locale. initdb removes the data dir itself on failure.
    for locale in ("C.UTF-8", "C"):
        cmd = server._prefix + [
            str(server.bin_dir / "initdb"),
            "-D",
            str(server.data_dir),
            "-A",
            "trust",
            "-U",
            PG_USER,
            "--encoding=UTF8",
            f"--locale={locale}",
        ]
        r = _run(cmd, cwd=server.base, timeout=120)
        if r.returncode == 0:
            return
        errors.append(f"--locale={locale}: {r.stderr.strip() or r.stdout.strip()}")
    raise RuntimeError("initdb failed:\n" + "\n".join(errors))


def _pg_start(server: PostgresServer, attempts: int = 3) -> None:
    for attempt in range(1, attempts + 1):
        # fsync & co. off: durability is worthless for a throwaway test cluster.
        opts = (
            f"-p {server.port} -k {server.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        cmd = server._prefix + [
            str(server.bin_dir / "pg_ctl"),
            "-D",
            str(server.data_dir),
            "-l",
            str(server.log_path),
            "-w",
            "-t",
            "60",
            "-o",
            opts,
            "start",
        ]
        r = _run(cmd, cwd=server.base, timeout=90)
        if r.returncode == 0:
            return
        log = _tail(server.log_path)
        if "already in use" not in log or attempt == attempts:
            raise RuntimeError(
                f"pg_ctl start failed (exit {r.returncode}): {r.stderr.strip()}\n"
                f"--- {server.log_path} (tail) ---\n{log}"
            )
        # Someone grabbed our port between _free_port() and bind: retry.
        server.log_path.unlink(missing_ok=True)
        server.port = _free_port()
        server.url = server.url_for(PG_DATABASE)


# --- Redis -------------------------------------------------------------------


def _redis_command(port: int, command: bytes, timeout: float = 1.0) -> bytes:
    """Send one inline command; return whatever arrives before EOF/timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(command + b"\r\n")
        try:
            return s.recv(64)
        except (TimeoutError, ConnectionResetError):
            return b""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes; it only lingers if we are its parent.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return True


class RedisServer:
    """A private redis-server with persistence disabled."""

    def __init__(self, base: Path, port: int) -> None:
        self.base = base
        self.port = port
        self.pidfile = base / "redis.pid"
        self.log_path = base / "redis.log"
        self.url = f"redis://127.0.0.1:{port}/0"

    def _pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        """Stop the server and delete its directory. Idempotent."""
        if not self.base.exists():
            return
        pid = self._pid()
        # Signal our own pid rather than send SHUTDOWN over the port: after a
        # failed start the port may belong to someone else's server. SIGTERM
        # with `--save ''` and no AOF exits without writing anything.
        if pid is not None and _pid_alive(pid):
            _signal(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            if _pid_alive(pid):
                _signal(pid, signal.SIGKILL)
        shutil.rmtree(self.base, ignore_errors=True)


def start_redis(timeout: float = 10.0, attempts: int = 3) -> RedisServer | None:
    """Start a throwaway redis-server; None if it is not installed."""
    exe = shutil.which("redis-server")
    if exe is None:
        return None
    base = _make_tempdir("koepel-redis-")
    server = RedisServer(base, _free_port())
    try:
        for attempt in range(1, attempts + 1):
            _redis_launch(exe, server)
            if _redis_wait(server, timeout):
                return server
            log = _tail(server.log_path)
            if "already in use" not in log or attempt == attempts:
                raise RuntimeError(
                    "redis-server did not come up (exited, or no PING reply "
                    f"within {timeout:.0f}s)\n--- {server.log_path} (tail) ---\n{log}"
                )
            # Someone grabbed our port between _free_port() and bind: retry.
            server.log_path.unlink(missing_ok=True)
            server.port = _free_port()
            server.url = f"redis://127.0.0.1:{server.port}/0"
        return None  # not reached: attempts >= 1 always returns or raises
    except BaseException:
        server.stop()
        raise


def _redis_launch(exe: str, server: RedisServer) -> None:
    cmd = [
        exe,
        "--port",
        str(server.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "yes",
        "--pidfile",
        str(server.pidfile),
        "--dir",
        str(server.base),
        "--logfile",
        str(server.log_path),
    ]
    r = _run(cmd, cwd=server.base, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"redis-server failed (exit {r.returncode}): {r.stderr.strip()}")


def _redis_wait(server: RedisServer, timeout: float) -> bool:
    """True once our server answers PING; False if it died or timed out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = server._pid()
        try:
            # Requiring a live pid from our pidfile makes sure the PONG comes
            # from our server, not from something else that grabbed the port.
            if pid and _pid_alive(pid):
                if _redis_command(server.port, b"PING").startswith(b"+PONG"):
                    return True
        except OSError:
            pass
        if "aborting" in _tail(server.log_path, 5):
            return False  # e.g. port taken; no point waiting for the timeout
        time.sleep(0.02)
    return False


# --- manual smoke check ------------------------------------------------------

if __name__ == "__main__":
    t0 = time.monotonic()
    pg = start_postgres()
    t1 = time.monotonic()
    print(f"postgres: {pg.url if pg else 'not installed'} ({t1 - t0:.2f}s)")
    redis = start_redis()
    t2 = time.monotonic()
    print(f"redis:    {redis.url if redis else 'not installed'} ({t2 - t1:.2f}s)")
    if pg:
        print(f"extra db: {pg.create_database('koepel_smoke')}")
        pg.stop()
    if redis:
        redis.stop()
    print(f"stopped both ({time.monotonic() - t2:.2f}s)")
