"""E-mail through the outbox.

``queue_email`` writes the message in the caller's transaction and enqueues a send job,
so a rolled-back change sends nothing and a crash after the commit loses nothing. The job
marks the message sent in the same step as it sends; a message already sent is skipped,
so a retried job never sends it twice. Failures are kept on the row and retried.

Backends: ``file`` (development and tests; one .eml per message under MAIL_FOLDER, named
by the message id, so even a repeat delivery overwrites rather than duplicates) and
``smtp`` (production).
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from koepel.platform.extensions import db
from koepel.platform.jobs import JobContext, enqueue, job
from koepel.platform.models import OutboxMessage
from koepel.platform.timeutil import utcnow


def queue_email(*, to: str, subject: str, body: str, tenant_id: int | None = None) -> OutboxMessage:
    msg = OutboxMessage(
        message_id=make_msgid(domain=current_app.config["MAIL_DOMAIN"]),
        to_address=to,
        # One line: a subject holds user text (a title), and a line break in a header made
        # the message unbuildable, so the send job failed on every retry.
        subject=" ".join(subject.split()),
        body_text=body,
        tenant_id=tenant_id,
    )
    db.session.add(msg)
    db.session.flush()
    enqueue("mail.send", tenant_id=None, kwargs={"outbox_id": msg.id}, key=f"mail:{msg.id}")
    return msg


def build(msg: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = msg.to_address
    email["Subject"] = msg.subject
    email["Message-ID"] = msg.message_id
    email["Date"] = format_datetime(msg.created_at)
    email.set_content(msg.body_text)
    return email


def deliver(email: EmailMessage) -> None:
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "file":
        folder = Path(current_app.config["MAIL_FOLDER"])
        folder.mkdir(parents=True, exist_ok=True)
        name = email["Message-ID"].strip("<>").replace("/", "_")
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(bytes(email))
        tmp.replace(folder / f"{name}.eml")  # atomic: a reader never sees half a message
    elif backend == "smtp":
        cfg = current_app.config
        with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=30) as smtp:
            if cfg["SMTP_STARTTLS"]:
                smtp.starttls()
            if cfg["SMTP_USER"]:
                smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
            smtp.send_message(email)
    else:
        raise ValueError(f"unknown MAIL_BACKEND {backend!r}")


@job("mail.send")
def send_outbox_message(ctx: JobContext, outbox_id: int) -> None:
    msg = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == outbox_id).with_for_update()
    )
    if msg is None or msg.status == "sent":
        return
    msg.attempts += 1
    try:
        deliver(build(msg))
    except Exception as exc:
        msg.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()  # keep the attempt on record, then let the runner retry
        raise
    msg.status, msg.sent_at, msg.last_error = "sent", utcnow(), None


def send_pending() -> int:
    """Send every message still pending (after an outage); returns how many were sent."""
    ids = db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)
    ).all()
    sent = 0
    for outbox_id in ids:
        try:
            send_outbox_message(JobContext(run_id="", tenant_id=None), outbox_id)
            db.session.commit()
            sent += 1
        except Exception:
            db.session.rollback()
    return sent
