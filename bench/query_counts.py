"""SQL queries per page at two data sizes: the count must not grow with the data.

    .venv/bin/python bench/query_counts.py [--members 50000] [--cooperatives 500] [--umbrellas 50]

Builds two fresh SQLite databases with ``koepel generate`` (the given size and ten times
less), logs in as a coordinator of the largest cooperative and as staff of the first
umbrella, requests each page and prints the number of SQL statements per request, plus the
generator's run time. Counts, not timings: timings belong to ``make bench``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

PAGES = [
    ("coordinator", "/{coop}/members"),
    ("coordinator", "/{coop}/members?page=2"),
    ("coordinator", "/{coop}/members?q=jansen"),
    ("coordinator", "/{coop}/dashboard"),
    ("coordinator", "/{coop}/help"),
    ("coordinator", "/{coop}/volunteers"),
    ("coordinator", "/{coop}/volunteers?page=2"),
    ("coordinator", "/{coop}/services"),
    ("staff", "/{umbrella}/cooperatives"),
    ("staff", "/{umbrella}/"),
]


@contextmanager
def counting(engine):
    from sqlalchemy import event

    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def measure(members: int, cooperatives: int, umbrellas: int) -> tuple[float, dict[str, int]]:
    folder = Path(tempfile.mkdtemp(prefix="koepel-qc-"))
    os.environ["KOEPEL_INSTANCE"] = str(folder)
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from koepel.platform.app import create_app
    from koepel.platform.auth import operations as ops
    from koepel.platform.extensions import db
    from koepel.platform.models import Organisation
    from koepel.platform.tenancy import cross_tenant
    from koepel.platform.web import commit
    from koepel.tenants.generate import generate
    from koepel.tenants.models import Member

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'qc.db'}",
            "SECRET_KEY": "qc",
            "KOEPEL_ENV": "testing",
            "WTF_CSRF_ENABLED": False,
            "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        }
    )
    with app.app_context():
        upgrade()
        report = generate(
            umbrellas=umbrellas, cooperatives=cooperatives, members=members, seed="qc"
        )
        commit()
        with cross_tenant("benchmark set-up: the largest cooperative"):
            coop_id = db.session.scalar(
                select(Member.tenant_id)
                .group_by(Member.tenant_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        coop = db.session.get(Organisation, coop_id)
        umbrella = db.session.scalar(
            select(Organisation).where(Organisation.slug == "gen-qc-koepel-1")
        )
        users = {
            "coordinator": ops.create_user(
                actor=None,
                email="qc-coordinator@example.org",
                display_name="QC",
                password="qc-password-1",
            ),
            "staff": ops.create_user(
                actor=None,
                email="qc-staff@example.org",
                display_name="QC",
                password="qc-password-1",
            ),
        }
        ops.grant_role(actor=None, user=users["coordinator"], org=coop, role="coordinator")
        ops.grant_role(actor=None, user=users["staff"], org=umbrella, role="staff")
        commit()
        slugs = {"coop": coop.slug, "umbrella": umbrella.slug}
        engine = db.engine
    counts = {}
    clients = {}
    for who in ("coordinator", "staff"):
        client = app.test_client()
        client.post("/login", data={"email": f"qc-{who}@example.org", "password": "qc-password-1"})
        clients[who] = client
    for who, path in PAGES:
        url = path.format(**slugs)
        clients[who].get(url)  # warm caches
        with counting(engine) as statements:
            response = clients[who].get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[path] = len(statements)
    return report.seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--cooperatives", type=int, default=500)
    parser.add_argument("--umbrellas", type=int, default=50)
    args = parser.parse_args()
    small_time, small = measure(
        args.members // 10, args.cooperatives // 10, max(1, args.umbrellas // 10)
    )
    large_time, large = measure(args.members, args.cooperatives, args.umbrellas)
    small_members = args.members // 10
    print(
        f"generator: {small_members} members in {small_time:.1f} s; "
        f"{args.members} members in {large_time:.1f} s"
    )
    print(f"| page | queries at {args.members // 10} members | queries at {args.members} members |")
    print("|---|---|---|")
    for _who, path in PAGES:
        flag = "" if small[path] == large[path] else "  <-- grows"
        print(f"| `{path}` | {small[path]} | {large[path]} |{flag}")


if __name__ == "__main__":
    main()
