"""The `koepel` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from koepel.platform import demo
from koepel.platform.models import Organisation, OrgRole, User


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_demo_is_idempotent_and_lists_organisations(app, db):
    first = _invoke(app, "demo")
    assert first.exit_code == 0, first.output
    counts = [
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Organisation, User, OrgRole)
    ]
    again = _invoke(app, "demo")
    assert "(0 new records)" in again.output
    assert counts == [
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Organisation, User, OrgRole)
    ]
    listing = _invoke(app, "org", "list").output.splitlines()
    rows = [line.split("\t") for line in listing]
    assert ["kzzn", "umbrella", "Koepel Zorgcoöperaties Zuid-Nederland"] in rows
    assert all(len(r) == 3 for r in rows)
    assert {r[0] for r in rows} >= {slug for slug, _, _ in demo.ORGANISATIONS}


def test_every_demo_account_has_a_role_in_its_organisation(app, db):
    _invoke(app, "demo")
    from koepel.platform import policy
    from koepel.platform.auth.passwords import verify_password

    for local, _name, slug, role in demo.USERS:
        user = db.session.scalar(select(User).where(User.email == demo.demo_email(local)))
        org = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
        assert role in policy.roles_of(user, org)
        assert verify_password(user.password_hash, demo.DEMO_PASSWORD)
    # There is a demo user for every role there is.
    assert {r for *_, r in demo.USERS} == set(policy.ANY_ROLE)


def test_demo_refuses_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "KOEPEL_ENV", "production")
    result = _invoke(app, "demo")
    assert result.exit_code != 0 and "productie" in result.output


def test_create_user_grants_a_role(app, db):
    _invoke(app, "demo")
    result = _invoke(
        app,
        "create-user",
        "Nieuw@Example.org",
        "--password",
        "lang genoeg wachtwoord",
        "--org",
        "elsendorp",
        "--role",
        "volunteer",
    )
    assert result.exit_code == 0, result.output
    again = _invoke(
        app,
        "create-user",
        "nieuw@example.org",
        "--password",
        "lang genoeg wachtwoord",
        "--org",
        "hoogeloon",
        "--role",
        "coordinator",
    )
    assert again.exit_code == 0, again.output
    user = db.session.scalar(select(User).where(User.email == "nieuw@example.org"))
    assert {(r.organisation.slug, r.role) for r in user.roles} == {
        ("elsendorp", "volunteer"),
        ("hoogeloon", "coordinator"),
    }
    bad_role = _invoke(
        app,
        "create-user",
        "x@example.org",
        "--password",
        "lang genoeg wachtwoord",
        "--org",
        "elsendorp",
        "--role",
        "procurement_officer",
    )
    assert bad_role.exit_code != 0 and "board, coordinator, volunteer" in bad_role.output
    bad_org = _invoke(
        app,
        "create-user",
        "x@example.org",
        "--password",
        "lang genoeg wachtwoord",
        "--org",
        "nope",
        "--role",
        "board",
    )
    assert bad_org.exit_code != 0 and "unknown organisation" in bad_org.output
    short = _invoke(
        app,
        "create-user",
        "y@example.org",
        "--password",
        "kort",
        "--org",
        "elsendorp",
        "--role",
        "board",
    )
    assert short.exit_code != 0 and "10 tekens" in short.output


def test_audit_verify_on_an_intact_chain(app, db):
    _invoke(app, "demo")
    result = _invoke(app, "audit", "verify")
    assert result.exit_code == 0 and "audit chain intact" in result.output


def test_console_script_is_installed():
    koepel = Path(sys.executable).with_name("koepel")
    out = subprocess.run([str(koepel), "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("demo", "audit", "worker", "create-user", "org", "db", "run"):
        assert command in out


def test_worker_without_redis_says_so(app, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    koepel = Path(sys.executable).with_name("koepel")
    env = {
        "PATH": "/usr/bin:/bin",
        "KOEPEL_INSTANCE": app.instance_path,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    result = subprocess.run(
        [str(koepel), "worker", "--burst"], capture_output=True, text=True, env=env
    )
    assert result.returncode != 0 and "REDIS_URL is not set" in result.stderr
