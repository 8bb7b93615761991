"""Periodic tasks: registered by modules, run once per ``koepel tick``, each in its own unit
of work so one failure does not stop the others; the login-attempt purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from koepel.platform import schedule
from koepel.platform.models import LoginAttempt
from koepel.platform.timeutil import utcnow


@pytest.fixture
def tasks(monkeypatch):
    """The registry as the app has it, restored after the test."""
    monkeypatch.setattr(schedule, "TASKS", dict(schedule.TASKS))
    return schedule.TASKS


def test_a_failing_task_is_reported_and_the_others_still_run(db, tasks):
    ran = []

    @schedule.periodic("test.broken")
    def broken(now):
        raise RuntimeError("boom")

    @schedule.periodic("test.fine")
    def fine(now):
        ran.append(now)
        return 2

    now = utcnow()
    outcome = schedule.tick(now)
    assert outcome["test.broken"] == "failed: RuntimeError"
    assert outcome["test.fine"] == 2 and ran == [now]


def test_old_login_attempts_are_purged_recent_ones_kept(db, tasks):
    now = utcnow()
    for age in (timedelta(days=3), timedelta(hours=25), timedelta(hours=2), timedelta(0)):
        db.session.add(LoginAttempt(email="a@example.org", address="127.0.0.1", at=now - age))
    db.session.flush()
    schedule.tick(now)
    left = db.session.scalars(select(LoginAttempt.at).order_by(LoginAttempt.at)).all()
    assert left == [now - timedelta(hours=2), now]


def test_koepel_tick_lists_every_task(app, db):
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert "platform.purge_login_attempts: 0" in result.output
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 0
