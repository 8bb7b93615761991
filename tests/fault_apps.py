"""An app on a database of its own, for the fault tests.

The suite's usual ``db`` fixture runs every test inside one rolled-back transaction on one
connection; a killed connection, a second process (a worker) or two concurrent requests
need committed data and real connections instead. These helpers build such an app and
seed it with committed rows.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from flask import Flask

from conftest import PASSWORD


def database_name(prefix: str) -> str:
    """A new database name per test (PostgreSQL keeps them for the whole session)."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def make_app(url: str, instance: Path, **overrides: Any) -> Flask:
    """A migrated app on ``url``; jobs inline unless ``REDIS_URL`` is given."""
    from flask_migrate import upgrade

    from koepel.platform.app import create_app

    config = {
        "KOEPEL_ENV": "testing",
        "SECRET_KEY": "fault-tests",
        "SQLALCHEMY_DATABASE_URI": url,
        "REDIS_URL": None,
        "MAIL_FOLDER": str(instance / "mail"),
        "SERVER_NAME": "koepel.test",
        "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        **overrides,
    }
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


def dispose(app: Flask) -> None:
    """Close the app's pooled connections (before its database goes away)."""
    from koepel.platform.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def seed_org(app: Flask, kind: str, slug: str, role: str, email: str) -> tuple[int, int]:
    """A committed organisation with one user holding ``role``; (org id, user id)."""
    from koepel.platform.auth import operations as ops
    from koepel.platform.extensions import db
    from koepel.platform.models import Organisation, OrgKind
    from koepel.platform.web import commit

    with app.app_context():
        org = Organisation(kind=OrgKind(kind), slug=slug, name=f"Organisatie {slug}")
        db.session.add(org)
        db.session.flush()
        user = ops.create_user(actor=None, email=email, display_name=email, password=PASSWORD)
        ops.grant_role(actor=None, user=user, org=org, role=role)
        commit()
        ids = org.id, user.id
        db.session.remove()
    return ids


def api_token(app: Flask, user_id: int) -> str:
    from koepel.platform.auth import operations as ops
    from koepel.platform.extensions import db
    from koepel.platform.models import User
    from koepel.platform.web import commit

    with app.app_context():
        token = ops.issue_api_token(user=db.session.get(User, user_id))[1]
        commit()
        db.session.remove()
    return token
