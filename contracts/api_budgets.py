"""The budgets, allocations and settlements API."""

from __future__ import annotations

from koepel.platform.api.core import ApiBlueprint, register_blueprint

blp = ApiBlueprint("api_budgets", __name__, url_prefix="/api/v1/orgs")


def register() -> None:
    register_blueprint(blp)
