"""Periodic work: reminders before deadlines and expiry dates, housekeeping.

Modules register a task with ``@periodic("name")``: a function of the current instant that
finds what is due and enqueues jobs for it (with a key per object and moment, so running
it twice enqueues nothing new) and returns how many it enqueued. ``koepel tick`` runs every
task once; an operator runs it every few minutes (cron or a systemd timer, see README).
Each task runs in its own unit of work, so one failing task does not hold up the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from koepel.platform.extensions import db
from koepel.platform.timeutil import utcnow

log = logging.getLogger(__name__)
Task = Callable[[datetime], int]
TASKS: dict[str, Task] = {}


def periodic(name: str) -> Callable[[Task], Task]:
    def register(task: Task) -> Task:
        TASKS[name] = task
        return task

    return register


def tick(now: datetime | None = None) -> dict[str, int | str]:
    """Run every periodic task once; what each enqueued (or the error that stopped it)."""
    from koepel.platform.web import commit

    now = now or utcnow()
    outcome: dict[str, int | str] = {}
    for name, task in sorted(TASKS.items()):
        try:
            outcome[name] = task(now)
            commit()
        except Exception as error:  # noqa: BLE001  (report and go on with the next task)
            db.session.rollback()
            log.exception("periodic task %s failed", name)
            outcome[name] = f"failed: {type(error).__name__}"
    return outcome


@periodic("platform.recover_abandoned_jobs")
def recover_abandoned_jobs(now: datetime) -> int:
    """Background runs whose worker died: tried again (up to their limit) or marked failed."""
    from koepel.platform import jobs

    return jobs.recover_abandoned(now)


@periodic("platform.purge_login_attempts")
def purge_login_attempts(now: datetime) -> int:
    """Login attempts that left the throttling window serve nothing: delete them (kept a
    day at least, for an operator looking into a wave of failures)."""
    from datetime import timedelta

    from flask import current_app
    from sqlalchemy import delete

    from koepel.platform.models import LoginAttempt

    keep = max(timedelta(days=1), current_app.config["LOGIN_THROTTLE_WINDOW"])
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - keep))
    return 0
