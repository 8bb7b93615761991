"""Plugs the tenants module into the app (entry point ``koepel.modules: tenants``)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import lazy_gettext as _l

from koepel.platform import navigation
from koepel.platform.models import OrgKind

COOP = (OrgKind.COOPERATIVE,)
UMBRELLA = (OrgKind.UMBRELLA,)
LINKS = [
    navigation.Link(
        "umbrella.cooperatives", _l("Aangesloten coöperaties"), "umbrella.dashboard.view", UMBRELLA
    ),
    navigation.Link(
        "umbrella.news", _l("Nieuws voor de coöperaties"), "umbrella.dashboard.view", UMBRELLA
    ),
    navigation.Link("coop_dashboard.view", _l("Overzicht"), "coop.dashboard.view", COOP),
    navigation.Link("members.list", _l("Leden"), "members.view", COOP),
    navigation.Link("help.list", _l("Hulpvragen"), "help.view", COOP),
    navigation.Link("services.list", _l("Diensten"), "services.view", COOP),
    navigation.Link("volunteers.list", _l("Vrijwilligers"), "volunteers.view", COOP),
    navigation.Link("umbrella.coop_umbrellas", _l("Koepel en nieuws"), "coop.profile.view", COOP),
    navigation.Link("profile.view", _l("Profiel en werkgebied"), "coop.profile.view", COOP),
    navigation.Link("reports.index", _l("Jaarverslag"), "coop.dashboard.view", COOP),
    navigation.Link("reports.index", _l("Jaarverslag"), "umbrella.report.create", UMBRELLA),
    navigation.Link(
        "profile.area",
        _l("Zorgcoöperaties in ons gebied"),
        "area.cooperatives.view",
        (OrgKind.MUNICIPALITY, OrgKind.REGION),
    ),
]
_registered = False


def init_app(app: Flask) -> None:
    global _registered
    from koepel.tenants import access, models  # noqa: F401  (registers the tables)
    from koepel.tenants.views import dashboard, help, members, services, umbrella, volunteers

    app.register_blueprint(members.bp)
    app.register_blueprint(help.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(umbrella.bp)
    app.register_blueprint(services.bp)
    app.register_blueprint(volunteers.bp)
    from koepel.tenants.views import profile

    app.register_blueprint(profile.bp)
    from koepel.tenants import imports  # noqa: F401  (registers the job members.import)
    from koepel.tenants.views import member_io

    app.register_blueprint(member_io.bp)
    from koepel.tenants import reports  # noqa: F401  (registers the job reports.annual)
    from koepel.tenants.views import reports as report_views

    app.register_blueprint(report_views.bp)
    from koepel.tenants import api

    api.register()
    app.cli.add_command(generate_command)
    if not _registered:  # the policy table is process-wide; apps may be made twice
        from koepel.platform import demo as platform_demo
        from koepel.platform import policy
        from koepel.tenants import demo
        from koepel.tenants import umbrella as umbrella_ops

        access.register()
        navigation.register(LINKS)
        policy.register_role_source(umbrella_ops.assisted_roles)
        platform_demo.EXTENSIONS.append(demo.load)
        _registered = True


@click.command("generate")
@click.option("--umbrellas", default=50, show_default=True)
@click.option("--cooperatives", default=500, show_default=True)
@click.option("--members", default=50_000, show_default=True)
@click.option("--municipalities", default=20, show_default=True)
@click.option("--tenders", default=1000, show_default=True)
@click.option("--bids", default=10_000, show_default=True)
@click.option("--framework-providers", default=100, show_default=True)
@click.option("--seed", default="koepel", show_default=True, help="Same seed, same data.")
@with_appcontext
def generate_command(
    umbrellas: int,
    cooperatives: int,
    members: int,
    municipalities: int,
    tenders: int,
    bids: int,
    framework_providers: int,
    seed: str,
) -> None:
    """Fill the database with generated umbrellas, cooperatives and members, municipalities
    with tenders and sealed bids, and a framework agreement with a budget (benchmarks)."""
    from koepel.platform.web import commit
    from koepel.tenants.generate import EXTENSIONS, Scale, generate

    scale = Scale(seed, municipalities, tenders, bids, framework_providers)
    try:
        report = generate(
            umbrellas=umbrellas, cooperatives=cooperatives, members=members, seed=seed
        )
        lines = [step(scale) for step in EXTENSIONS]
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    commit()
    click.echo(
        f"generated {report.umbrellas} umbrellas, {report.cooperatives} cooperatives, "
        f"{report.members} members ({report.rows} rows) in {report.seconds:.1f} s"
    )
    for line in lines:
        click.echo(f"generated {line}")
