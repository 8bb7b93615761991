"""A background worker killed in the middle of a job: the job is tried again and its work is
done exactly once (one member, one e-mail), and the run ends ``done``.

The worker is a real ``koepel worker`` process (RQ, a throwaway Redis) that imports
``tests/fault_jobs.py``; the job writes its rows and then waits, so the test kills it at a
known moment: first only the work-horse (RQ retries it), then the whole worker (nobody is
left to notice; ``koepel tick`` recovers the run). Also: a run whose job Redis lost is
enqueued again, a run whose last attempt died is marked failed instead of staying
``running`` forever, and a finished run delivered twice does nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

import fault_jobs  # noqa: F401  (registers the job in this process too, to enqueue it)
from fault_apps import database_name, dispose, make_app, seed_org

TESTS = Path(__file__).resolve().parent
WAIT = 120  # seconds: generous for a loaded 2-core machine
LATER = timedelta(hours=1)  # a tick "an hour later": RQ's heartbeats and our grace expired


# -- a real worker process ------------------------------------------------------------------
class Worker:
    """``koepel worker`` in its own process group, with the fault job registered."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        code = (
            f"import sys; sys.path.insert(0, {str(TESTS)!r}); import fault_jobs; "
            "from koepel.platform.cli import main; main(['worker'])"
        )
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code],
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, horse: int) -> None:
        """SIGKILL the worker and its work-horse (which RQ puts in a process group of its
        own): no clean-up, as in a crash, an OOM kill or a lost machine."""
        os.kill(horse, signal.SIGKILL)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(WAIT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(WAIT)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def wait_for(condition, what: str, worker: Worker | None = None):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}\n{worker.tail() if worker else ''}")


# -- the app, its database and the job's gate -------------------------------------------------
@pytest.fixture
def setup(request, redis_server, new_database, tmp_path, monkeypatch):
    monkeypatch.setenv("KOEPEL_INSTANCE", str(tmp_path))
    url = new_database(database_name("faults_jobs"))
    queue = f"koepel-faults-{os.getpid()}-{request.node.name[-30:]}"
    app = make_app(url, tmp_path, REDIS_URL=redis_server.url, RQ_QUEUE=queue)
    org_id, _ = seed_org(app, "cooperative", "fj-coop", "coordinator", "coord@example.org")
    gate = tmp_path / "gate"
    gate.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_server.url,
        "RQ_QUEUE": queue,
        "MAIL_FOLDER": app.config["MAIL_FOLDER"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "KOEPEL_INSTANCE": str(tmp_path),
        "KOEPEL_ENV": "testing",
    }
    started: list[Worker] = []

    def worker() -> Worker:
        started.append(Worker(env, tmp_path, tmp_path / "worker.log"))
        return started[-1]

    yield app, org_id, gate, worker
    for each in started:
        each.stop()
    from redis import Redis
    from rq import Queue

    Queue(queue, connection=Redis.from_url(redis_server.url)).delete(delete_jobs=True)
    dispose(app)


def _enqueue(app: Flask, org_id: int, gate: Path) -> str:
    from koepel.platform import jobs
    from koepel.platform.extensions import db
    from koepel.platform.web import commit

    with app.app_context():
        run = jobs.enqueue(
            "fault.register_and_mail",
            tenant_id=org_id,
            kwargs={"last_name": "Verhoeven", "email": "lid@example.org", "gate": str(gate)},
        )
        run_id = run.id
        commit()  # on Redis now
        db.session.remove()
    return run_id


def _run(app: Flask, run_id: str):
    from koepel.platform.extensions import db
    from koepel.platform.models import JobRun
    from koepel.platform.tenancy import cross_tenant

    with app.app_context(), cross_tenant("the test reads the run"):
        run = db.session.get(JobRun, run_id)
        state = (run.status, run.attempts, run.error)
        db.session.remove()
    return state


def _work_done(app: Flask) -> dict:
    """What the job's work left behind, committed: members, mails queued and sent."""
    from koepel.platform import audit
    from koepel.platform.extensions import db
    from koepel.platform.models import OutboxMessage
    from koepel.platform.tenancy import cross_tenant
    from koepel.tenants.models import Member

    with app.app_context(), cross_tenant("the test counts what the job did"):
        done = {
            "members": db.session.scalar(
                select(func.count()).select_from(Member).where(Member.last_name == "Verhoeven")
            ),
            "outbox": db.session.scalars(select(OutboxMessage.status)).all(),
            "audit_intact": audit.verify_chain(db.session).ok,
        }
        db.session.remove()
    done["mails"] = len(list(Path(app.config["MAIL_FOLDER"]).glob("*.eml")))
    return done


def _horse_pids(gate: Path) -> set[int]:
    return {int(p.name.split("-")[1]) for p in gate.glob("started-*")}


def _tick(app: Flask, now) -> dict:
    from koepel.platform import schedule

    with app.app_context():
        outcome = schedule.tick(now)
        from koepel.platform.extensions import db

        db.session.remove()
    return outcome


EXACTLY_ONCE = {"members": 1, "outbox": ["sent"], "audit_intact": True, "mails": 1}


# -- the tests ---------------------------------------------------------------------------------
def test_a_killed_work_horse_is_retried_and_the_work_is_done_once(setup):
    app, org_id, gate, worker = setup
    run_id = _enqueue(app, org_id, gate)
    first = worker()
    (horse,) = wait_for(lambda: _horse_pids(gate), "the first attempt to start", first)
    assert _run(app, run_id)[:2] == ("running", 1)
    assert _work_done(app)["members"] == 0  # written but not committed

    os.kill(horse, signal.SIGKILL)
    # RQ notices its work-horse died and retries the job (Retry on enqueue).
    second = wait_for(lambda: _horse_pids(gate) - {horse}, "the retry to start", first)
    assert _run(app, run_id)[:2] == ("running", 2)
    (gate / "release").touch()
    wait_for(lambda: _run(app, run_id)[0] == "done", "the run to finish", first)
    wait_for(lambda: _work_done(app)["outbox"] == ["sent"], "the e-mail to be sent", first)
    assert _run(app, run_id)[:2] == ("done", 2) and len(second) == 1
    assert _work_done(app) == EXACTLY_ONCE

    # A duplicate delivery of the finished run (RQ at-least-once) does nothing.
    from redis import Redis
    from rq import Queue

    from koepel.platform.jobs import execute

    queue = Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))
    duplicate = queue.enqueue(execute, run_id)
    wait_for(lambda: duplicate.get_status(refresh=True) == "finished", "the duplicate", first)
    assert duplicate.return_value() == "done"
    assert _run(app, run_id)[:2] == ("done", 2)
    assert _work_done(app) == EXACTLY_ONCE
    assert not _horse_pids(gate) - {horse} - second  # the job body did not run again


def test_a_killed_worker_leaves_its_run_to_koepel_tick(setup):
    app, org_id, gate, worker = setup
    run_id = _enqueue(app, org_id, gate)
    first = worker()
    (horse,) = wait_for(lambda: _horse_pids(gate), "the first attempt to start", first)
    first.kill(horse)  # the worker and its work-horse: nobody is left to record anything
    (gate / "release").touch()
    # Left behind: the run row says running, and RQ counts the job as started until its
    # heartbeat expires; a new worker does not take it (RQ looks again only every 10 min).
    assert _run(app, run_id)[:2] == ("running", 1)
    second = worker()
    from koepel.platform.timeutil import utcnow

    # `koepel tick`, an hour later: RQ's abandoned-job handling retries it.
    _tick(app, utcnow() + LATER)
    wait_for(lambda: _run(app, run_id)[0] == "done", "the recovered run to finish", second)
    wait_for(lambda: _work_done(app)["outbox"] == ["sent"], "the e-mail to be sent", second)
    assert _run(app, run_id)[:2] == ("done", 2)
    assert _work_done(app) == EXACTLY_ONCE


def test_a_run_whose_job_redis_lost_is_enqueued_again(setup):
    from redis import Redis
    from rq.job import Job

    app, org_id, gate, worker = setup
    (gate / "release").touch()
    run_id = _enqueue(app, org_id, gate)
    # Redis restarted without its data (or the job expired) before a worker took it.
    Job.fetch(run_id, connection=Redis.from_url(app.config["REDIS_URL"])).delete()
    from koepel.platform.timeutil import utcnow

    outcome = _tick(app, utcnow() + LATER)
    assert outcome["platform.recover_abandoned_jobs"] == 1
    assert _run(app, run_id)[:2] == ("queued", 0)
    running = worker()
    wait_for(lambda: _run(app, run_id)[0] == "done", "the run to finish", running)
    wait_for(lambda: _work_done(app)["outbox"] == ["sent"], "the e-mail to be sent", running)
    assert _run(app, run_id)[:2] == ("done", 1)
    assert _work_done(app) == EXACTLY_ONCE


# -- recovery rules, on the suite's own app (inline on SQLite, RQ in the PostgreSQL pass) ----
def _stale_run(db, org_id: int, gate: Path, *, attempts: int) -> str:
    """A run left 'running' an hour ago by a worker that died (no RQ job for it any more)."""
    import uuid

    from koepel.platform.models import JobRun
    from koepel.platform.tenancy import cross_tenant
    from koepel.platform.timeutil import utcnow

    with cross_tenant("the test leaves an abandoned run"):
        run = JobRun(
            id=str(uuid.uuid4()),
            name="fault.register_and_mail",
            kwargs={"last_name": "Verhoeven", "email": "lid@example.org", "gate": str(gate)},
            tenant_id=org_id,
            status="running",
            attempts=attempts,
            created_at=utcnow() - LATER,
        )
        db.session.add(run)
        db.session.commit()
        return run.id


def _row(db, run_id: str):
    from koepel.platform.models import JobRun
    from koepel.platform.tenancy import cross_tenant

    with cross_tenant("the test reads the run"):
        db.session.expire_all()
        run = db.session.get(JobRun, run_id)
        return run.status, run.attempts, run.error


def test_tick_retries_an_abandoned_run_once_and_gives_up_after_the_last_attempt(
    app, db, make_org, run_jobs, tmp_path
):
    from koepel.platform import jobs, schedule
    from koepel.platform.models import OutboxMessage
    from koepel.platform.tenancy import cross_tenant
    from koepel.platform.timeutil import utcnow
    from koepel.tenants.models import Member

    org = make_org()
    (tmp_path / "release").touch()
    retried = _stale_run(db, org.id, tmp_path, attempts=1)
    exhausted = _stale_run(db, org.id, tmp_path, attempts=jobs.MAX_ATTEMPTS)

    outcome = schedule.tick(utcnow())
    assert outcome["platform.recover_abandoned_jobs"] == 1
    run_jobs()  # RQ: the re-enqueued run; inline it already ran in the tick
    assert _row(db, retried)[:2] == ("done", 2)
    status, attempts, error = _row(db, exhausted)
    assert (status, attempts, error) == ("failed", jobs.MAX_ATTEMPTS, jobs.ABANDONED)
    with cross_tenant("the test counts the work"):
        members = db.session.scalars(select(Member).where(Member.last_name == "Verhoeven"))
        assert len(members.all()) == 1  # the exhausted run did not run again
        assert len(db.session.scalars(select(OutboxMessage)).all()) == 1

    # Ticking again changes nothing; late deliveries of either run do nothing.
    assert schedule.tick(utcnow())["platform.recover_abandoned_jobs"] == 0
    assert jobs.execute(retried) == "done" and jobs.execute(exhausted) == "failed"
    assert _row(db, retried)[:2] == ("done", 2) and _row(db, exhausted)[:2] == ("failed", 4)


def test_a_delivery_after_the_last_attempt_died_fails_the_run_without_running_it(
    db, make_org, tmp_path
):
    from koepel.platform import jobs

    org = make_org()
    (tmp_path / "release").touch()
    run_id = _stale_run(db, org.id, tmp_path, attempts=jobs.MAX_ATTEMPTS)
    # RQ retried the job once more (its own count), but every attempt of the run is used.
    assert jobs.execute(run_id) == "failed"
    assert _row(db, run_id) == ("failed", jobs.MAX_ATTEMPTS, jobs.ABANDONED)
    assert not list(tmp_path.glob("started-*"))
