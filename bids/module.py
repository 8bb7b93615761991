"""Plugs the bids module into the app (entry point ``koepel.modules: bids``)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from koepel.platform import navigation
from koepel.platform.models import OrgKind

BUYERS = (OrgKind.MUNICIPALITY, OrgKind.REGION)
BIDDERS = (OrgKind.COOPERATIVE, OrgKind.UMBRELLA, OrgKind.PROVIDER)
LINKS = [
    navigation.Link("tenders.list", _l("Aanbestedingen"), "tenders.view", BUYERS),
    navigation.Link(
        "bidding.opportunities", _l("Aanbestedingen en inschrijvingen"), "bids.view", BIDDERS
    ),
]
_registered = False


def init_app(app: Flask) -> None:
    global _registered
    from koepel.bids import access, api, models  # noqa: F401  (registers the tables)
    from koepel.bids.views import bidding, evaluation_views, opening_views
    from koepel.bids.views import tenders as tender_views

    api.register()
    app.register_blueprint(tender_views.bp)
    app.register_blueprint(bidding.bp)
    app.register_blueprint(opening_views.bp)
    app.register_blueprint(evaluation_views.bp)

    if not _registered:  # the policy table is process-wide; apps may be made twice
        from koepel.bids import demo
        from koepel.platform import demo as platform_demo

        access.register()
        navigation.register(LINKS)
        platform_demo.EXTENSIONS.append(demo.load)
        _registered = True
