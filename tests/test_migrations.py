"""Migrations match the models: upgrade from empty gives exactly the models' schema,
and downgrade to base leaves nothing behind. Runs on the suite's backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect


def test_upgrade_matches_models_and_downgrade_cleans_up(app, new_database):
    url = new_database("migrations")
    from koepel.platform.app import create_app
    from koepel.platform.extensions import db

    other = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "KOEPEL_ENV": "testing"})
    with other.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        db.engine.dispose()

    engine = create_engine(url)
    try:
        left = set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    assert left == set()


def test_migration_files_are_named_with_date_time_and_slug():
    import re
    from pathlib import Path

    versions = Path(__file__).resolve().parents[1] / "migrations" / "versions"
    names = [p.name for p in versions.glob("*.py")]
    assert names
    assert all(re.fullmatch(r"\d{8}_\d{4}_[a-z0-9_]+\.py", n) for n in names), names
