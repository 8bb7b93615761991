"""The authenticated API for tenders (buyer side), bids (bidder side) and evaluations."""

from __future__ import annotations

from koepel.platform.api.core import ApiBlueprint, register_blueprint

blp = ApiBlueprint("api_bids", __name__, url_prefix="/api/v1/orgs")


def register() -> None:
    register_blueprint(blp)
