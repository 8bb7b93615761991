"""A job for the worker fault tests, imported by the worker process the test starts.

``fault.register_and_mail`` does what a real import job does: it registers a member (member,
household and audit event) and queues an e-mail through the outbox, in the job's own unit of
work. Then it tells the test it is running (a file named after its process id, so the test
can kill exactly that work-horse) and waits until the test lets it go (a ``release`` file),
so the test decides at which moment the worker dies.
"""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

from koepel.platform.extensions import db
from koepel.platform.jobs import JobContext, job
from koepel.platform.mail import queue_email
from koepel.platform.models import Organisation

WAIT_FOR_RELEASE = 300  # seconds; the test releases or kills long before


@job("fault.register_and_mail")
def register_and_mail(ctx: JobContext, last_name: str, email: str, gate: str) -> None:
    from koepel.tenants import members

    org = db.session.get(Organisation, ctx.tenant_id)
    members.register(
        actor=None,
        org=org,
        data=members.MemberData(
            first_name="Import", last_name=last_name, joined_on=date(2024, 1, 1)
        ),
    )
    queue_email(to=email, subject="Welkom", body="U bent ingeschreven.", tenant_id=org.id)
    db.session.flush()  # the rows are written, not yet committed
    folder = Path(gate)
    (folder / f"started-{os.getpid()}").touch()
    deadline = time.monotonic() + WAIT_FOR_RELEASE
    while not (folder / "release").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never released the job")
        time.sleep(0.05)
