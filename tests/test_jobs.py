"""Background jobs: after the commit, in the right tenant, once per key, with progress;
inline by default and through a real Redis + RQ worker where configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from koepel.platform import jobs
from koepel.platform.extensions import db as _db
from koepel.platform.models import Invitation, JobRun
from koepel.platform.tenancy import acting_for, cross_tenant, current_tenant_id
from koepel.platform.web import commit

SEEN: list[tuple] = []


@jobs.job("test.record")
def _record(ctx, value: str) -> None:
    # Tenant-owned data is readable here only because the runner restored the scope.
    count = len(_db.session.scalars(select(Invitation)).all())
    SEEN.append((value, current_tenant_id(), ctx.tenant_id, count))
    ctx.progress(1, 2, "halfway")
    ctx.progress(2, 2, "done")


@jobs.job("test.fail")
def _fail(ctx) -> None:
    raise RuntimeError("stuk")


@pytest.fixture(autouse=True)
def _clear():
    SEEN.clear()


def _run_status(run_id):
    with cross_tenant("test"):
        _db.session.expire_all()
        return _db.session.get(JobRun, run_id)


def test_job_runs_after_commit_in_its_tenant(db, make_org, run_jobs):
    org = make_org()
    with acting_for(org.id):
        run = jobs.enqueue("test.record", tenant_id=org.id, kwargs={"value": "x"})
        run_id = run.id
        assert SEEN == []  # nothing before the commit
        commit()
    run_jobs()
    assert SEEN == [("x", org.id, org.id, 0)]
    finished = _run_status(run_id)
    assert finished.status == "done"
    assert (finished.progress, finished.total, finished.message) == (2, 2, "done")


def test_rolled_back_work_enqueues_nothing(db, make_org, run_jobs):
    org = make_org()
    with acting_for(org.id):
        jobs.enqueue("test.record", tenant_id=org.id, kwargs={"value": "y"})
        db.session.rollback()
        commit()
    run_jobs()
    assert SEEN == []


def test_same_key_runs_once(db, make_org, run_jobs):
    org = make_org()
    with acting_for(org.id):
        first = jobs.enqueue("test.record", tenant_id=org.id, kwargs={"value": "k"}, key="k-1").id
        commit()
        run_jobs()
        second = jobs.enqueue("test.record", tenant_id=org.id, kwargs={"value": "k"}, key="k-1").id
        commit()
        run_jobs()
    assert first == second
    assert [s[0] for s in SEEN] == ["k"]


def test_a_finished_run_is_not_executed_again(db, make_org, run_jobs):
    org = make_org()
    with acting_for(org.id):
        run = jobs.enqueue("test.record", tenant_id=org.id, kwargs={"value": "once"})
        run_id = run.id
        commit()
    run_jobs()
    assert jobs.execute(run_id) == "done"  # a duplicate delivery
    assert len(SEEN) == 1


def test_failure_is_recorded_not_raised_inline(app, db, make_org):
    if app.config.get("REDIS_URL"):
        pytest.skip("inline behaviour; the RQ path is tested below")
    org = make_org()
    with acting_for(org.id):
        run = jobs.enqueue("test.fail", tenant_id=org.id)
        run_id = run.id
        commit()
    failed = _run_status(run_id)
    assert failed.status == "failed" and "stuk" in failed.error


def test_rq_failure_is_retried(app, db, make_org, run_jobs):
    if not app.config.get("REDIS_URL"):
        pytest.skip("needs Redis: runs in the PostgreSQL + Redis pass of `make test`")
    org = make_org()
    with acting_for(org.id):
        run = jobs.enqueue("test.fail", tenant_id=org.id)
        run_id = run.id
        commit()
    run_jobs()
    run = _run_status(run_id)
    # The first attempt failed and RQ scheduled a retry.
    assert run.attempts >= 1 and run.status in ("queued", "failed")
    assert "stuk" in run.error


def test_unknown_job_name_is_refused(db):
    with pytest.raises(KeyError):
        jobs.enqueue("nope", tenant_id=None)


def test_job_status_page_and_json(client, db, make_org, make_user, login, run_jobs):
    org = make_org(slug="job-org")
    login(make_user(org, "coordinator"))
    with acting_for(org.id):
        run = jobs.enqueue("test.record", tenant_id=org.id, kwargs={"value": "p"})
        run_id = run.id
        commit()
    run_jobs()
    data = client.get(f"/job-org/jobs/{run_id}?format=json").get_json()
    assert data["status"] == "done" and data["percent"] == 100
    html = client.get(f"/job-org/jobs/{run_id}").get_data(as_text=True)
    assert "<progress" in html and 'value="100"' in html


def test_real_worker_process_runs_a_job(app, new_database, tmp_path):
    """`koepel worker --burst` as a separate process against committed data."""
    if not app.config.get("REDIS_URL"):
        pytest.skip("needs Redis: runs in the PostgreSQL + Redis pass of `make test`")
    from flask_migrate import upgrade

    from koepel.platform.app import create_app
    from koepel.platform.mail import queue_email

    url = new_database("worker")
    mail_folder = tmp_path / "mail"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": app.config["REDIS_URL"],
        "RQ_QUEUE": "koepel-worker-test",
        "MAIL_FOLDER": str(mail_folder),
        "SECRET_KEY": "worker-test",
        "KOEPEL_INSTANCE": str(tmp_path),
    }
    other = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": app.config["REDIS_URL"],
            "RQ_QUEUE": "koepel-worker-test",
            "MAIL_FOLDER": str(mail_folder),
            "SECRET_KEY": "worker-test",
            "KOEPEL_ENV": "testing",
        }
    )
    with other.app_context():
        upgrade()
        queue_email(to="iemand@example.org", subject="Hallo", body="Test")
        commit()  # enqueues on Redis
        _db.session.remove()
        _db.engine.dispose()
    koepel = Path(sys.executable).with_name("koepel")
    result = subprocess.run(
        [str(koepel), "worker", "--burst"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    sent = list(mail_folder.glob("*.eml"))
    assert len(sent) == 1
    with other.app_context():
        from koepel.platform.models import OutboxMessage

        assert _db.session.scalar(select(OutboxMessage.status)) == "sent"
        _db.session.remove()
        _db.engine.dispose()


@jobs.job("test.refuse")
def _refuse(ctx) -> None:
    raise jobs.PermanentJobError("onjuiste invoer")


def test_a_permanent_error_is_not_retried(app, db, make_org, run_jobs):
    org = make_org()
    with acting_for(org.id):
        run_id = jobs.enqueue("test.refuse", tenant_id=org.id).id
        commit()
    run_jobs()
    run = _run_status(run_id)
    assert run.status == "failed" and run.attempts == 1 and "onjuiste invoer" in run.error
