"""Plugs the tenants module into the app (entry point ``koepel.modules: tenants``)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from koepel.platform import navigation
from koepel.platform.models import OrgKind

COOP = (OrgKind.COOPERATIVE,)
LINKS = [
    navigation.Link("members.list", _l("Leden"), "members.view", COOP),
]
_registered = False


def init_app(app: Flask) -> None:
    global _registered
    from koepel.tenants import access, models  # noqa: F401  (registers the tables)
    from koepel.tenants.views import members

    app.register_blueprint(members.bp)
    if not _registered:  # the policy table is process-wide; apps may be made twice
        access.register()
        navigation.register(LINKS)
        _registered = True
