"""Background jobs: inline after the commit by default, on RQ when REDIS_URL is set.

A job is a plain function registered by name with ``@job("name")``; it receives a
``JobContext`` and keyword arguments that are JSON-safe. Enqueueing writes a ``JobRun``
row in the caller's transaction and the job is handed to the runner only *after* that
transaction commits (``dispatch_pending``), so a job never sees data that was rolled back.
A run carries the tenant it acts for and the runner re-establishes that scope; a run with
a ``key`` is created once (enqueueing it again returns the existing run) and a finished
run is never executed again, so retries are safe.

A run is tried at most ``MAX_ATTEMPTS`` times, also when its worker dies mid-job: RQ
retries a job whose work-horse was killed, and ``recover_abandoned`` (run by ``koepel
tick``) retries runs whose worker vanished altogether or whose job Redis lost, or marks
them failed once their attempts are used up. A killed attempt's writes were never
committed, so the retry does the work once.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from koepel.platform.extensions import db
from koepel.platform.models import JobRun
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import utcnow

log = logging.getLogger(__name__)

JobFunction = Callable[..., Any]


class PermanentJobError(Exception):
    """A job refused its work for a reason a retry cannot change (bad input): it fails
    at once, without RQ retrying it."""


_REGISTRY: dict[str, JobFunction] = {}
_PENDING = "koepel_pending_jobs"
MAX_ATTEMPTS = 4
RETRY_INTERVALS = [2, 10, 60]  # seconds before the 2nd, 3rd and 4th attempt on RQ
# A run still queued or running this long after it was made, and not in RQ's hands, was
# abandoned (its worker died, Redis lost it, an inline runner's process ended).
ABANDONED_AFTER = timedelta(minutes=15)
ABANDONED = "abandoned: the worker stopped during the last attempt"


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    def register(fn: JobFunction) -> JobFunction:
        if _REGISTRY.get(name, fn) is not fn:
            raise ValueError(f"job {name} is registered twice")
        _REGISTRY[name] = fn
        return fn

    return register


@dataclass
class JobContext:
    run_id: str
    tenant_id: int | None
    rq_job: Any = None  # the RQ job when running on a worker
    done: int = 0
    total: int = 0
    message: str = ""

    def progress(self, done: int, total: int, message: str = "") -> None:
        """Report progress. On RQ it goes to ``job.meta`` in Redis, readable while the
        job's own transaction is still open; the run row gets the final figures."""
        self.done, self.total, self.message = done, total, message[:300]
        if self.rq_job is not None:
            self.rq_job.meta.update(progress=done, total=total, message=self.message)
            self.rq_job.save_meta()


def enqueue(
    name: str,
    *,
    tenant_id: int | None,
    kwargs: dict[str, Any] | None = None,
    key: str | None = None,
    created_by_id: int | None = None,
) -> JobRun:
    """Record a run in the current transaction; it starts after the commit."""
    if name not in _REGISTRY:
        raise KeyError(f"unknown job {name}")
    with cross_tenant("job bookkeeping"):
        if key is not None:
            existing = db.session.scalar(select(JobRun).where(JobRun.key == key))
            if existing is not None:
                return existing
        run = JobRun(
            id=str(uuid.uuid4()),
            name=name,
            key=key,
            kwargs=kwargs or {},
            tenant_id=tenant_id,
            created_by_id=created_by_id,
        )
        db.session.add(run)
        db.session.flush()
    db.session.info.setdefault(_PENDING, []).append(run.id)
    return run


# Any rollback (also of a savepoint-joined session in tests) drops what was queued in it.
@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, _previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def dispatch_pending(session: Session | None = None) -> None:
    """Hand the runs enqueued in the just-committed transaction to the runner."""
    session = session or db.session()
    run_ids = session.info.pop(_PENDING, [])
    if not run_ids:
        return
    queue = _queue()
    for run_id in run_ids:
        if queue is None:
            execute(run_id)
        else:
            from rq import Retry

            queue.enqueue_call(
                execute,
                args=(run_id,),
                job_id=run_id,
                retry=Retry(max=MAX_ATTEMPTS - 1, interval=RETRY_INTERVALS),
                result_ttl=3600,
                failure_ttl=7 * 24 * 3600,
            )


def _queue():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis
    from rq import Queue

    return Queue(current_app.config["RQ_QUEUE"], connection=Redis.from_url(url))


def rq_progress(run: JobRun) -> dict[str, Any] | None:
    """Live progress of a run that is on RQ right now, from ``job.meta``."""
    queue = _queue()
    if queue is None or run.status not in ("queued", "running"):
        return None
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        meta = Job.fetch(run.id, connection=queue.connection).get_meta(refresh=True)
    except NoSuchJobError:
        return None
    return meta or None


def status_of(run: JobRun) -> dict[str, Any]:
    """What a page or API client shows of a run: live progress while on RQ, else the row."""
    live = rq_progress(run) or {}
    progress = live.get("progress", run.progress)
    total = live.get("total", run.total) or 0
    percent = 100 if run.status == "done" else (int(progress * 100 / total) if total else 0)
    return {
        "id": run.id,
        "name": run.name,
        "status": run.status,
        "progress": progress,
        "total": total,
        "message": live.get("message", run.message),
        "percent": percent,
    }


# The app a worker process runs jobs in; set by ``koepel worker`` before forking.
worker_app: Flask | None = None


def execute(run_id: str) -> str:
    """Run one job. The entry point for RQ and for the inline runner alike."""
    if has_app_context():
        return _execute(run_id)
    app = worker_app
    if app is None:
        from koepel.platform.app import create_app

        app = create_app()
    with app.app_context():
        try:
            return _execute(run_id)
        finally:
            db.session.remove()


def _execute(run_id: str) -> str:
    with cross_tenant("job runner loads its run"):
        run = db.session.get(JobRun, run_id)
        if run is None:
            raise LookupError(f"no job run {run_id}")
        if run.status in ("done", "failed"):
            return run.status  # a retry or duplicate delivery of a finished run
        if run.attempts >= MAX_ATTEMPTS:  # the last attempt's worker died: give up
            run.status, run.finished_at = "failed", utcnow()
            run.error = run.error or ABANDONED
            db.session.commit()
            return "failed"
        run.status, run.attempts = "running", run.attempts + 1
        name, kwargs, tenant_id = run.name, dict(run.kwargs), run.tenant_id
        db.session.commit()
    ctx = JobContext(run_id, tenant_id, _current_rq_job())
    scope = acting_for(tenant_id) if tenant_id is not None else nullcontext()
    try:
        with scope:
            _REGISTRY[name](ctx, **kwargs)
            db.session.flush()  # the job's own writes pass the tenancy guard in its scope
        _finish(run_id, ctx, "done")
    except Exception as exc:
        db.session.rollback()
        permanent = isinstance(exc, PermanentJobError)
        final = permanent or ctx.rq_job is None or _attempts(run_id) >= MAX_ATTEMPTS
        error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
        _finish(run_id, ctx, "failed" if final else "queued", error)
        log.exception("job %s (%s) failed", name, run_id)
        if ctx.rq_job is not None and not permanent:
            raise  # RQ retries it
        return "failed"
    dispatch_pending()  # jobs the job itself enqueued
    return "done"


def recover_abandoned(now: datetime) -> int:
    """Retry runs whose worker is gone (or mark them failed when their attempts are used
    up); how many were queued again. The retries start after the caller commits."""
    queue = _queue()
    abandoned_on_rq: set[str] = set()
    if queue is not None:
        from rq.registry import StartedJobRegistry

        # Started jobs whose worker stopped sending heartbeats. RQ's own clean-up would
        # schedule their retry, but only a worker holding the scheduler lock enqueues it,
        # and the dead worker may have held that lock: enqueue them here instead.
        registry = StartedJobRegistry(queue=queue)
        abandoned_on_rq = set(registry.get_expired_job_ids(now.timestamp()))
    with cross_tenant("job housekeeping finds abandoned runs"):
        runs = db.session.scalars(
            select(JobRun)
            .where(
                JobRun.status.in_(("queued", "running")),
                JobRun.created_at < now - ABANDONED_AFTER,
            )
            .order_by(JobRun.created_at)
        ).all()
        again = 0
        for run in runs:
            if queue is not None and not _drop_if_ended(queue, run.id, abandoned_on_rq):
                continue  # queued, scheduled or running on RQ: still in its hands
            if run.attempts >= MAX_ATTEMPTS:
                run.status, run.finished_at, run.error = "failed", now, run.error or ABANDONED
                continue
            run.status = "queued"
            db.session.info.setdefault(_PENDING, []).append(run.id)
            again += 1
        db.session.flush()
    return again


def _drop_if_ended(queue, run_id: str, abandoned: set[str]) -> bool:
    """True when RQ no longer works on the run: no job, a job that ended without the run
    hearing of it, or a started one whose worker is gone. Such a job is deleted (also from
    RQ's registries), so the run can be enqueued again under its id."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    try:
        rq_job = Job.fetch(run_id, connection=queue.connection)
    except NoSuchJobError:
        return True
    status = rq_job.get_status()
    ended = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)
    if status not in ended and not (status == JobStatus.STARTED and run_id in abandoned):
        return False
    rq_job.delete()
    return True


def _attempts(run_id: str) -> int:
    with cross_tenant("job runner reads its attempts"):
        return db.session.get(JobRun, run_id).attempts


def _finish(run_id: str, ctx: JobContext, status: str, error: str | None = None) -> None:
    """Record the outcome; for success in the same transaction as the job's work."""
    with cross_tenant("job runner records the outcome"):
        run = db.session.get(JobRun, run_id)
        run.status, run.error = status, error
        run.progress, run.total, run.message = ctx.done, ctx.total, ctx.message
        if status in ("done", "failed"):
            run.finished_at = utcnow()
        db.session.commit()


def _current_rq_job():
    try:
        from rq import get_current_job
    except ImportError:  # pragma: no cover
        return None
    return get_current_job()
