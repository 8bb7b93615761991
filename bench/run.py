"""``make bench``: throughput and latency of the main pages at demo scale and at 1/10 of it,
in one run, so the ratios are comparable.

    .venv/bin/python bench/run.py [--seconds 10] [--connections 32] [--scale 1.0] [--out PATH]

1. Starts a throwaway PostgreSQL (``tests/servers.py``) and fills two databases with
   ``koepel db upgrade`` + ``koepel generate``: demo scale (50 umbrellas, 500 cooperatives,
   50 000 members, 20 municipalities, 1 000 tenders, 10 000 sealed bids, a framework
   agreement and a budget over 100 providers) and ten times less. The app connects as a
   plain role, as in production, so row-level security is on.
2. Creates the users it logs in as, through the app's own functions: staff of an umbrella,
   the coordinator of the largest cooperative, and a procurement officer of the first
   municipality (a declared reviewer of its opened tender, and owner of the budget).
3. Counts the SQL statements of one request per page in-process (Flask's test client, a
   ``before_cursor_execute`` counter; nothing is added to the product).
4. Serves each database with gunicorn (sync workers, 2 × cores) on 127.0.0.1, logs in
   through the login form (CSRF), checks that each page answers 200 with its content, then
   loads it with wrk: a warm-up, then ``--connections`` connections for ``--seconds``.
5. Prints and writes ``bench/results/latest.md``: req/s, p50/p95/p99, the ratio to the bare
   endpoint's req/s and the queries per request at both sizes, against the targets.

The bare endpoint is ``/healthz`` (a ``SELECT 1``): the framework's ceiling including one
database round trip, which every page also pays. Every server started here is stopped on
the way out, also on an error or Ctrl-C. It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from load import Load, run_wrk, wrk_path
from query_counts import counting

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))
import servers  # noqa: E402  (stdlib only: the tests' throwaway PostgreSQL)

SEED = "bench"
PASSWORD = "bench-password-2026"
APP_ROLE = "koepel_bench"
DEMO_SCALE = {
    "umbrellas": 50,
    "cooperatives": 500,
    "members": 50_000,
    "municipalities": 20,
    "tenders": 1000,
    "bids": 10_000,
    "framework-providers": 100,
}
USERS = {  # who: e-mail
    "staff": "bench-staff@example.org",
    "coordinator": "bench-coordinator@example.org",
    "officer": "bench-officer@example.org",
}
TARGET_RATIO, TARGET_P95_MS = 0.30, 100.0


@dataclass(frozen=True)
class Page:
    name: str
    who: str | None  # None: anonymous
    path: str  # formatted with the database's facts
    expect: str  # formatted too: text the answer must contain


PAGES = [
    Page("bare endpoint (/healthz)", None, "/healthz", '"status":"ok"'),
    Page("login page", None, "/login", 'name="csrf_token"'),
    Page("umbrella dashboard", "staff", "/{umbrella}/", "{umbrella_name}"),
    Page("member list, page 1", "coordinator", "/{coop}/members", "/{coop}/members/"),
    Page(
        "member list, page 50", "coordinator", "/{coop}/members?page={page50}", "/{coop}/members/"
    ),
    Page("tender list", "officer", "/{municipality}/tenders", "{tender_title}"),
    Page(
        "bid evaluation",
        "officer",
        "/{municipality}/tenders/{tender}/evaluation",
        "{bidder_name}",
    ),
    Page(
        "allocation",
        "officer",
        "/{municipality}/budgets/{budget}/allocations/{version}",
        "{partner_name}",
    ),
    Page("public OCDS package", None, "/api/v1/public/tenders/{tender}/ocds", '"ocid"'),
]


@dataclass
class Database:
    label: str
    scale: dict[str, int]
    url: str = ""
    generate_seconds: float = 0.0
    generate_output: str = ""
    facts: dict[str, object] = field(default_factory=dict)
    queries: dict[str, int] = field(default_factory=dict)
    loads: dict[str, Load] = field(default_factory=dict)


# -- servers ------------------------------------------------------------------------------


def koepel(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "koepel"), *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"koepel {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def gunicorn(env: dict[str, str], workers: int):
    """gunicorn on a free loopback port; yields its base URL once /healthz answers."""
    port = servers._free_port()
    log = open(Path(env["KOEPEL_INSTANCE"]) / f"gunicorn-{port}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
            "koepel.platform.app:create_app()",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log.name}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz in 120 s; see {log.name}")
            time.sleep(0.2)  # polling a process we started, not synchronising a test
        yield base
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own session: the master and its workers
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# -- data ---------------------------------------------------------------------------------
def bench_app(url: str):
    """The app in this process, on the same database and keys as the server (CSRF off and
    plain cookies for the test client only)."""
    from koepel.platform.app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )


def prepare(app) -> dict[str, object]:
    """Create the bench's users through the app's own functions; return the facts the
    page URLs and checks need."""
    from sqlalchemy import func, select

    from koepel.bids import evaluation
    from koepel.bids.generate import municipality_slug
    from koepel.bids.models import OpenedBid, Tender, TenderStatus
    from koepel.contracts.generate import budget_title
    from koepel.contracts.models.budgets import AllocationShare, AllocationVersion, Budget
    from koepel.platform.auth import operations as accounts
    from koepel.platform.extensions import db
    from koepel.platform.models import Organisation
    from koepel.platform.tenancy import acting_for, cross_tenant
    from koepel.platform.web import commit
    from koepel.tenants.models import Member
    from koepel.tenants.views.members import PAGE_SIZE

    def org(slug: str) -> Organisation:
        return db.session.scalar(select(Organisation).where(Organisation.slug == slug))

    with app.app_context():
        with cross_tenant("benchmark set-up: the largest cooperative"):
            coop_id, size = db.session.execute(
                select(Member.tenant_id, func.count())
                .where(Member.left_on.is_(None))
                .group_by(Member.tenant_id)
                .order_by(func.count().desc(), Member.tenant_id)
                .limit(1)
            ).one()
        coop = db.session.get(Organisation, coop_id)
        umbrella = org(f"gen-{SEED}-koepel-1")
        municipality = org(municipality_slug(SEED, 1))
        users = {
            who: accounts.create_user(
                actor=None, email=email, display_name=f"Bench {who}", password=PASSWORD
            )
            for who, email in USERS.items()
        }
        accounts.grant_role(actor=None, user=users["staff"], org=umbrella, role="staff")
        accounts.grant_role(actor=None, user=users["coordinator"], org=coop, role="coordinator")
        officer = users["officer"]
        accounts.grant_role(actor=None, user=officer, org=municipality, role="procurement_officer")
        with acting_for(municipality.id):
            tender = db.session.scalar(
                select(Tender).where(Tender.status == TenderStatus.OPENED).order_by(Tender.id)
            )
            evaluation.assign_reviewer(
                actor=officer, buyer=municipality, tender=tender, reviewer=officer
            )
            evaluation.declare_no_conflict(reviewer=officer, buyer=municipality, tender=tender)
            bidder = db.session.scalar(
                select(OpenedBid.bidder_name)
                .where(OpenedBid.tender_id == tender.id)
                .order_by(OpenedBid.id)
            )
            budget = db.session.scalar(select(Budget).where(Budget.title == budget_title(SEED)))
            version = db.session.scalar(
                select(AllocationVersion)
                .where(AllocationVersion.budget_id == budget.id)
                .order_by(AllocationVersion.number.desc())
            )
            partner_id = db.session.scalar(
                select(AllocationShare.partner_id)
                .where(AllocationShare.version_id == version.id)
                .order_by(AllocationShare.id)
            )
            facts = {
                "coop": coop.slug,
                "coop_members": size,
                # Page 50 where the cooperative has it (25 a page); else its last page.
                "page50": min(50, -(-size // PAGE_SIZE)),
                "umbrella": umbrella.slug,
                "umbrella_name": umbrella.name,
                "municipality": municipality.slug,
                "tender": tender.id,
                "tender_title": tender.title,
                "bidder_name": bidder,
                "budget": budget.id,
                "version": version.id,
                "partner_name": db.session.get(Organisation, partner_id).name,
            }
        commit()
    return facts


def count_queries(app, facts: dict[str, object]) -> dict[str, int]:
    """SQL statements of one request per page (after a warm-up request)."""
    from koepel.platform.extensions import db

    clients = {}
    for who, email in USERS.items():
        client = app.test_client()
        answer = client.post("/login", data={"email": email, "password": PASSWORD})
        if answer.status_code != 302:
            raise RuntimeError(f"in-process login of {who} failed ({answer.status_code})")
        clients[who] = client
    clients[None] = app.test_client()
    with app.app_context():
        engine = db.engine
    counts = {}
    for page in PAGES:
        url = page.path.format(**facts)
        clients[page.who].get(url)
        with counting(engine) as statements:
            answer = clients[page.who].get(url)
        if answer.status_code != 200:
            raise RuntimeError(f"{url} answered {answer.status_code} in-process")
        counts[page.name] = len(statements)
    return counts


# -- HTTP ---------------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, cookie: str = "", data: dict[str, str] | None = None):
    """(status, headers, body) without following redirects."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        with _opener.open(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode(errors="replace")


def _session_cookie(headers) -> str:
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith("koepel_session="):
            return value.split(";", 1)[0]
    return ""


def login(base: str, email: str) -> str:
    """Log in through the real form (with its CSRF token); return the Cookie header."""
    status, headers, body = fetch(f"{base}/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
    if status != 200 or token is None:
        raise RuntimeError(f"the login page answered {status} without a CSRF token")
    cookie = _session_cookie(headers)
    status, headers, _body = fetch(
        f"{base}/login",
        cookie,
        {"csrf_token": html.unescape(token.group(1)), "email": email, "password": PASSWORD},
    )
    if status != 302:
        raise RuntimeError(f"logging in as {email} answered {status}, not a redirect")
    return _session_cookie(headers) or cookie


def check(base: str, page: Page, facts: dict[str, object], cookie: str) -> str:
    url = base + page.path.format(**facts)
    status, _headers, body = fetch(url, cookie)
    expected = page.expect.format(**facts)
    if status != 200:
        raise RuntimeError(f"{page.name}: {url} answered {status} (a bench bug if 302)")
    if expected not in body and html.escape(expected) not in body:
        raise RuntimeError(f"{page.name}: {url} does not show {expected!r}")
    return url


# -- the run --------------------------------------------------------------------------------
def generate(pg, database: Database, env: dict[str, str]) -> None:
    database.url = pg.app_database(f"koepel_bench_{database.label}", APP_ROLE)
    env = {**env, "DATABASE_URL": database.url}
    koepel(env, "db", "upgrade")
    args = [f"--{name}={value}" for name, value in database.scale.items()]
    started = time.perf_counter()
    database.generate_output = koepel(env, "generate", f"--seed={SEED}", *args)
    database.generate_seconds = time.perf_counter() - started
    print(f"[{database.label}] generated in {database.generate_seconds:.0f} s:")
    print("  " + database.generate_output.strip().replace("\n", "\n  "), flush=True)


def measure(database: Database, env: dict[str, str], args) -> None:
    env = {**env, "DATABASE_URL": database.url}
    app = bench_app(database.url)
    database.facts = prepare(app)
    database.queries = count_queries(app, database.facts)
    with app.app_context():
        from koepel.platform.extensions import db

        db.engine.dispose()  # this process holds no connections during the load
    with gunicorn(env, args.workers) as base:
        cookies = {None: ""} | {who: login(base, email) for who, email in USERS.items()}
        for page in PAGES:
            url = check(base, page, database.facts, cookies[page.who])
            headers = {"Cookie": cookies[page.who]} if cookies[page.who] else {}
            options = {"connections": args.connections, "threads": args.threads}
            run_wrk(url, seconds=args.warmup, headers=headers, **options)
            load = run_wrk(url, seconds=args.seconds, headers=headers, **options)
            database.loads[page.name] = load
            print(
                f"[{database.label}] {page.name}: {load.requests_per_second:.0f} req/s, "
                f"p50 {load.p50_ms:.1f} ms, p95 {load.p95_ms:.1f} ms, "
                f"p99 {load.p99_ms:.1f} ms, {database.queries[page.name]} queries"
                + (f", {load.failed} errors" if load.failed else ""),
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="load per page (s)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up per page (s)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the demo scale (a quick try)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.md")
    args = parser.parse_args()
    wrk_path()  # fail before minutes of generating
    signal.signal(signal.SIGTERM, _interrupt)
    full = {k: max(1, round(v * args.scale)) for k, v in DEMO_SCALE.items()}
    tenth = {k: max(1, v // 10) for k, v in full.items()}
    databases = [Database("full", full), Database("tenth", tenth)]
    instance = Path(tempfile.mkdtemp(prefix="koepel-bench-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PG", "KOEPEL_", "DATABASE"))},
        "KOEPEL_ENV": "production",
        "KOEPEL_INSTANCE": str(instance),
        "SECRET_KEY": secrets.token_hex(32),
        "SEALING_KEY": secrets.token_hex(32),
        "MAIL_BACKEND": "file",
        "REDIS_URL": "",
    }
    os.environ.update({k: env[k] for k in ("KOEPEL_ENV", "KOEPEL_INSTANCE", "SECRET_KEY")})
    os.environ.update({"SEALING_KEY": env["SEALING_KEY"], "MAIL_BACKEND": "file"})
    started, load_before = datetime.now(UTC), os.getloadavg()[0]
    pg = servers.start_postgres()
    if pg is None:
        raise SystemExit("PostgreSQL is not installed: run `make bench` as root (it installs it)")
    try:
        for database in databases:
            generate(pg, database, env)
        for database in databases:
            measure(database, env, args)
        version = pg_version(pg)
    finally:
        pg.stop()
        shutil.rmtree(instance, ignore_errors=True)
    # Other processes on the machine take CPU from the servers and from wrk: say how busy.
    loads = (load_before, os.getloadavg()[0])
    report = render(databases, args, started, version, loads)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    print()
    print(report)
    print(f"written to {args.out}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # unwinds through every finally: servers stop


def pg_version(pg) -> str:
    done = subprocess.run(
        [str(pg.bin_dir / "postgres"), "--version"], capture_output=True, text=True
    )
    return done.stdout.strip()


# -- the report -----------------------------------------------------------------------------
def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({model or 'unknown CPU'}){memory}"


def render(
    databases: list[Database], args, started: datetime, pg: str, loads: tuple[float, float]
) -> str:
    full, tenth = databases
    bare = PAGES[0].name
    rows, misses = [], []
    for page in PAGES:
        cells, missed = [], []
        for database in databases:
            load = database.loads[page.name]
            ratio = load.requests_per_second / database.loads[bare].requests_per_second
            cells += [
                f"{load.requests_per_second:.0f}",
                f"{load.p50_ms:.1f}",
                f"{load.p95_ms:.1f}",
                f"{load.p99_ms:.1f}",
                f"{ratio:.2f}",
                str(database.queries[page.name]),
            ]
            if page.name == bare:
                continue
            if ratio < TARGET_RATIO:
                missed.append(f"ratio {database.label}")
            if load.p95_ms >= TARGET_P95_MS:
                missed.append(f"p95 {database.label}")
            if load.failed:
                missed.append(f"{load.failed} errors {database.label}")
        if full.queries[page.name] != tenth.queries[page.name]:
            missed.append("queries grow")
        misses.append(missed)
        rows.append(f"| {page.name} | " + " | ".join(cells) + f" | {', '.join(missed) or 'ok'} |")
    scale = ", ".join(f"{v} {k}" for k, v in full.scale.items())
    lines = [
        "# Benchmark: koepel under load",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC by `make bench` (`bench/run.py`) on "
        f"{_machine()}; Python {sys.version.split()[0]}, {pg}. Load average (1 min) before "
        f"and after the run: {loads[0]:.1f} and {loads[1]:.1f}.",
        "",
        f"Settings: gunicorn with {args.workers} sync workers on 127.0.0.1, `KOEPEL_ENV="
        f"production`, PostgreSQL on the same machine (fsync off); wrk with "
        f"{args.connections} connections and {args.threads} threads, {args.warmup:g} s warm-up "
        f"then {args.seconds:g} s per page. wrk, gunicorn and PostgreSQL share the same cores.",
        "",
        f"Data: full = {scale}; 1/10 = ten times less of each. Generating took "
        f"{full.generate_seconds:.0f} s (full) and {tenth.generate_seconds:.0f} s (1/10), "
        "`koepel db upgrade` and `koepel generate` included.",
        "",
        f"Targets: every page at least {TARGET_RATIO:.0%} of the bare endpoint's requests/s, "
        f"p95 under {TARGET_P95_MS:.0f} ms at {args.connections} connections, the same "
        "number of queries per request at both sizes. The bare endpoint is `/healthz` "
        "(one `SELECT 1`). Latencies in ms; ratio = req/s ÷ the bare endpoint's req/s; "
        "queries = SQL statements of one request, counted in-process.",
        "",
        "| page | req/s | p50 | p95 | p99 | ratio | queries | req/s (1/10) | p50 (1/10) "
        "| p95 (1/10) | p99 (1/10) | ratio (1/10) | queries (1/10) | misses |",
        "|---|" + "---:|" * 12 + "---|",
        *rows,
        "",
        f"Member list page 50: the largest cooperative has {full.facts['coop_members']} "
        f"current members at full scale (page {full.facts['page50']}) and "
        f"{tenth.facts['coop_members']} at 1/10 (page {tenth.facts['page50']}, its last page "
        "when it has fewer than 50).",
        "",
        f"Rows that miss a target: {sum(bool(m) for m in misses[1:])} of {len(PAGES) - 1}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
