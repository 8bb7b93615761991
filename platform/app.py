"""The application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, g
from flask_login import current_user
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from koepel.platform import config, errors, i18n, policy, security
from koepel.platform.auth import passwords
from koepel.platform.db import MAX_INT, tune_sqlite
from koepel.platform.extensions import babel, csrf, db, login_manager, migrate
from koepel.platform.models import User
from koepel.platform.request import Request

# platform/, templates/ and migrations/ sit side by side both in the repository (editable
# install) and under site-packages/koepel/ (wheel), so paths relative to this file hold.
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


class IdConverter(IntegerConverter):
    """``<int:...>`` in a URL: a number a database column can hold. A larger one matches
    no route (404) instead of overflowing in the database driver (a 500)."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def default_instance_path() -> Path:
    env = os.environ.get("KOEPEL_INSTANCE")
    return Path(env) if env else Path.cwd() / "instance"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(default_instance_path().resolve()),
        template_folder=str(ROOT / "templates"),
        static_folder=str(HERE / "static"),
    )
    app.request_class = Request  # form and query values without control characters
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.update(config.load(Path(app.instance_path), overrides))
    logging.basicConfig(level=logging.INFO)

    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    passwords.configure(app.config["ARGON2_PARAMETERS"])
    db.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine)
    # Batch mode lets Alembic alter SQLite tables (it rebuilds them); a no-op on PostgreSQL.
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    _init_login(app)

    from koepel.platform.api import core as api_core
    from koepel.platform.api import resources as api_resources

    api_core.init_app(app)
    api_resources.register()
    errors.register(app)  # after flask-smorest, whose own handler it replaces
    security.register(app)
    i18n.register(app)

    from koepel.platform import mail  # noqa: F401  (registers the mail job)
    from koepel.platform.auth.views import bp as auth_bp
    from koepel.platform.views.main import bp as main_bp
    from koepel.platform.views.org import bp as org_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    _init_domain_modules(app)
    app.register_blueprint(org_bp)  # last among pages: /<org_slug>/ is the catch-all

    app.context_processor(_template_context)

    from koepel.platform.cli import register_commands

    register_commands(app)
    return app


def _init_domain_modules(app: Flask) -> None:
    """Load the domain modules declared under the ``koepel.modules`` entry point, in a
    fixed order (tenants before bids before contracts: the order they depend on)."""
    from importlib.metadata import entry_points

    order = {"tenants": 0, "bids": 1, "contracts": 2}
    found = sorted(entry_points(group="koepel.modules"), key=lambda e: order.get(e.name, 9))
    for entry in found:
        entry.load()(app)


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        uid, _, version = user_id.partition(":")
        if not uid.isdigit() or not version.isdigit():
            return None
        user = db.session.scalar(select(User).where(User.id == int(uid)))
        if user is None or user.session_version != int(version):
            return None  # the password changed since this session began
        return user


def _template_context() -> dict[str, Any]:
    user_orgs = []
    if current_user.is_authenticated:
        user_orgs = [_OrgChoice(o) for o in policy.organisations_of(current_user)]
    acting = g.get("acting_org")
    return {
        "acting_org": _OrgChoice(acting) if acting is not None else None,
        "assisting_as": g.get("on_behalf_of"),
        "user_orgs": user_orgs,
        "current_locale": i18n.current_language(),
    }


class _OrgChoice:
    """What templates need of an organisation for the header (no lazy loads)."""

    __slots__ = ("kind", "kind_label", "name", "slug")

    def __init__(self, org) -> None:
        self.slug, self.name, self.kind = org.slug, org.name, org.kind
        self.kind_label = policy.KIND_LABELS[org.kind]
