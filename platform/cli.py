"""The ``koepel`` command: Flask's CLI with the app factory, plus operator commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from sqlalchemy import select

from koepel.platform import audit, policy
from koepel.platform.extensions import db
from koepel.platform.models import Organisation
from koepel.platform.web import commit


def _create_app() -> Flask:
    from koepel.platform.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Koepel: contracting, bids and budgets for care cooperatives."""


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(audit_group)
    app.cli.add_command(worker_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(org_group)
    app.cli.add_command(mail_group)
    app.cli.add_command(tick_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo organisations and accounts (safe to run again)."""
    from koepel.platform import demo

    if current_app.config["KOEPEL_ENV"] == "production":
        raise click.ClickException(
            "koepel demo weigert te draaien in productie (KOEPEL_ENV=production)."
        )
    created = demo.load()
    commit()
    click.echo(f"demo data loaded ({created} new records)")


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@click.option(
    "--head",
    "noted_head",
    metavar="SEQ:HASH",
    help="A head noted earlier (printed by this command, in a backup's manifest): it must "
    "still be there unchanged. Catches removed newest events and a rewritten chain.",
)
@with_appcontext
def audit_verify(noted_head: str | None) -> None:
    """Walk the hash chain and report the first broken link."""
    try:
        report = audit.verify_chain(db.session, noted_head=noted_head)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--head") from None
    if report.ok:
        head = f" (head {report.head})" if report.head else ""
        click.echo(f"audit chain intact: {report.checked} events{head}")
        return
    click.echo(
        f"audit chain BROKEN at event {report.broken_seq}: {report.reason} "
        f"({report.checked} events before it are intact)",
        err=True,
    )
    sys.exit(1)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.pass_context
def worker_command(ctx: click.Context, burst: bool) -> None:
    """Run background jobs from Redis (needs REDIS_URL)."""
    from redis import Redis
    from rq import Queue, Worker

    from koepel.platform import jobs

    app = ctx.ensure_object(ScriptInfo).load_app()
    url = app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: jobs run inline, no worker is needed.")
    jobs.worker_app = app  # forked work horses run jobs in this app (no DB connection yet)
    connection = Redis.from_url(url)
    queue = Queue(app.config["RQ_QUEUE"], connection=connection)
    Worker([queue], connection=connection).work(burst=burst, with_scheduler=True)


@click.command("create-user")
@click.argument("email")
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--org", "org_slug", required=True, help="Slug of the organisation.")
@click.option("--role", required=True, help="Role in that organisation.")
@click.option("--name", "display_name", default="", help="Display name (default: e-mail).")
@with_appcontext
def create_user_command(
    email: str, password: str, org_slug: str, role: str, display_name: str
) -> None:
    """Create the user if new and grant the role."""
    from koepel.platform.auth import operations as ops

    org = db.session.scalar(select(Organisation).where(Organisation.slug == org_slug))
    if org is None:
        raise click.ClickException(f"unknown organisation {org_slug!r} (see: koepel org list)")
    if role not in policy.roles_for_kind(org.kind):
        roles = ", ".join(policy.roles_for_kind(org.kind))
        raise click.ClickException(f"a {org.kind.value} has the roles: {roles}")
    try:
        user = ops.find_user(email)
        if user is None:
            user = ops.create_user(
                actor=None, email=email, display_name=display_name, password=password
            )
            click.echo(f"created user {user.email}")
        ops.grant_role(actor=None, user=user, org=org, role=role)
    except ops.OperationError as exc:
        raise click.ClickException(str(exc)) from None
    commit()
    click.echo(f"{user.email} is {role} at {org.slug}")


@click.group("org")
def org_group() -> None:
    """Organisations."""


@org_group.command("list")
@with_appcontext
def org_list() -> None:
    """One organisation a line: slug, kind, name (tab-separated)."""
    for org in db.session.scalars(select(Organisation).order_by(Organisation.slug)):
        click.echo(f"{org.slug}\t{org.kind.value}\t{org.name}")


@click.group("mail")
def mail_group() -> None:
    """The e-mail outbox."""


@mail_group.command("send-pending")
@with_appcontext
def mail_send_pending() -> None:
    """Send every message still waiting in the outbox (after an outage)."""
    from koepel.platform.mail import send_pending

    click.echo(f"sent {send_pending()} messages")


@click.command("tick")
@with_appcontext
def tick_command() -> None:
    """Run the periodic tasks once (reminders, housekeeping); run it every few minutes."""
    from koepel.platform import schedule

    for name, result in schedule.tick().items():
        click.echo(f"{name}: {result}")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write the database and the file store to FILE (secrets are not included)."""
    from koepel.platform import backup

    try:
        manifest = backup.backup(current_app._get_current_object(), file)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    database = manifest["database"]
    click.echo(
        f"backup written to {file}: {database['dialect']} database at migration "
        f"{manifest['alembic_revision']}, {len(manifest['files'])} files, "
        f"made {manifest['created_at']} (UTC)"
    )
    if manifest["audit_head"]:
        click.echo(f"audit chain head: {manifest['audit_head']} (koepel audit verify --head)")
    click.echo(
        "Not in the backup: SECRET_KEY and SEALING_KEY (in development instance/secret_key). "
        "Keep them separately: sealed bids cannot be opened without the same key."
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Restore over a database or instance folder that has data."
)
@with_appcontext
def restore_command(file: Path, force: bool) -> None:
    """Put a backup made by `koepel backup` back into an empty database and instance folder."""
    from koepel.platform import backup

    try:
        report = backup.restore(current_app._get_current_object(), file, force=force)
    except backup.BackupError as exc:
        raise click.ClickException(f"restore refused: {exc}") from None
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"restored {report.dialect} database at migration {report.revision} "
        f"and {report.files} files"
    )
    if report.upgraded_to:
        click.echo(f"database upgraded to migration {report.upgraded_to} (koepel db upgrade)")
