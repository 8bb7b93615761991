"""Plugs the tenants module into the app (entry point ``koepel.modules: tenants``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from koepel.tenants import models  # noqa: F401  (registers the tables)
