"""Plugs the bids module into the app (entry point ``koepel.modules: bids``)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from koepel.platform import navigation
from koepel.platform.models import OrgKind

BUYERS = (OrgKind.MUNICIPALITY, OrgKind.REGION)
BIDDERS = (OrgKind.COOPERATIVE, OrgKind.UMBRELLA, OrgKind.PROVIDER)
CHALLENGERS = (OrgKind.COOPERATIVE, OrgKind.UMBRELLA)  # citizen initiatives
LINKS = [
    navigation.Link("tenders.list", _l("Aanbestedingen"), "tenders.view", BUYERS),
    navigation.Link(
        "bidding.opportunities", _l("Aanbestedingen en inschrijvingen"), "bids.view", BIDDERS
    ),
    navigation.Link("dossier.index", _l("Dossier"), "dossier.view", BIDDERS),
    navigation.Link("challenges.mine", _l("Right to Challenge"), "bids.view", CHALLENGERS),
    navigation.Link(
        "involvement.invitations", _l("Uitnodigingen om mee te doen"), "bids.view", CHALLENGERS
    ),
    navigation.Link(
        "challenges.received", _l("Right to Challenge"), "challenges.view", (OrgKind.MUNICIPALITY,)
    ),
    navigation.Link("involvement.list", _l("Initiatieven betrekken"), "involvement.manage", BUYERS),
]
_registered = False


def init_app(app: Flask) -> None:
    global _registered
    from koepel.bids import access, api, challenge_api, models, org_api  # noqa: F401
    from koepel.bids.views import (
        bidding,
        challenge_views,
        dossier_views,
        evaluation_views,
        involvement_views,
        objection_views,
        opening_views,
        questions_views,
    )
    from koepel.bids.views import tenders as tender_views

    api.register()
    org_api.register()
    challenge_api.register()
    for view_module in (
        tender_views,
        bidding,
        opening_views,
        evaluation_views,
        questions_views,
        challenge_views,
        involvement_views,
        dossier_views,
        objection_views,
    ):
        app.register_blueprint(view_module.bp)

    if not _registered:  # the policy table is process-wide; apps may be made twice
        from koepel.bids import demo
        from koepel.platform import demo as platform_demo

        access.register()
        navigation.register(LINKS)
        platform_demo.EXTENSIONS.append(demo.load)
        from koepel.bids import generate
        from koepel.tenants import generate as tenants_generate

        tenants_generate.EXTENSIONS.append(generate.extension)
        _registered = True
