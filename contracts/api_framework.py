"""The framework-agreements API (products, call-offs, reports)."""

from __future__ import annotations

from koepel.platform.api.core import ApiBlueprint, register_blueprint

blp = ApiBlueprint("api_framework", __name__, url_prefix="/api/v1/orgs")


def register() -> None:
    register_blueprint(blp)
