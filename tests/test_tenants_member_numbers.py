"""Two coordinators register a member at the same moment: both get a number, never the
same one (the organisation row is locked while the next number is chosen)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select


def test_simultaneous_registrations_get_different_numbers(app, new_database):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip(
            "SQLite lets one writer in at a time: the second simultaneous registration "
            "fails with 'database is locked' instead of taking a number (embedded default)"
        )
    from flask_migrate import upgrade

    from koepel.platform.app import create_app
    from koepel.platform.extensions import db
    from koepel.platform.models import Organisation, OrgKind
    from koepel.platform.tenancy import acting_for
    from koepel.tenants import members
    from koepel.tenants.models import Member

    other = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": new_database("member_numbers"),
            "SECRET_KEY": "x",
            "KOEPEL_ENV": "testing",
            "ARGON2_PARAMETERS": app.config.get("ARGON2_PARAMETERS"),
        }
    )
    with other.app_context():
        upgrade()
        org = Organisation(slug="mn-coop", name="Zorgcoöperatie Nummer", kind=OrgKind.COOPERATIVE)
        db.session.add(org)
        db.session.commit()
        org_id = org.id

    start, errors, numbers = threading.Barrier(2), [], []

    def register(first_name: str) -> None:
        try:
            with other.app_context():
                org = db.session.get(Organisation, org_id)
                with acting_for(org_id):
                    start.wait(timeout=10)
                    member = members.register(
                        actor=None,
                        org=org,
                        data=members.MemberData(
                            first_name=first_name, last_name="Gelijk", joined_on=date(2026, 1, 1)
                        ),
                    )
                    numbers.append(member.number)
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=register, args=(n,)) for n in ("Anna", "Bert")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with other.app_context(), acting_for(org_id):
        stored = sorted(db.session.scalars(select(Member.number)).all())
        db.engine.dispose()
    assert stored == [1, 2] and sorted(numbers) == [1, 2]
