"""Plugs the bids module into the app (entry point ``koepel.modules: bids``)."""

from __future__ import annotations

from flask import Flask

_registered = False


def init_app(app: Flask) -> None:
    global _registered
    from koepel.bids import access, api, models  # noqa: F401  (registers the tables)

    api.register()

    if not _registered:  # the policy table is process-wide; apps may be made twice
        from koepel.bids import demo
        from koepel.platform import demo as platform_demo

        access.register()
        platform_demo.EXTENSIONS.append(demo.load)
        _registered = True
